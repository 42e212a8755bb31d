//! The approval pages in a real headless Chromium: sign in with a bearer token, the feed, "why
//! this?", approve one action (it executes once, recorded under the token's subject), reject
//! another; form posts without their CSRF token or from another site are refused. The browser
//! is driven by `tests/browser/approval_page.cjs` (playwright-core); screenshots are kept in
//! `target/browser-screenshots/`.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;
use revloop_domain::auth::Role;
use revloop_store::{ActionStatus, ActionStore, EffectStore};

use crate::helpers::*;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

/// Where `make tools` put playwright-core.
fn node_modules() -> anyhow::Result<PathBuf> {
    let dir = std::env::var_os("REVLOOP_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join(".tools/node/node_modules"));
    anyhow::ensure!(
        dir.join("playwright-core").is_dir(),
        "playwright-core is not installed in {} (run `make tools`)",
        dir.display()
    );
    Ok(dir)
}

fn chromium() -> anyhow::Result<PathBuf> {
    let path = std::env::var_os("REVLOOP_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    anyhow::ensure!(
        path.is_file(),
        "no Chromium at {} (run `make tools`, which installs Debian's chromium)",
        path.display()
    );
    Ok(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_approves_and_rejects_in_a_real_browser() -> anyhow::Result<()> {
    let (modules, browser) = (node_modules()?, chromium()?);
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    // Another action awaiting a person, to reject.
    let other = action_where(&client, "a second action awaiting approval", |a| {
        a.status == "awaiting_approval" && a.action_id != follow_up.action_id
    })
    .await?;

    let shots = workspace().join("target/browser-screenshots");
    std::fs::create_dir_all(&shots)?;
    let output = Command::new("node")
        .arg(workspace().join("tests/browser/approval_page.cjs"))
        .env("NODE_PATH", &modules)
        .env("REVLOOP_CHROMIUM", &browser)
        .env("REVLOOP_WEB_URL", &env.http_url)
        .env("REVLOOP_TOKEN", env.token(TENANT, &[Role::Approver]))
        .env("REVLOOP_APPROVE_ID", &follow_up.action_id)
        .env("REVLOOP_REJECT_ID", &other.action_id)
        .env("REVLOOP_SCREENSHOTS", &shots)
        .output()
        .context("running node (tests/browser/approval_page.cjs)")?;
    anyhow::ensure!(
        output.status.success(),
        "the browser run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    for shot in ["sign-in.png", "feed.png", "why-this.png", "approved.png"] {
        let len = std::fs::metadata(shots.join(shot))
            .with_context(|| format!("screenshot {shot}"))?
            .len();
        assert!(len > 10_000, "{shot} is {len} bytes: no page in it");
    }

    // Underneath: executed once, by the page's person; the other rejected, with its reason.
    let store = env.store()?;
    let approved = store
        .get_action(&follow_up.action_id)
        .await?
        .context("approved")?;
    assert_eq!(approved.status, ActionStatus::Executed);
    let counted: Vec<_> = approved
        .approval_events
        .iter()
        .filter(|e| e.accepted)
        .collect();
    assert_eq!(counted.len(), 1, "{:?}", approved.approval_events);
    assert_eq!(
        counted[0].approver.as_deref(),
        Some("alice"),
        "the token's subject"
    );
    assert_eq!(counted[0].reason.as_deref(), Some("agenda looks right"));
    assert_eq!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .len(),
        1,
        "one effect, however the page was used"
    );
    let rejected = store
        .get_action(&other.action_id)
        .await?
        .context("rejected")?;
    assert_eq!(rejected.status, ActionStatus::Rejected);
    assert!(
        rejected
            .approval_events
            .iter()
            .any(|e| e.accepted && e.reason.as_deref() == Some("not the right moment"))
    );
    Ok(())
}
