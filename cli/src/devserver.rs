//! Starts a Temporal dev server (`temporal server start-dev`) on loopback with revloop's search
//! attributes, waits until it answers, and stops it cleanly.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use crate::procs::ManagedChild;

/// The search attributes every revloop workflow carries.
pub const SEARCH_ATTRIBUTES: [&str; 5] = revloop_activities::search_attributes::REQUIRED;

#[derive(Debug, Clone)]
pub struct DevServerOptions {
    pub temporal_bin: PathBuf,
    /// 0 picks a free port (and retries on another if the server cannot start).
    pub port: u16,
    /// `None` runs headless (no Web UI).
    pub ui_port: Option<u16>,
    /// `None` keeps everything in memory.
    pub db_file: Option<PathBuf>,
    pub namespace: String,
    pub log_file: PathBuf,
}

pub struct DevServer {
    process: ManagedChild,
    pub address: String,
    pub ui_url: Option<String>,
    pub namespace: String,
}

/// The `temporal` CLI: `REVLOOP_TEMPORAL_BIN`, else the project's `.tools/bin/temporal`, else PATH.
pub fn find_temporal_bin() -> anyhow::Result<PathBuf> {
    if let Ok(path) = std::env::var("REVLOOP_TEMPORAL_BIN") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(std::fs::canonicalize(path)?);
        }
        bail!("REVLOOP_TEMPORAL_BIN={} does not exist", path.display());
    }
    let local = Path::new(".tools/bin/temporal");
    if local.is_file() {
        return Ok(std::fs::canonicalize(local)?);
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("temporal");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    bail!(
        "the Temporal CLI was not found: run `make tools` (installs it into .tools/bin) or set REVLOOP_TEMPORAL_BIN"
    )
}

/// A port that was free a moment ago on 127.0.0.1 and that this process has not handed out
/// before: parallel tests in one process must not race each other for the same port.
pub fn free_port() -> anyhow::Result<u16> {
    static GIVEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
        std::sync::Mutex::new(std::collections::BTreeSet::new());
    loop {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut given = GIVEN
            .lock()
            .map_err(|_| anyhow::anyhow!("port registry poisoned"))?;
        if given.insert(port) {
            return Ok(port);
        }
    }
}

/// The last lines of a log file, for error messages.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl DevServer {
    /// Starts the server. With `port == 0` it picks free ports, and when the server dies before
    /// answering (a port taken meanwhile, say) it tries again on fresh ones.
    pub fn start(opts: &DevServerOptions) -> anyhow::Result<Self> {
        if opts.port != 0 {
            return Self::start_once(opts);
        }
        let mut last = None;
        for _ in 0..3 {
            let attempt = DevServerOptions {
                port: free_port()?,
                ..opts.clone()
            };
            match Self::start_once(&attempt) {
                Ok(server) => return Ok(server),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("the Temporal dev server did not start")))
    }

    fn start_once(opts: &DevServerOptions) -> anyhow::Result<Self> {
        if TcpListener::bind(("127.0.0.1", opts.port)).is_err() {
            bail!(
                "port {} on 127.0.0.1 is in use: is another Temporal server running?",
                opts.port
            );
        }
        let mut cmd = Command::new(&opts.temporal_bin);
        cmd.args([
            "server",
            "start-dev",
            "--ip",
            "127.0.0.1",
            "--log-level",
            "warn",
        ])
        .args(["--port", &opts.port.to_string()])
        .args(["--http-port", &free_port()?.to_string()])
        .args(["--metrics-port", &free_port()?.to_string()])
        .args(["--namespace", &opts.namespace]);
        for name in SEARCH_ATTRIBUTES {
            cmd.args(["--search-attribute", &format!("{name}=Keyword")]);
        }
        match opts.ui_port {
            Some(ui) => cmd.args(["--ui-port", &ui.to_string(), "--ui-ip", "127.0.0.1"]),
            None => cmd.arg("--headless"),
        };
        if let Some(db) = &opts.db_file {
            cmd.args(["--db-filename", &db.display().to_string()]);
        }
        let process = ManagedChild::spawn("temporal dev server", cmd, &opts.log_file)?;
        let mut server = DevServer {
            process,
            address: format!("http://127.0.0.1:{}", opts.port),
            ui_url: opts.ui_port.map(|p| {
                format!(
                    "http://127.0.0.1:{p}/namespaces/{}/workflows",
                    opts.namespace
                )
            }),
            namespace: opts.namespace.clone(),
        };
        server.wait_ready(&opts.temporal_bin, opts.port, Duration::from_secs(90))?;
        Ok(server)
    }

    /// Ready = the namespace answers. Fails at once if the server process died.
    fn wait_ready(&mut self, bin: &Path, port: u16, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let address = format!("127.0.0.1:{port}");
        loop {
            let ok = Command::new(bin)
                .args([
                    "operator",
                    "namespace",
                    "describe",
                    "--address",
                    &address,
                    "--namespace",
                    &self.namespace,
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                return Ok(());
            }
            if self.process.has_exited() {
                bail!(
                    "the Temporal dev server on {address} exited before it was ready:\n{}",
                    log_tail(&self.process.log_file, 20)
                );
            }
            if Instant::now() > deadline {
                bail!(
                    "the Temporal dev server on {address} did not become ready within {timeout:?}:\n{}",
                    log_tail(&self.process.log_file, 20)
                );
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    pub fn log_file(&self) -> &Path {
        &self.process.log_file
    }

    pub fn stop(&mut self) {
        self.process.stop();
    }
}

/// Runs `temporal <args>` against this server and returns its stdout, failing with its stderr.
pub fn temporal_cli(bin: &Path, address: &str, args: &[&str]) -> anyhow::Result<String> {
    let address = address.trim_start_matches("http://");
    let out = Command::new(bin)
        .args(args)
        .args(["--address", address])
        .output()
        .with_context(|| format!("running {} {}", bin.display(), args.join(" ")))?;
    if !out.status.success() {
        bail!(
            "temporal {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).to_string())
}
