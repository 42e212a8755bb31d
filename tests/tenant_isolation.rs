//! No token reads or changes another tenant's data; only approvers approve.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

use crate::helpers::*;

fn denied<T: std::fmt::Debug>(result: Result<T, tonic::Status>, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(
        status.code(),
        tonic::Code::PermissionDenied,
        "{what}: {status:?}"
    );
}

/// Another tenant's action is answered as if it did not exist: its id tells nothing.
fn not_found<T: std::fmt::Debug>(result: Result<T, tonic::Status>, what: &str) {
    let status = result.expect_err(what);
    assert_eq!(status.code(), tonic::Code::NotFound, "{what}: {status:?}");
    assert!(!status.message().contains("tenant"), "{what}: {status:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_confined_to_their_tenant_and_role() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut owner = env.admin().await?;
    env.ingest_fixture(&mut owner, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut owner).await?;

    let mut other = env.client("other-co", &[Role::Admin]).await?;
    denied(
        other
            .actions
            .list_actions(pb::ListActionsRequest {
                tenant_id: TENANT.into(),
                ..Default::default()
            })
            .await,
        "listing another tenant's actions",
    );
    not_found(
        other
            .actions
            .get_action(pb::GetActionRequest {
                action_id: follow_up.action_id.clone(),
            })
            .await,
        "reading another tenant's action",
    );
    not_found(
        other
            .actions
            .approve_action(pb::DecideActionRequest {
                action_id: follow_up.action_id.clone(),
                reason: String::new(),
            })
            .await,
        "approving another tenant's action",
    );
    not_found(
        other
            .actions
            .issue_approval_token(pb::IssueApprovalTokenRequest {
                action_id: follow_up.action_id.clone(),
                decisions: Vec::new(),
            })
            .await,
        "asking for a token for another tenant's action",
    );
    denied(
        other
            .ledger
            .list_ledger_entries(pb::ListLedgerEntriesRequest {
                tenant_id: TENANT.into(),
                ..Default::default()
            })
            .await,
        "reading another tenant's ledger",
    );
    let own = other
        .actions
        .list_actions(pb::ListActionsRequest::default())
        .await?
        .into_inner()
        .actions;
    assert!(
        own.is_empty(),
        "the other tenant sees none of these actions"
    );

    let mut viewer = env.client(TENANT, &[Role::Viewer]).await?;
    assert!(
        viewer
            .actions
            .get_action(pb::GetActionRequest {
                action_id: follow_up.action_id.clone()
            })
            .await
            .is_ok()
    );
    denied(
        viewer
            .actions
            .approve_action(pb::DecideActionRequest {
                action_id: follow_up.action_id.clone(),
                reason: String::new(),
            })
            .await,
        "approving without the approver role",
    );
    denied(
        viewer
            .actions
            .reject_action(pb::DecideActionRequest {
                action_id: follow_up.action_id.clone(),
                reason: String::new(),
            })
            .await,
        "rejecting without the approver role",
    );

    let mut forged = revloop_cli::client::ApiClient::connect(
        &env.api_url,
        &revloop_cli::token::mint(
            "not-the-secret-at-all",
            TENANT,
            "mallory",
            &[Role::Admin],
            600,
        )?,
    )
    .await?;
    let status = forged
        .actions
        .list_actions(pb::ListActionsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let out = env.revloop_cli(
        "other-co",
        &[Role::Admin],
        &["approve", &follow_up.action_id],
    )?;
    // Not found, as for an id that does not exist.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("NotFound"));

    let still = owner
        .actions
        .get_action(pb::GetActionRequest {
            action_id: follow_up.action_id,
        })
        .await?
        .into_inner();
    assert_eq!(still.status, "awaiting_approval");
    assert!(
        still.approval_events.is_empty(),
        "no refused call reached the workflow"
    );
    Ok(())
}
