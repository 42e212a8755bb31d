//! Approvals typed into the real `temporal workflow signal`. Temporal access alone approves
//! nothing: a forged signal (no token, a token for another action or tenant, an expired one)
//! is recorded as refused and the wait goes on; the token `revloop approval-token` prints
//! executes the action exactly once, recorded under the token's subject. Malformed payloads are
//! refused without wedging the workflow. Payloads are JSON.

use anyhow::Context;
use revloop_activities::approval_token::ApprovalKeys;
use revloop_cli::devserver::temporal_cli;
use revloop_domain::auth::Role;
use revloop_domain::decision::ApprovalVerb;
use revloop_domain::decision::approval_token::{AUDIENCE, ApprovalTokenClaims, ISSUER};
use revloop_proto::v1 as pb;
use revloop_store::{ActionStore, EffectStore, LedgerStore, OutcomeStore};
use temporalio_common::protos::temporal::api::history::v1::history_event::Attributes;

use crate::helpers::*;

/// A token signed with the deployment's own key, as only the API should mint them: used to
/// show that the binding (action, tenant, expiry) is checked, not just the signature.
fn hand_signed(tenant: &str, action_id: &str, exp_offset_secs: i64) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = ApprovalTokenClaims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: "mallory".into(),
        tenant: tenant.into(),
        action_id: action_id.into(),
        decisions: vec![ApprovalVerb::Approve],
        snapshot_ref: None,
        iat: (now - 3600) as u64,
        exp: (now + exp_offset_secs) as u64,
        jti: "hand-made".into(),
    };
    ApprovalKeys::new(APPROVAL_KEY, &[])
        .and_then(|k| k.mint(&claims))
        .expect("minting")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporal_cli_signals_approve_after_malformed_ones_are_refused() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let workflow_id = format!("{TENANT}/approval/{}", follow_up.action_id);
    let signal = |input: &str| {
        temporal_cli(
            &env.temporal_bin,
            &env.server.address,
            &[
                "workflow",
                "signal",
                "--workflow-id",
                &workflow_id,
                "--name",
                "approve",
                "--input",
                input,
            ],
        )
    };

    // The probe's forgery: a name and no token.
    signal(r#"{"approver": "mallory-not-a-user", "reason": "forged"}"#)?;
    signal(r#"{"who": "carol"}"#)?;
    signal(r#"{"approver": 42}"#)?;
    let other_action = hand_signed(TENANT, "act-some-other-action", 600);
    signal(&format!(
        r#"{{"approver": "carol", "token": "{other_action}"}}"#
    ))?;
    let foreign_tenant = hand_signed("globex", &follow_up.action_id, 600);
    signal(&format!(
        r#"{{"approver": "carol", "token": "{foreign_tenant}"}}"#
    ))?;
    let expired = hand_signed(TENANT, &follow_up.action_id, -60);
    signal(&format!(r#"{{"approver": "carol", "token": "{expired}"}}"#))?;
    // Every refusal is recorded on the action while the workflow keeps waiting.
    let store = env.store()?;
    let refused = eventually(
        "six refused approvals",
        std::time::Duration::from_secs(60),
        || {
            let store = store.clone();
            let id = follow_up.action_id.clone();
            async move {
                let action = store.get_action(&id).await?.context("action")?;
                Ok((action.approval_events.len() == 6).then_some(action))
            }
        },
    )
    .await?;
    assert_eq!(refused.status.as_str(), "awaiting_approval");
    assert!(refused.approval_events.iter().all(|e| !e.accepted));

    // Security finding 11: a signal under a name no handler takes (the SDK drops it before
    // workflow code) is recorded in the ledger as ignored, with who sent it; nothing changes.
    temporal_cli(
        &env.temporal_bin,
        &env.server.address,
        &[
            "workflow",
            "signal",
            "--workflow-id",
            &workflow_id,
            "--name",
            "aprove",
            "--input",
            r#"{"approver": "mallory"}"#,
        ],
    )?;
    let ignored = eventually(
        "the misspelt signal in the ledger",
        std::time::Duration::from_secs(30),
        || {
            let store = store.clone();
            async move {
                let entries = store.list_entries(TENANT, 0, 10_000).await?;
                Ok(entries
                    .into_iter()
                    .find(|e| e.activity == "ignored_signal" && e.payload["signal"] == "aprove"))
            }
        },
    )
    .await?;
    assert_eq!(ignored.workflow_id, workflow_id);
    assert!(
        ignored.payload["ignored"]
            .as_str()
            .unwrap_or_default()
            .contains("it handles approve, edit, reject"),
        "{}",
        ignored.payload
    );
    assert!(
        ignored.payload.get("approver").is_none(),
        "the payload itself is not kept"
    );
    let errors: Vec<String> = refused
        .approval_events
        .iter()
        .map(|e| e.error.clone().unwrap_or_default())
        .collect();
    for (i, expected) in [
        "no approval token",
        "unknown field \"who\"",
        "must be text, found a number",
        "another action",
        "not valid for tenant acme-co",
        "expired",
    ]
    .iter()
    .enumerate()
    {
        assert!(errors[i].contains(expected), "event {i}: {}", errors[i]);
    }
    // The token is a credential: the action keeps only its id.
    assert!(
        refused.approval_events[3].payload["token"]
            .as_str()
            .unwrap_or_default()
            .starts_with("<redacted tok-"),
        "{:?}",
        refused.approval_events[3].payload
    );
    assert!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .is_empty()
    );

    // A viewer may not have a token.
    let viewer = env.revloop_cli(
        TENANT,
        &[Role::Viewer],
        &["approval-token", &follow_up.action_id],
    )?;
    assert_eq!(
        viewer.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&viewer.stderr)
    );
    assert!(String::from_utf8_lossy(&viewer.stderr).contains("lacks the approver role"));

    // The approver's token, alone on stdout, makes the plain signal count; the payload's name
    // is not what is recorded.
    let issued = env.revloop_cli(
        TENANT,
        &[Role::Approver],
        &["approval-token", &follow_up.action_id],
    )?;
    assert!(
        issued.status.success(),
        "{}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let token = String::from_utf8(issued.stdout)?.trim().to_string();
    assert_eq!(
        token.split('.').count(),
        3,
        "a JWT alone on stdout: {token}"
    );
    let approve =
        format!(r#"{{"approver": "mallory", "reason": "looks right", "token": "{token}"}}"#);
    signal(&approve)?;
    let result = env.workflow_result(&workflow_id).await?;
    assert_eq!(result["decision"], "approved");
    assert_eq!(
        result["approver"], "alice",
        "the token's subject, not the payload's name"
    );
    assert_eq!(result["invalid_signals"], 6);
    assert_eq!(result["executed"], true);
    assert_eq!(
        store
            .list_effects(TENANT, &follow_up.action_id)
            .await?
            .len(),
        1
    );
    let outcomes = store
        .list_outcomes(TENANT, Some(&follow_up.action_id))
        .await?;
    let approved = outcomes
        .iter()
        .find(|o| o.kind == "approved")
        .context("approved outcome")?;
    assert_eq!(approved.actor.as_deref(), Some("alice"));

    // Every payload in the history (start input, signals, activity inputs and results) is
    // JSON, readable as is in the Web UI.
    let mut signals = Vec::new();
    let mut payloads_seen = 0;
    for event in env.history(&workflow_id).await? {
        let payloads = match event.attributes {
            Some(Attributes::WorkflowExecutionStartedEventAttributes(a)) => a.input,
            Some(Attributes::WorkflowExecutionSignaledEventAttributes(a)) => {
                let input = a.input.context("signal payload")?;
                let first = input.payloads.first().context("signal payload")?;
                signals.push(serde_json::from_slice::<serde_json::Value>(&first.data)?);
                Some(input)
            }
            Some(Attributes::ActivityTaskScheduledEventAttributes(a)) => a.input,
            Some(Attributes::ActivityTaskCompletedEventAttributes(a)) => a.result,
            Some(Attributes::WorkflowExecutionCompletedEventAttributes(a)) => a.result,
            _ => None,
        };
        for payload in payloads.map(|p| p.payloads).unwrap_or_default() {
            assert_eq!(
                payload.metadata.get("encoding").map(|e| e.as_slice()),
                Some(b"json/plain".as_slice()),
                "event {}",
                event.event_id
            );
            serde_json::from_slice::<serde_json::Value>(&payload.data)?;
            payloads_seen += 1;
        }
    }
    assert!(
        payloads_seen >= 17,
        "start, 8 signals, 4 activities in and out, result: {payloads_seen}"
    );
    // Six refused, the misspelt one, the approval that counted.
    assert_eq!(signals.len(), 8);
    assert_eq!(signals[7]["approver"], "mallory");

    let action = client
        .actions
        .get_action(pb::GetActionRequest {
            action_id: follow_up.action_id,
        })
        .await?
        .into_inner();
    assert_eq!(action.approval_events.len(), 7);
    assert_eq!(action.status, "executed");
    Ok(())
}
