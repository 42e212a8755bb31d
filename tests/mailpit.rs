//! Mailpit (MIT), the real SMTP server the email tests send to, on loopback: its SMTP port,
//! its HTTP API (what it received), and its chaos triggers (refusals on demand).

use std::process::Command;
use std::time::Duration;

use revloop_cli::devserver::free_port;
use revloop_cli::procs::ManagedChild;
use serde_json::Value;

use crate::helpers::eventually;

/// A Mailpit on loopback: its SMTP port and its HTTP API.
pub struct Mailpit {
    _process: ManagedChild,
    pub smtp_port: u16,
    pub api: String,
}

impl Mailpit {
    /// Starts one; with `chaos`, its refusals can be switched on ([`Mailpit::refuse_recipients`]).
    pub fn start(dir: &std::path::Path, chaos: bool) -> anyhow::Result<Self> {
        let bin = std::env::var("REVLOOP_MAILPIT_BIN").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/bin/mailpit").into()
        });
        anyhow::ensure!(
            std::path::Path::new(&bin).is_file(),
            "Mailpit not found at {bin}: run `make tools` or set REVLOOP_MAILPIT_BIN"
        );
        let (smtp_port, http_port) = (free_port()?, free_port()?);
        let mut cmd = Command::new(bin);
        cmd.args([
            "--smtp",
            &format!("127.0.0.1:{smtp_port}"),
            "--listen",
            &format!("127.0.0.1:{http_port}"),
            "--disable-version-check",
            "--database",
            &dir.join("mailpit.db").display().to_string(),
        ]);
        if chaos {
            cmd.arg("--enable-chaos");
        }
        let process = ManagedChild::spawn("mailpit", cmd, &dir.join("mailpit.log"))?;
        Ok(Self {
            _process: process,
            smtp_port,
            api: format!("http://127.0.0.1:{http_port}/api/v1"),
        })
    }

    /// Waits for a message whose subject starts with `subject`; returns its summary.
    pub async fn message(&self, subject: &str) -> anyhow::Result<Value> {
        eventually(
            &format!("mail {subject:?}"),
            Duration::from_secs(60),
            || async {
                let listed: Value = reqwest::get(format!("{}/messages", self.api))
                    .await?
                    .json()
                    .await?;
                Ok(listed["messages"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|m| {
                        m["Subject"]
                            .as_str()
                            .is_some_and(|s| s.starts_with(subject))
                    })
                    .cloned())
            },
        )
        .await
    }

    /// Every message received, newest first (the summaries).
    pub async fn messages(&self) -> anyhow::Result<Vec<Value>> {
        let listed: Value = reqwest::get(format!("{}/messages", self.api))
            .await?
            .json()
            .await?;
        Ok(listed["messages"].as_array().cloned().unwrap_or_default())
    }

    /// One message whole: headers, text, attachments.
    pub async fn full(&self, id: &str) -> anyhow::Result<Value> {
        Ok(reqwest::get(format!("{}/message/{id}", self.api))
            .await?
            .json()
            .await?)
    }

    /// One part of a message (an attachment), as text.
    pub async fn part(&self, id: &str, part_id: &str) -> anyhow::Result<String> {
        Ok(
            reqwest::get(format!("{}/message/{id}/part/{part_id}", self.api))
                .await?
                .text()
                .await?,
        )
    }

    /// Refuses every recipient with a 451 (try again later) while `on`.
    pub async fn refuse_recipients(&self, on: bool) -> anyhow::Result<()> {
        let body = serde_json::json!({"Recipient": {"ErrorCode": 451, "Probability": if on { 100 } else { 0 }}});
        let status = reqwest::Client::new()
            .put(format!("{}/chaos", self.api))
            .json(&body)
            .send()
            .await?
            .status();
        anyhow::ensure!(status.is_success(), "Mailpit chaos: {status}");
        Ok(())
    }
}

/// A moment for mail that should not come to arrive, if it were coming.
pub async fn settle() {
    tokio::time::sleep(Duration::from_secs(2)).await;
}
