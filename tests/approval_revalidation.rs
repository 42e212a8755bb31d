//! An approval is bound to what the approver saw: when the account changes before the action
//! runs (the recipient leaves), or an edit adds what no customer may receive (a card number),
//! the validators run again before execution and a BLOCK stops it; nothing is sent.

use std::time::Duration;

use anyhow::Context;
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, EffectStore};

use crate::helpers::*;

async fn settled(env: &TestEnv, action_id: &str) -> anyhow::Result<revloop_store::ActionRecord> {
    let store = env.store()?;
    eventually(
        &format!("{action_id} settled"),
        Duration::from_secs(60),
        || {
            let store = store.clone();
            let id = action_id.to_string();
            async move {
                let a = store.get_action(&id).await?.context("action")?;
                Ok(a.status.is_settled().then_some(a))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_recipient_or_an_edited_card_number_blocks_after_approval() -> anyhow::Result<()>
{
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let introduction = action_of(&client, "send_email", &["awaiting_approval"]).await?;

    // After the approval opened, Maria (the follow-up's recipient) leaves the account.
    let left = r#"{"type":"contact","id":"acme-p1","account_id":"acme","updated_at":"{{now}}","name":"Maria Lopez","title":"Director of Operations","email":"maria@acme.example","role":"champion","is_primary":true,"active":false}"#;
    let jsonl = revloop_cli::fixtures::render(left, chrono::Utc::now())?;
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: TENANT.into(),
            jsonl,
            source: "crm".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    env.workflow_result(&ingested.workflow_id).await?;

    client
        .actions
        .approve_action(pb::DecideActionRequest {
            action_id: follow_up.action_id.clone(),
            reason: "looks right".into(),
        })
        .await?;
    let approval = env
        .workflow_result(&format!("{TENANT}/approval/{}", follow_up.action_id))
        .await?;
    assert_eq!(approval["decision"], "approved");
    assert_eq!(approval["executed"], false, "{approval}");
    let blocked = settled(&env, &follow_up.action_id).await?;
    assert_eq!(blocked.status.as_str(), "blocked");
    let why = blocked
        .validations
        .iter()
        .flat_map(|o| &o.results)
        .find(|r| r.validator == "recipient_current")
        .context("the recipient was checked again")?;
    assert!(why.reason.contains("no longer active"), "{}", why.reason);
    let store = env.store()?;
    assert!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .is_empty()
    );

    // An edit that adds a card number is re-validated too, and blocked.
    client
        .actions
        .edit_action(pb::EditActionRequest {
            action_id: introduction.action_id.clone(),
            reason: "add the card".into(),
            changes: [(
                "body".to_string(),
                "Please charge card 4111 1111 1111 1111.".to_string(),
            )]
            .into(),
        })
        .await?;
    let edited = settled(&env, &introduction.action_id).await?;
    assert_eq!(edited.status.as_str(), "blocked");
    let pii = edited
        .validations
        .iter()
        .flat_map(|o| &o.results)
        .find(|r| r.validator == "compliance" && r.reason.contains("card"));
    assert!(pii.is_some(), "{:?}", edited.validations);
    assert!(
        store
            .list_effects(TENANT, &introduction.action_id)
            .await?
            .is_empty()
    );
    Ok(())
}
