//! Who may approve what (approval issue, item 2): the tenant's `[approval]` rules and Cedar
//! policies decide who gets an approval token. Anyone else is refused with the rule that
//! refused them, by `IssueApprovalToken` and by `ApproveAction` alike, and the action waits on.

use revloop_cli::client::ApiClient;
use revloop_domain::auth::{Claims, Role};
use revloop_proto::v1 as pb;
use tonic_types::StatusExt;

use crate::helpers::*;

/// The follow-up's account (`acme` in the fixture) is owned by this person.
const OWNER: &str = "dana@revloop.example";

async fn person(env: &TestEnv, sub: &str, groups: &[&str]) -> anyhow::Result<ApiClient> {
    let claims = revloop_cli::token::claims(TENANT, sub, &[Role::Approver], 3600)?;
    let claims = Claims {
        groups: groups.iter().map(|g| g.to_string()).collect(),
        ..claims
    };
    ApiClient::connect(&env.api_url, &revloop_cli::token::sign(SECRET, &claims)?).await
}

async fn token_for(
    client: &mut ApiClient,
    action_id: &str,
    decisions: &[&str],
) -> Result<String, tonic::Status> {
    client
        .actions
        .issue_approval_token(pb::IssueApprovalTokenRequest {
            action_id: action_id.into(),
            decisions: decisions.iter().map(|d| d.to_string()).collect(),
        })
        .await
        .map(|r| r.into_inner().token)
}

/// The refusal's code and the rule it names (in the status details, and in its message).
fn refused_by(result: Result<impl std::fmt::Debug, tonic::Status>) -> String {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), tonic::Code::PermissionDenied, "{status:?}");
    let rule = status
        .get_details_error_info()
        .and_then(|info| info.metadata.get("rule").cloned())
        .unwrap_or_default();
    assert!(status.message().contains(&rule), "{status:?}");
    rule
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_permitted_approvers_get_a_token_and_others_learn_the_rule() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut admin = env.admin().await?;
    env.ingest_fixture(&mut admin, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut admin).await?;
    let id = follow_up.action_id.clone();
    let mut alice = person(&env, "alice", &[]).await?;
    let mut maria = person(&env, "maria", &["manager"]).await?;
    let mut dana = person(&env, OWNER, &[]).await?;

    // A tenant Cedar policy: follow-ups need a manager to approve (rejecting stays open).
    set_tenant_config(
        &mut admin,
        TENANT,
        r#"
[approval]
cedar = '''
@id("follow-ups-need-a-manager")
forbid(principal, action == Revloop::Action::"approve", resource == Revloop::ActionKind::"send_follow_up")
unless { context.groups.contains("manager") };
'''
"#,
    )
    .await?;
    assert_eq!(
        refused_by(token_for(&mut alice, &id, &["approve"]).await),
        "approval.cedar: follow-ups-need-a-manager"
    );
    assert!(token_for(&mut alice, &id, &["reject"]).await.is_ok());
    assert!(token_for(&mut maria, &id, &["approve"]).await.is_ok());

    // Only the account's owner, whatever their groups; the API's own approve path refuses too.
    set_tenant_config(&mut admin, TENANT, "[approval]\nwho = \"owner\"\n").await?;
    assert_eq!(
        refused_by(token_for(&mut maria, &id, &["approve"]).await),
        "approval.who = \"owner\""
    );
    let approve = |reason: &str| pb::DecideActionRequest {
        action_id: id.clone(),
        reason: reason.into(),
    };
    assert_eq!(
        refused_by(alice.actions.approve_action(approve("not mine")).await),
        "approval.who = \"owner\""
    );
    let still = action_of(&admin, "send_follow_up", &["awaiting_approval"]).await?;
    assert_eq!(still.action_id, id, "refusals leave the action waiting");

    // The owner approves: the action executes, recorded under the owner's name.
    dana.actions.approve_action(approve("mine")).await?;
    let result = env
        .workflow_result(&format!("{TENANT}/approval/{id}"))
        .await?;
    assert_eq!(result["approver"], OWNER, "{result}");
    assert_eq!(result["executed"], true, "{result}");

    // A broken policy is refused when configured, and nothing changes.
    let broken = admin
        .tenants
        .set_tenant_config(pb::SetTenantConfigRequest {
            tenant_id: TENANT.into(),
            config_toml: "[approval]\nwho = \"managers\"\n".into(),
        })
        .await
        .expect_err("refused");
    assert_eq!(broken.code(), tonic::Code::InvalidArgument);
    assert!(broken.message().contains("group:<name>"), "{broken:?}");
    Ok(())
}
