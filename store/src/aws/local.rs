//! The real servers the AWS backend runs against on one machine: moto's DynamoDB server and
//! versitygw's S3 gateway (posix backend, versioning and Object Lock on), started on loopback
//! ports. The tests and the two-worker end-to-end test use them; nothing is mocked in-process.
//!
//! `REVLOOP_MOTO_PYTHON` (a Python with `moto[server]`) and `REVLOOP_VERSITYGW_BIN` name what to
//! run (`make tools` installs both into the tools dir). Each server runs under a shell that stops it when this process's end of
//! its stdin closes, so a test binary that exits, or dies, leaves no server behind.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::{AwsSettings, AwsStore, LockRetention, provision};
use crate::error::{StoreError, StoreErrorKind, StoreResult};

/// The access key both local servers accept (versitygw's root user; moto accepts any).
pub const ACCESS_KEY: &str = "revloop-local";
pub const SECRET_KEY: &str = "revloop-local-secret";
pub const REGION: &str = "us-east-1";

/// moto's server, answering one request at a time. DynamoDB runs conflicting transactions and
/// conditional writes one after another (serializable isolation); `moto_server` serves each
/// request on its own thread without a lock, so two racing transactions could both pass their
/// conditions there. A lock around the application gives back the isolation the real service
/// has, which is what the backend's races are tested against. Connections stay threaded, so
/// the SDK's pooled keep-alive connections never wait on each other's idle time.
const SERIALIZED_MOTO: &str = r#"
import sys, threading
from werkzeug.serving import run_simple
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()
def serialized(environ, start_response):
    with lock:
        return list(app(environ, start_response))
run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True, request_handler=MotoRequestHandler)
"#;

/// One running server; stopped when dropped.
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Closing stdin tells the watching shell to stop the server.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto and versitygw on loopback, with the directories they keep their data in.
pub struct LocalAws {
    pub dynamodb_endpoint: String,
    pub s3_endpoint: String,
    _dynamodb: Server,
    _s3: Server,
    pub data_dir: PathBuf,
}

fn free_port() -> StoreResult<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .map_err(|e| StoreError::new(StoreErrorKind::Unavailable, format!("no free port: {e}")))?;
    Ok(listener.local_addr().map(|a| a.port()).unwrap_or(0))
}

fn binary(env: &str, what: &str) -> StoreResult<PathBuf> {
    let path = std::env::var_os(env).map(PathBuf::from).ok_or_else(|| {
        StoreError::new(
            StoreErrorKind::Unavailable,
            format!(
                "{env} is not set: it names {what} (`make tools` installs it into the tools dir)"
            ),
        )
    })?;
    if !path.is_file() {
        return Err(StoreError::new(
            StoreErrorKind::Unavailable,
            format!("{env}={} is not a file: run `make tools`", path.display()),
        ));
    }
    Ok(path)
}

/// Starts `program args…` under `sh`, which stops it when its stdin closes.
fn spawn_watched(
    name: &str,
    program: &Path,
    args: &[String],
    log: &Path,
    envs: &[(&str, &str)],
) -> StoreResult<Server> {
    let log_file = std::fs::File::create(log).map_err(|e| {
        StoreError::new(
            StoreErrorKind::Unavailable,
            format!("{}: {e}", log.display()),
        )
    })?;
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#""$@" </dev/null & pid=$!; read _; kill "$pid" 2>/dev/null; wait "$pid""#)
        .arg("sh")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(
            log_file
                .try_clone()
                .map_err(|e| StoreError::new(StoreErrorKind::Internal, e.to_string()))?,
        )
        .stderr(log_file);
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command.spawn().map_err(|e| {
        StoreError::new(
            StoreErrorKind::Unavailable,
            format!("starting {name} ({}): {e}", program.display()),
        )
    })?;
    let stdin = child.stdin.take();
    Ok(Server { child, stdin })
}

fn wait_for_port(name: &str, port: u16, log: &Path) -> StoreResult<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let tail = std::fs::read_to_string(log).unwrap_or_default();
    Err(StoreError::new(
        StoreErrorKind::Unavailable,
        format!("{name} did not listen on 127.0.0.1:{port} within 30 s; its log:\n{tail}"),
    ))
}

