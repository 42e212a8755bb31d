use revloop_cli::client::ApiClient;
use revloop_cli::output::{action_detail, action_line, delivery, explanation_text, in_outbox};
use revloop_proto::v1 as pb;

use super::{ApiError, print_json, print_token};

pub async fn list(
    mut client: ApiClient,
    status: &str,
    limit: u32,
    json: bool,
) -> anyhow::Result<i32> {
    let request = pb::ListActionsRequest {
        tenant_id: String::new(),
        status: status.to_string(),
        limit,
        page_token: String::new(),
    };
    let page = client
        .actions
        .list_actions(request)
        .await
        .map_err(ApiError::from)?
        .into_inner();
    let actions = page.actions;
    if !page.next_page_token.is_empty() {
        eprintln!(
            "showing the first {} actions (most urgent first); more wait",
            actions.len()
        );
    }
    if json {
        print_json(&actions)?;
    } else if actions.is_empty() {
        println!("no actions");
    } else {
        for a in &actions {
            println!("{}", action_line(a));
        }
    }
    Ok(0)
}

pub async fn undo(
    mut client: ApiClient,
    action_id: &str,
    reason: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let undone = client
        .actions
        .undo_action(pb::UndoActionRequest {
            action_id: action_id.to_string(),
            reason: reason.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&undone)?;
    } else {
        println!(
            "{} undone: {} (workflow {})",
            undone.action_id, undone.effect, undone.workflow_id
        );
    }
    Ok(0)
}

/// Every executed action, page by page, keeping those whose effect is in revloop's outbox.
pub async fn outbox(mut client: ApiClient, json: bool) -> anyhow::Result<i32> {
    let mut queued = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .actions
            .list_actions(pb::ListActionsRequest {
                tenant_id: String::new(),
                status: "executed".into(),
                limit: 200,
                page_token: page_token.clone(),
            })
            .await
            .map_err(ApiError::from)?
            .into_inner();
        queued.extend(page.actions.into_iter().filter(in_outbox));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    queued.sort_by(|a, b| a.updated_at.cmp(&b.updated_at));
    if json {
        print_json(&queued)?;
    } else if queued.is_empty() {
        println!("revloop's outbox is empty");
    } else {
        println!("{} action(s) in revloop's outbox:", queued.len());
        for a in &queued {
            println!(
                "{}  {} on {}: {}\n    {}",
                a.action_id,
                a.kind,
                a.account_id,
                a.title,
                delivery(a).unwrap_or_default()
            );
        }
    }
    Ok(0)
}

pub async fn show(mut client: ApiClient, action_id: &str, json: bool) -> anyhow::Result<i32> {
    let action = client
        .actions
        .get_action(pb::GetActionRequest {
            action_id: action_id.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&action)?;
    } else {
        println!("{}", action_detail(&action));
    }
    Ok(0)
}

pub async fn why(mut client: ApiClient, action_id: &str, json: bool) -> anyhow::Result<i32> {
    let explanation = client
        .actions
        .explain_action(pb::ExplainActionRequest {
            action_id: action_id.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&explanation)?;
    } else {
        println!("{}", explanation_text(&explanation));
    }
    Ok(0)
}

fn report(response: pb::DecideActionResponse, json: bool) -> anyhow::Result<i32> {
    if json {
        print_json(&response)?;
    } else {
        println!("sent {} to {}", response.signal, response.workflow_id);
    }
    Ok(0)
}

/// Approves (`approve == true`) or rejects an action.
pub async fn decide(
    mut client: ApiClient,
    action_id: &str,
    reason: &str,
    approve: bool,
    json: bool,
) -> anyhow::Result<i32> {
    let request = pb::DecideActionRequest {
        action_id: action_id.to_string(),
        reason: reason.to_string(),
    };
    let sent = if approve {
        client.actions.approve_action(request).await
    } else {
        client.actions.reject_action(request).await
    };
    report(sent.map_err(ApiError::from)?.into_inner(), json)
}

/// Prints an approval token alone on stdout (or the whole answer as JSON), so that
/// `--input "{\"token\": \"$(revloop approval-token …)\"}"` works.
pub async fn approval_token(
    mut client: ApiClient,
    action_id: &str,
    decisions: &[String],
    json: bool,
) -> anyhow::Result<i32> {
    let issued = client
        .actions
        .issue_approval_token(pb::IssueApprovalTokenRequest {
            action_id: action_id.to_string(),
            decisions: decisions.to_vec(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    print_token(
        json,
        &issued.token,
        &format!("approval token for {}", issued.action_id),
        &issued.approver,
        &issued.expires_at,
        &issued.workflow_id,
        serde_json::json!({
            "token": issued.token,
            "action_id": issued.action_id,
            "approver": issued.approver,
            "expires_at": issued.expires_at,
            "workflow_id": issued.workflow_id,
        }),
    )?;
    Ok(0)
}

pub async fn edit(
    mut client: ApiClient,
    action_id: &str,
    changes: &[String],
    reason: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let mut map = std::collections::HashMap::new();
    for change in changes {
        let (k, v) = change
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--set {change:?}: expected PARAM=VALUE"))?;
        map.insert(k.trim().to_string(), v.to_string());
    }
    let request = pb::EditActionRequest {
        action_id: action_id.to_string(),
        reason: reason.to_string(),
        changes: map,
    };
    report(
        client
            .actions
            .edit_action(request)
            .await
            .map_err(ApiError::from)?
            .into_inner(),
        json,
    )
}

pub async fn next(mut client: ApiClient, account: &str, json: bool) -> anyhow::Result<i32> {
    let answer = client
        .actions
        .ask_next_actions(pb::AskNextActionsRequest {
            tenant_id: String::new(),
            account_id: account.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&answer)?;
        return Ok(0);
    }
    println!(
        "{}: {} from {} current signal(s) ({}), ledger #{}",
        answer.account_id, answer.message, answer.signal_count, answer.model, answer.ledger_seq
    );
    if !answer.reason.is_empty() {
        println!("  {}", answer.reason);
    }
    for p in &answer.proposals {
        let approval = if p.requires_approval {
            ", needs approval"
        } else {
            ""
        };
        println!(
            "  {}. {} ({:.2}{approval}): {}",
            p.rank, p.kind, p.confidence, p.why_now
        );
    }
    Ok(0)
}

#[derive(Debug, clap::Subcommand)]
pub enum DecisionCommand {
    /// Re-run a decision's protocol check, validators and routing on its recorded model answer
    /// and snapshot, under today's policy; prints `identical` or what differs (exit code 1).
    Replay { decision_id: String },
}

pub async fn replay(mut client: ApiClient, decision_id: &str, json: bool) -> anyhow::Result<i32> {
    let report = client
        .actions
        .replay_decision(pb::ReplayDecisionRequest {
            decision_id: decision_id.to_string(),
        })
        .await
        .map_err(ApiError::from)?
        .into_inner();
    if json {
        print_json(&report)?;
    } else if report.identical {
        println!(
            "identical: {} ({} from {}, {} proposal(s))",
            report.decision_id, report.message, report.model, report.proposals
        );
    } else {
        println!("{} differs:", report.decision_id);
        for d in &report.differences {
            println!("  {d}");
        }
    }
    Ok(if report.identical { 0 } else { 1 })
}
