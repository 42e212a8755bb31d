//! "What should I do next?": `revloop next ACCOUNT` and `AskNextActions` answer with the
//! account's ranked proposals through the AccountWorkflow's `next_best_actions` Update. It is
//! a question, not a decision: nothing new is proposed for approval; the question and the
//! answer are ledgered as INTENT.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_store::LedgerStore;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_returns_ranked_proposals_through_the_update_and_creates_nothing() -> anyhow::Result<()>
{
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    // The account's first decision has run: its AccountWorkflow is there to ask.
    env.follow_up_awaiting_approval(&mut client).await?;
    let count_actions = |client: &mut revloop_cli::client::ApiClient| {
        let mut client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .actions
                    .list_actions(pb::ListActionsRequest::default())
                    .await?
                    .into_inner()
                    .actions
                    .len(),
            )
        }
    };
    let before = count_actions(&mut client).await?;

    let out = env.revloop_cli(TENANT, &[Role::Viewer], &["--json", "next", "acme"])?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(answer["message"], "ACTION_PROPOSALS", "{answer}");
    let proposals = answer["proposals"].as_array().unwrap();
    assert!(!proposals.is_empty(), "{answer}");
    for (i, p) in proposals.iter().enumerate() {
        assert_eq!(p["rank"], (i + 1) as u64, "ranked 1..n: {answer}");
        assert!(!p["why_now"].as_str().unwrap_or_default().is_empty(), "{p}");
    }
    assert!(
        proposals.iter().any(|p| p["kind"] == "attach_brief"),
        "{answer}"
    );

    // The question and its answer are in the ledger, under the asker.
    let seq = answer["ledger_seq"].as_u64().unwrap();
    let entries = env.store()?.list_entries(TENANT, seq - 1, 1).await?;
    assert_eq!(serde_json::to_value(entries[0].kind)?, "INTENT");
    assert_eq!(entries[0].payload["asked_by"], "alice");
    assert_eq!(entries[0].payload["question"], "next_best_actions");
    assert_eq!(
        count_actions(&mut client).await?,
        before,
        "a question creates no action"
    );

    // Plain text for a person, too.
    let text = env.revloop_cli(TENANT, &[Role::Viewer], &["next", "acme"])?;
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.starts_with("acme: ACTION_PROPOSALS from "), "{text}");
    assert!(text.contains("1. "), "{text}");

    // An account with no workflow yet, and a name that is no account id.
    let missing = client
        .actions
        .ask_next_actions(pb::AskNextActionsRequest {
            tenant_id: String::new(),
            account_id: "never-seen".into(),
        })
        .await
        .expect_err("no AccountWorkflow");
    assert_eq!(
        missing.code(),
        tonic::Code::FailedPrecondition,
        "{missing:?}"
    );
    let bad = client
        .actions
        .ask_next_actions(pb::AskNextActionsRequest {
            tenant_id: String::new(),
            account_id: "../acme".into(),
        })
        .await
        .expect_err("not an account id");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument, "{bad:?}");

    // The account's history, with the Update in it, replays through the current code, and is
    // kept as a replay fixture when `REVLOOP_RECORD_HISTORIES` names a directory.
    env.replay_and_record(
        &format!("{TENANT}/account/acme"),
        "account-next-actions.json",
    )
    .await?;
    Ok(())
}
