//! `revloop plans …`: multi-step plans, and the commands a person gives them.

use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_domain::decision::plan::PlanCommand;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

#[derive(Debug, Subcommand)]
pub enum PlansCommand {
    /// The tenant's plans, newest first, with their status and progress.
    List {
        /// Only plans in this status (proposed, held, approved, running, paused, completed,
        /// aborted, failed).
        #[arg(long, default_value = "")]
        status: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One plan: its steps with their status, the commands it received, why it ended.
    Show { plan_id: String },
    /// Approve the whole plan, or `--step N` under per-step approval.
    Approve {
        plan_id: String,
        #[arg(long)]
        step: Option<u32>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Reject the whole plan, or the step waiting for approval (`--step N`): the plan ends.
    Reject {
        plan_id: String,
        #[arg(long)]
        step: Option<u32>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Hold the plan before its next step (a running step finishes).
    Pause {
        plan_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Continue a paused plan.
    Resume {
        plan_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Stop the plan; the steps that ran are compensated, last first.
    Abort {
        plan_id: String,
        #[arg(long, default_value = "")]
        reason: String,
    },
}

fn progress(p: &pb::Plan) -> String {
    let done = p.steps.iter().filter(|s| s.status == "executed").count();
    format!("{done}/{} steps", p.steps.len())
}

fn plan_line(p: &pb::Plan) -> String {
    let mut line = format!(
        "{}  {:<9}  {}  {}  ({})",
        p.plan_id,
        p.status,
        p.account_id,
        p.title,
        progress(p)
    );
    if !p.held_by.is_empty() {
        line.push_str(&format!("  held by plan {}", p.held_by));
    }
    if !p.reason.is_empty() {
        line.push_str(&format!("  — {}", p.reason));
    }
    line
}

fn plan_detail(p: &pb::Plan) -> String {
    let mut out = vec![
        format!("plan {} [{}] {}", p.plan_id, p.status, p.title),
        format!("  account: {}", p.account_id),
        format!("  why now: {}", p.why_now),
        format!("  approval: {}", p.approval),
        format!("  workflow: {}", p.workflow_id),
    ];
    if !p.held_by.is_empty() {
        out.push(format!(
            "  held: plan {} touches the same field or contact ({})",
            p.held_by,
            p.touches.join(", ")
        ));
    }
    if !p.reason.is_empty() {
        out.push(format!("  ended: {}", p.reason));
    }
    out.push("  steps:".into());
    for s in &p.steps {
        let approval = if s.needs_approval {
            ", needs approval"
        } else {
            ""
        };
        let mut line = format!(
            "    {}. [{}] {} — {} ({}{approval})",
            s.step, s.status, s.title, s.kind, s.action_id
        );
        if !s.detail.is_empty() {
            line.push_str(&format!(": {}", s.detail));
        }
        out.push(line);
    }
    if !p.events.is_empty() {
        out.push("  commands:".into());
        for e in &p.events {
            let step = if e.step > 0 {
                format!(" step {}", e.step)
            } else {
                String::new()
            };
            let verdict = if e.accepted {
                format!("by {}", e.by)
            } else {
                format!("refused: {}", e.error)
            };
            out.push(format!("    {} {}{step} {verdict}", e.at, e.command));
        }
    }
    out.join("\n")
}

pub async fn run(mut client: ApiClient, cmd: &PlansCommand, json: bool) -> anyhow::Result<i32> {
    let (plan_id, step, reason, verb) = match cmd {
        PlansCommand::List { status, limit } => {
            let plans = client
                .plans
                .list_plans(pb::ListPlansRequest {
                    status: status.clone(),
                    limit: *limit,
                    ..Default::default()
                })
                .await
                .map_err(ApiError::from)?
                .into_inner()
                .plans;
            if json {
                print_json(&plans)?;
            } else if plans.is_empty() {
                println!("no plans");
            } else {
                for p in &plans {
                    println!("{}", plan_line(p));
                }
            }
            return Ok(0);
        }
        PlansCommand::Show { plan_id } => {
            let plan = client
                .plans
                .get_plan(pb::GetPlanRequest {
                    plan_id: plan_id.clone(),
                })
                .await
                .map_err(ApiError::from)?
                .into_inner();
            if json {
                print_json(&plan)?;
            } else {
                println!("{}", plan_detail(&plan));
            }
            return Ok(0);
        }
        PlansCommand::Approve {
            plan_id,
            step,
            reason,
        } => (plan_id, *step, reason, PlanCommand::Approve),
        PlansCommand::Reject {
            plan_id,
            step,
            reason,
        } => (plan_id, *step, reason, PlanCommand::Reject),
        PlansCommand::Pause { plan_id, reason } => (plan_id, None, reason, PlanCommand::Pause),
        PlansCommand::Resume { plan_id, reason } => (plan_id, None, reason, PlanCommand::Resume),
        PlansCommand::Abort { plan_id, reason } => (plan_id, None, reason, PlanCommand::Abort),
    };
    let request = pb::PlanCommandRequest {
        plan_id: plan_id.clone(),
        step: step.unwrap_or(0),
        reason: reason.clone(),
    };
    let sent = match verb {
        PlanCommand::Approve => client.plans.approve_plan(request).await,
        PlanCommand::Reject => client.plans.reject_plan(request).await,
        PlanCommand::Pause => client.plans.pause_plan(request).await,
        PlanCommand::Resume => client.plans.resume_plan(request).await,
        PlanCommand::Abort => client.plans.abort_plan(request).await,
    }
    .map_err(ApiError::from)?
    .into_inner();
    if json {
        print_json(&sent)?;
    } else {
        println!("{} sent to {}", sent.signal, sent.workflow_id);
    }
    Ok(0)
}
