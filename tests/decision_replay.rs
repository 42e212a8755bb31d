//! `revloop decision replay`: a decision re-checked without its model. Unchanged, it prints
//! `identical`; after the tenant denies an action kind, it shows what the validators would
//! decide now and where the action would go.

use revloop_domain::auth::Role;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_is_identical_until_the_policy_changes_and_then_says_what_differs()
-> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    env.ingest_fixture(&mut client, "meeting_prep.jsonl", TENANT)
        .await?;
    let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
    let decision_id = follow_up.decision_id.clone();
    assert!(
        decision_id.starts_with(&format!("{TENANT}/decision/")),
        "{decision_id}"
    );

    let replay =
        |roles: &[Role]| env.revloop_cli(TENANT, roles, &["decision", "replay", &decision_id]);
    let same = replay(&[Role::Viewer])?;
    let text = String::from_utf8_lossy(&same.stdout);
    assert_eq!(
        same.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&same.stderr)
    );
    assert!(
        text.starts_with(&format!("identical: {decision_id}")),
        "{text}"
    );

    set_tenant_config(
        &mut client,
        TENANT,
        "[governance.compliance]\ndenied_actions = [\"send_follow_up\"]\n",
    )
    .await?;
    let changed = replay(&[Role::Viewer])?;
    let text = String::from_utf8_lossy(&changed.stdout);
    assert_eq!(changed.status.code(), Some(1), "{text}");
    let id = &follow_up.action_id;
    assert!(
        text.contains(&format!("{id}: compliance ALLOW → BLOCK")),
        "{text}"
    );
    assert!(
        text.contains(&format!("{id}: routed to approval then, to blocked now")),
        "{text}"
    );

    // Another tenant's decision is not found, and nothing was recorded by replaying.
    let foreign = env.revloop_cli(
        "globex",
        &[Role::Viewer],
        &["decision", "replay", &decision_id],
    )?;
    assert_ne!(foreign.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&foreign.stderr).contains("not found"));
    let still = action_of(&client, "send_follow_up", &["awaiting_approval"]).await?;
    assert_eq!(
        still.action_id, follow_up.action_id,
        "replay changes nothing"
    );
    Ok(())
}
