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

/// Runs one of `tests/browser/`'s scripts against the env's HTTP listener, signed in with
/// `token`; fails with what the browser run printed.
fn run_browser(
    script: &str,
    env: &TestEnv,
    token: &str,
    vars: &[(&str, &str)],
) -> anyhow::Result<()> {
    let output = Command::new("node")
        .arg(workspace().join("tests/browser").join(script))
        .env("NODE_PATH", node_modules()?)
        .env("REVLOOP_CHROMIUM", chromium()?)
        .env("REVLOOP_WEB_URL", &env.http_url)
        .env("REVLOOP_TOKEN", token)
        .envs(vars.iter().copied())
        .output()
        .with_context(|| format!("running node (tests/browser/{script})"))?;
    anyhow::ensure!(
        output.status.success(),
        "the browser run failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_approves_and_rejects_in_a_real_browser() -> anyhow::Result<()> {
    // Fail at once, naming the missing tool, rather than after the env is up.
    node_modules()?;
    chromium()?;
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
    let token = env.token(TENANT, &[Role::Approver]);
    run_browser(
        "approval_page.cjs",
        &env,
        &token,
        &[
            ("REVLOOP_APPROVE_ID", &follow_up.action_id),
            ("REVLOOP_REJECT_ID", &other.action_id),
            ("REVLOOP_SCREENSHOTS", &shots.display().to_string()),
        ],
    )?;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_question_is_answered_on_its_page_and_the_decision_runs_again() -> anyhow::Result<()> {
    node_modules()?;
    chromium()?;
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let question = crate::clarifications::disputed_renewal(&env, &mut client).await?;
    // The CRM's date, chosen on the page by the person the question is asked of.
    let owner = revloop_cli::token::mint(SECRET, TENANT, "sam", &[Role::Viewer], 600)?;
    run_browser(
        "question_page.cjs",
        &env,
        &owner,
        &[
            ("REVLOOP_QUESTION_ID", &question.question_id),
            ("REVLOOP_CHOICE", "from salesforce"),
        ],
    )?;
    let result = env.workflow_result(&question.workflow_id).await?;
    assert_eq!(result["answered"], 1, "{result}");
    assert_eq!(
        result["redecision"]["message"], "ACTION_PROPOSALS",
        "{result}"
    );
    let listed = client
        .questions
        .list_questions(revloop_proto::v1::ListQuestionsRequest {
            include_settled: true,
            ..Default::default()
        })
        .await?
        .into_inner()
        .questions;
    let answered = listed
        .iter()
        .find(|q| q.question_id == question.question_id)
        .context("the question")?;
    assert_eq!(
        answered.answered_by, "sam",
        "the page's person, from their token"
    );
    assert!(
        question
            .options
            .iter()
            .any(|o| o.source == "salesforce" && o.value_json == answered.answer_json),
        "the chosen source's value: {answered:?}"
    );
    Ok(())
}