impl LocalAws {
    /// Starts both servers, keeping their data and logs under `data_dir`.
    pub fn start(data_dir: &Path) -> StoreResult<Self> {
        let python = binary(
            "REVLOOP_MOTO_PYTHON",
            "the Python that has moto[server] installed",
        )?;
        let versitygw = binary("REVLOOP_VERSITYGW_BIN", "the versitygw S3 gateway")?;
        let mkdir = |p: &Path| {
            std::fs::create_dir_all(p).map_err(|e| {
                StoreError::new(StoreErrorKind::Unavailable, format!("{}: {e}", p.display()))
            })
        };
        let (objects, versions) = (data_dir.join("s3"), data_dir.join("s3-versions"));
        mkdir(&objects)?;
        mkdir(&versions)?;
        let (ddb_port, s3_port) = (free_port()?, free_port()?);
        let ddb_log = data_dir.join("moto.log");
        let dynamodb = spawn_watched(
            "moto",
            &python,
            &[
                "-c".into(),
                SERIALIZED_MOTO.into(),
                "127.0.0.1".into(),
                ddb_port.to_string(),
            ],
            &ddb_log,
            &[],
        )?;
        let s3_log = data_dir.join("versitygw.log");
        let s3 = spawn_watched(
            "versitygw",
            &versitygw,
            &[
                "--port".into(),
                format!("127.0.0.1:{s3_port}"),
                "--quiet".into(),
                "posix".into(),
                "--versioning-dir".into(),
                versions.display().to_string(),
                objects.display().to_string(),
            ],
            &s3_log,
            &[
                ("ROOT_ACCESS_KEY_ID", ACCESS_KEY),
                ("ROOT_SECRET_ACCESS_KEY", SECRET_KEY),
            ],
        )?;
        wait_for_port("moto", ddb_port, &ddb_log)?;
        wait_for_port("versitygw", s3_port, &s3_log)?;
        Ok(Self {
            dynamodb_endpoint: format!("http://127.0.0.1:{ddb_port}"),
            s3_endpoint: format!("http://127.0.0.1:{s3_port}"),
            _dynamodb: dynamodb,
            _s3: s3,
            data_dir: data_dir.to_path_buf(),
        })
    }

    /// Settings for a backend of its own: tables `{prefix}-*`, buckets `{prefix}-*`.
    pub fn settings(&self, prefix: &str) -> AwsSettings {
        AwsSettings {
            table_prefix: prefix.to_string(),
            content_bucket: format!("{prefix}-content"),
            ledger_bucket: format!("{prefix}-ledger"),
            schema_bucket: format!("{prefix}-schemas"),
            // versitygw accepts SSE-KMS headers and stores objects as it would without them,
            // so the backend's encryption path is exercised, not the encryption itself.
            kms_key_id: Some(format!("alias/{prefix}/deployment")),
            tenant_key_pattern: Some(format!("alias/{prefix}/tenant/{{tenant}}")),
            ledger_lock_days: 1,
            dynamodb_endpoint: Some(self.dynamodb_endpoint.clone()),
            s3_endpoint: Some(self.s3_endpoint.clone()),
        }
    }

    /// The environment a revloop process needs to use the backend of `prefix`.
    pub fn env(&self, prefix: &str) -> Vec<(String, String)> {
        let s = self.settings(prefix);
        vec![
            ("REVLOOP_STORE".into(), "aws".into()),
            ("REVLOOP_AWS_TABLE_PREFIX".into(), s.table_prefix),
            ("REVLOOP_S3_CONTENT_BUCKET".into(), s.content_bucket),
            ("REVLOOP_S3_LEDGER_BUCKET".into(), s.ledger_bucket),
            ("REVLOOP_S3_SCHEMA_BUCKET".into(), s.schema_bucket),
            (
                "REVLOOP_KMS_KEY_ID".into(),
                s.kms_key_id.unwrap_or_default(),
            ),
            (
                "REVLOOP_KMS_TENANT_KEYS".into(),
                s.tenant_key_pattern.unwrap_or_default(),
            ),
            (
                "REVLOOP_S3_LEDGER_LOCK_DAYS".into(),
                s.ledger_lock_days.to_string(),
            ),
            (
                "REVLOOP_DYNAMODB_ENDPOINT".into(),
                self.dynamodb_endpoint.clone(),
            ),
            ("REVLOOP_S3_ENDPOINT".into(), self.s3_endpoint.clone()),
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
            ("AWS_REGION".into(), REGION.into()),
        ]
    }

    /// A store on tables and buckets of its own, created now (Object Lock retention of one day,
    /// so a test's locked objects outlive the test and nothing else).
    pub async fn store(&self, prefix: &str) -> StoreResult<AwsStore> {
        let sdk = local_sdk_config().await;
        let store = AwsStore::with_sdk_config(&sdk, self.settings(prefix));
        provision(
            &store,
            LockRetention {
                ledger_days: 1,
                schema_days: 1,
            },
        )
        .await?;
        Ok(store)
    }
}

/// An SDK configuration with the local servers' static credentials.
pub async fn local_sdk_config() -> aws_config::SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        ACCESS_KEY,
        SECRET_KEY,
        None,
        None,
        "revloop-local",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(credentials)
        .region(aws_sdk_dynamodb::config::Region::new(REGION))
        .load()
        .await
}
