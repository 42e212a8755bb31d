//! Stopping on a signal, the way Kubernetes stops a pod: the first SIGTERM (or Ctrl-C) asks the
//! process to finish what it is doing; a second one ends it at once.

use tokio::sync::watch;

/// Exit status after a second stop signal: 128 + SIGTERM, what a shell reports for a kill.
pub const FORCED_EXIT_CODE: i32 = 143;

/// Cloneable handle that resolves once a stop was asked for. Every server and loop of a process
/// waits on the same one, so one SIGTERM drains them all.
#[derive(Clone)]
pub struct StopSignal {
    stopping: watch::Receiver<bool>,
    /// Keeps a sender alive for `never()`, whose channel has no signal task.
    _sender: Option<std::sync::Arc<watch::Sender<bool>>>,
}

impl StopSignal {
    /// Installs the SIGTERM and Ctrl-C handlers. Call once per process, inside the runtime.
    pub fn install(process: &'static str) -> std::io::Result<Self> {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let (tx, rx) = watch::channel(false);
        tokio::spawn(async move {
            let mut asked = 0u32;
            loop {
                tokio::select! {
                    got = term.recv() => if got.is_none() { return },
                    got = tokio::signal::ctrl_c() => if got.is_err() { return },
                }
                asked += 1;
                if asked == 1 {
                    tracing::info!(
                        process,
                        "stop asked: finishing running work (a second signal exits at once)"
                    );
                    let _ = tx.send(true);
                } else {
                    tracing::warn!(process, "second stop signal: exiting now");
                    std::process::exit(FORCED_EXIT_CODE);
                }
            }
        });
        Ok(Self {
            stopping: rx,
            _sender: None,
        })
    }

    /// A signal that never fires (tests, one-shot commands).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        Self {
            stopping: rx,
            _sender: Some(std::sync::Arc::new(tx)),
        }
    }

    /// Resolves when a stop was asked for (at once if it already was).
    pub async fn requested(mut self) {
        let _ = self.stopping.wait_for(|stopping| *stopping).await;
    }

    pub fn is_requested(&self) -> bool {
        *self.stopping.borrow()
    }
}
