//! Child processes that are always stopped: SIGTERM first (graceful shutdown), SIGKILL if they
//! do not exit in time, and on drop.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

pub struct ManagedChild {
    pub name: String,
    child: Option<Child>,
    pub log_file: PathBuf,
}

impl ManagedChild {
    /// Starts `cmd` with stdout and stderr appended to `log_file`.
    pub fn spawn(name: &str, mut cmd: Command, log_file: &Path) -> anyhow::Result<Self> {
        if let Some(dir) = log_file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let log = File::options()
            .create(true)
            .append(true)
            .open(log_file)
            .with_context(|| format!("opening {}", log_file.display()))?;
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {name} ({:?})", cmd.get_program()))?;
        Ok(Self {
            name: name.to_string(),
            child: Some(child),
            log_file: log_file.to_path_buf(),
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(|c| c.id())
    }

    /// Whether the process has exited (and reaps it if so).
    pub fn has_exited(&mut self) -> bool {
        matches!(
            self.child.as_mut().map(|c| c.try_wait()),
            Some(Ok(Some(_))) | None
        )
    }

    /// Kills at once, as a crash would (SIGKILL).
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends one SIGTERM and leaves the process to stop by itself.
    pub fn terminate(&self) {
        if let Some(child) = &self.child {
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        }
    }

    /// Waits up to `timeout` for the process to exit; its status, or `None` if it still runs.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then SIGKILL after 15 s.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for ManagedChild {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A binary built beside the running one (`target/debug/<name>`), also from test binaries
/// that live one level deeper (`target/debug/deps`).
/// A child that is started again when it dies, as a supervisor would (the demo's worker: a
/// crashed worker loses nothing, since Temporal holds its work, so starting a new one is all it
/// takes). Gives up after [`Restartable::MAX_RESTARTS`] restarts.
pub struct Restartable {
    make: Box<dyn Fn() -> Command + Send>,
    child: ManagedChild,
    restarts: u32,
}

impl Restartable {
    pub const MAX_RESTARTS: u32 = 10;

    /// Starts the process `make` builds; the same builder starts every later one.
    pub fn spawn(
        name: &str,
        make: impl Fn() -> Command + Send + 'static,
        log_file: &Path,
    ) -> anyhow::Result<Self> {
        let child = ManagedChild::spawn(name, make(), log_file)?;
        Ok(Self {
            make: Box::new(make),
            child,
            restarts: 0,
        })
    }

    pub fn child(&mut self) -> &mut ManagedChild {
        &mut self.child
    }

    pub fn restarts(&self) -> u32 {
        self.restarts
    }

    /// Starts the process again if it has exited; `Ok(true)` when it did.
    pub fn keep_alive(&mut self) -> anyhow::Result<bool> {
        if !self.child.has_exited() {
            return Ok(false);
        }
        if self.restarts >= Self::MAX_RESTARTS {
            anyhow::bail!(
                "{} exited {} times; see {}",
                self.child.name,
                self.restarts + 1,
                self.child.log_file.display()
            );
        }
        let (name, log) = (self.child.name.clone(), self.child.log_file.clone());
        self.child = ManagedChild::spawn(&name, (self.make)(), &log)?;
        self.restarts += 1;
        Ok(true)
    }
}

pub fn sibling_binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent().map(Path::to_path_buf);
    while let Some(d) = dir {
        let candidate = d.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent().map(Path::to_path_buf);
        if dir.as_ref().is_some_and(|d| d.join("Cargo.toml").exists()) {
            break;
        }
    }
    anyhow::bail!(
        "{name} was not found beside {}: build it first (`cargo build --workspace --bins`)",
        exe.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_that_dies_is_started_again_until_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("child.log");
        let mut proc = Restartable::spawn(
            "sleeper",
            || {
                let mut c = Command::new("sleep");
                c.arg("30");
                c
            },
            &log,
        )
        .unwrap();
        assert!(!proc.keep_alive().unwrap(), "alive: nothing to do");
        let first = proc.child().pid();
        proc.child().kill_hard();
        assert!(proc.keep_alive().unwrap(), "dead: started again");
        assert_ne!(proc.child().pid(), first);
        assert!(!proc.child().has_exited());
        assert_eq!(proc.restarts(), 1);
        for _ in 1..Restartable::MAX_RESTARTS {
            proc.child().kill_hard();
            proc.keep_alive().unwrap();
        }
        proc.child().kill_hard();
        assert!(
            proc.keep_alive()
                .unwrap_err()
                .to_string()
                .contains("exited 11 times")
        );
    }
}
