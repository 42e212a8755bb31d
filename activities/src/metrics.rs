//! revloop's own Prometheus metrics, recorded where the work happens (gateway, budget service,
//! approvals, executors, activities) and served by the worker and the API from the process's
//! default registry. Names are what `infra/grafana/` and `infra/prometheus/` query: add, never
//! rename (a test checks every name they use is exported).

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use prometheus::{
    CounterVec, GaugeVec, HistogramOpts, HistogramVec, IntCounterVec, Opts, TextEncoder,
    register_counter_vec, register_gauge_vec, register_histogram_vec, register_int_counter_vec,
};
use revloop_domain::budget::CostClass;
use revloop_domain::validators::{GatewayOutcome, Verdict};
use revloop_store::BudgetRecord;

/// Whether series may carry tenant ids (and budget scopes their account ids): off by default,
/// so a metrics backend shared across tenants, or a scrape that leaks, names no customer.
static TENANT_LABELS: AtomicBool = AtomicBool::new(false);

/// Set once at start-up from `REVLOOP_METRICS_TENANT_LABELS`.
pub fn set_tenant_labels(on: bool) {
    TENANT_LABELS.store(on, Ordering::Relaxed);
}

pub fn tenant_labels() -> bool {
    TENANT_LABELS.load(Ordering::Relaxed)
}

/// The `tenant` label value of series that aggregate across tenants when tenant labels are off.
pub const ALL_TENANTS: &str = "all";

fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register_int_counter_vec!(Opts::new(name, help), labels).expect("metric registers once")
}

fn gauge(name: &str, help: &str, labels: &[&str]) -> GaugeVec {
    register_gauge_vec!(Opts::new(name, help), labels).expect("metric registers once")
}

fn histogram(name: &str, help: &str, labels: &[&str], buckets: Vec<f64>) -> HistogramVec {
    register_histogram_vec!(HistogramOpts::new(name, help).buckets(buckets), labels)
        .expect("metric registers once")
}

static VALIDATOR_RESULTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_validator_results_total",
        "Validator results by validator, checkpoint and result (ALLOW, WARN, BLOCK).",
        &["validator", "checkpoint", "result"],
    )
});
static GATEWAY_DECISIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_gateway_decisions_total",
        "Aggregate gateway verdicts by checkpoint and result.",
        &["checkpoint", "result"],
    )
});
static BUDGET_DECISIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_budget_decisions_total",
        "Budget service decisions by cost class, operation kind (model, tool, fetch) and result.",
        &["cost_class", "operation", "result"],
    )
});
static BUDGET_CONSUMED: LazyLock<CounterVec> = LazyLock::new(|| {
    register_counter_vec!(
        Opts::new(
            "revloop_budget_consumed_total",
            "Budget units reserved by granted calls, by cost class and operation kind."
        ),
        &["cost_class", "operation"]
    )
    .expect("metric registers once")
});
static BUDGET_USED: LazyLock<GaugeVec> = LazyLock::new(|| {
    gauge(
        "revloop_budget_used",
        "Usage of each capped budget counter in its current period.",
        &["tenant", "scope", "period", "cost_class"],
    )
});
static BUDGET_REMAINING: LazyLock<GaugeVec> = LazyLock::new(|| {
    gauge(
        "revloop_budget_remaining",
        "What is left under each cap (soft or hard) of a budget counter.",
        &["tenant", "scope", "period", "cost_class", "cap"],
    )
});
static BUDGET_UTILIZATION: LazyLock<GaugeVec> = LazyLock::new(|| {
    gauge(
        "revloop_budget_utilization_ratio",
        "Usage over the cap (soft or hard): 0.8 is 80 % consumed, 1 is the cap.",
        &["tenant", "scope", "period", "cost_class", "cap"],
    )
});
static PLAN_OUTCOMES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_plan_outcomes_total",
        "Action outcomes (success, paused, aborted) with what caused them: a validator, budget, person or none.",
        &["outcome", "attribution"],
    )
});
static DECISION_LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "revloop_decision_latency_seconds",
        "From the earliest signal a decision rests on to its proposals.",
        &["model"],
        vec![
            1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0, 14_400.0, 86_400.0,
        ],
    )
});
static PLAN_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "revloop_plan_duration_seconds",
        "Time in plan: from proposal to a terminal state.",
        &["kind", "status"],
        vec![
            1.0, 10.0, 60.0, 600.0, 3600.0, 14_400.0, 86_400.0, 259_200.0,
        ],
    )
});
static APPROVAL_DECISIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_approval_decisions_total",
        "Human decisions on approvals: approved, edited, rejected, expired.",
        &["decision"],
    )
});
static ACTIONS_PROPOSED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_actions_proposed_total",
        "Actions proposed, by kind and whether a person must approve.",
        &["kind", "requires_approval"],
    )
});
static ACTIONS_EXECUTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_actions_executed_total",
        "Actions executed, by kind.",
        &["kind"],
    )
});
static SIGNALS_DETECTED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_signals_detected_total",
        "New signals detected, by type.",
        &["signal_type"],
    )
});
static APPROVAL_NOTICES: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_approval_notices_total",
        "Reminders and escalations of approvals left waiting, by notice.",
        &["notice"],
    )
});
static SIGNALS_IGNORED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_signals_ignored_total",
        "Temporal signals a workflow ignored (recorded in the ledger), by workflow type and why.",
        &["workflow", "reason"],
    )
});
static ACTIVITIES_COMPLETED: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_activities_completed_total",
        "Completed activities (each ledgered once), by activity type: orchestrator throughput.",
        &["activity"],
    )
});

static TOOL_CALLS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_tool_calls_total",
        "Tool calls through the ToolGateway, by tool, result (ok or the refusal's kind) and cost class.",
        &["tool", "result", "cost_class"],
    )
});
static TOOL_CALL_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    histogram(
        "revloop_tool_call_duration_seconds",
        "How long a tool call took in the ToolGateway, checks included.",
        &["tool"],
        vec![0.001, 0.005, 0.025, 0.1, 0.5, 2.0, 10.0],
    )
});

static MODEL_TOKENS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_model_tokens_total",
        "Tokens the decision models used, by model and direction (in, out), as the provider counted them.",
        &["model", "direction"],
    )
});
static MODEL_FALLBACKS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    counter(
        "revloop_model_fallbacks_total",
        "Decisions the playbooks made instead of the tenant's model, by why (budget, malformed, rounds, model_error, refused).",
        &["reason"],
    )
});

/// Every result of one gateway run and its aggregate.
pub fn gateway(outcome: &GatewayOutcome) {
    let checkpoint = outcome.checkpoint.as_str();
    for r in &outcome.results {
        VALIDATOR_RESULTS
            .with_label_values(&[r.validator.as_str(), checkpoint, r.result.as_str()])
            .inc();
    }
    GATEWAY_DECISIONS
        .with_label_values(&[checkpoint, outcome.aggregate.as_str()])
        .inc();
}

/// One budget decision: the decision itself, what it consumed, and (with tenant labels on) each
/// capped counter's usage, remainder and utilization after it. Those gauges are facts of one
/// tenant's counter and cannot be summed across tenants, so without tenant labels they are not
/// exported; `revloop_budget_decisions_total{result="BLOCK"}` still shows caps being hit.
pub fn budget(tenant: &str, record: &BudgetRecord, amount: u64) {
    let decision = &record.decision;
    let kind = record.operation.split(':').next().unwrap_or_default();
    let class = format!("{:?}", record.cost_class).to_uppercase();
    BUDGET_DECISIONS
        .with_label_values(&[class.as_str(), kind, decision.verdict.as_str()])
        .inc();
    let granted = decision.verdict != Verdict::Block;
    if granted {
        BUDGET_CONSUMED
            .with_label_values(&[class.as_str(), kind])
            .inc_by(amount as f64);
    }
    if !tenant_labels() {
        return;
    }
    for r in &decision.results {
        let used = if granted { r.would_use } else { r.used } as f64;
        let scope = r.counter.scope_label();
        let period = format!("{:?}", r.cap.period).to_lowercase();
        let labels = [tenant, scope.as_str(), period.as_str(), class.as_str()];
        BUDGET_USED.with_label_values(&labels).set(used);
        for (cap, limit) in [("soft", r.cap.soft), ("hard", r.cap.hard)] {
            let Some(limit) = limit else { continue };
            let labels = [tenant, scope.as_str(), period.as_str(), class.as_str(), cap];
            BUDGET_REMAINING
                .with_label_values(&labels)
                .set((limit as f64 - used).max(0.0));
            let ratio = match (limit, used > 0.0) {
                (0, false) => 0.0,
                (0, true) => f64::INFINITY,
                _ => used / limit as f64,
            };
            BUDGET_UTILIZATION.with_label_values(&labels).set(ratio);
        }
    }
}

/// A reminder or an escalation fired.
pub fn approval_notice(notice: &str) {
    APPROVAL_NOTICES.with_label_values(&[notice]).inc();
}

/// A signal a workflow ignored: `unknown_name` (no handler takes it).
pub fn signal_ignored(workflow: &str, reason: &str) {
    SIGNALS_IGNORED.with_label_values(&[workflow, reason]).inc();
}

/// `outcome`: success, paused or aborted; `attribution`: the validator, `budget`, `person` or
/// `none`.
pub fn plan_outcome(outcome: &str, attribution: &str) {
    PLAN_OUTCOMES
        .with_label_values(&[outcome, attribution])
        .inc();
}

pub fn decision_latency(model: &str, seconds: f64) {
    DECISION_LATENCY
        .with_label_values(&[model])
        .observe(seconds.max(0.0));
}

pub fn plan_duration(kind: &str, status: &str, seconds: f64) {
    PLAN_DURATION
        .with_label_values(&[kind, status])
        .observe(seconds.max(0.0));
}

pub fn approval_decision(decision: &str) {
    APPROVAL_DECISIONS.with_label_values(&[decision]).inc();
}

pub fn action_proposed(kind: &str, requires_approval: bool) {
    ACTIONS_PROPOSED
        .with_label_values(&[kind, if requires_approval { "true" } else { "false" }])
        .inc();
}

pub fn action_executed(kind: &str) {
    ACTIONS_EXECUTED.with_label_values(&[kind]).inc();
}

pub fn signal_detected(signal_type: &str) {
    SIGNALS_DETECTED.with_label_values(&[signal_type]).inc();
}

/// One call through the ToolGateway: `result` is `ok` or the refusal's kind.
pub fn tool_call(tool: &str, result: &str, cost_class: CostClass, seconds: f64) {
    let class = format!("{cost_class:?}").to_uppercase();
    TOOL_CALLS.with_label_values(&[tool, result, &class]).inc();
    TOOL_CALL_DURATION
        .with_label_values(&[tool])
        .observe(seconds.max(0.0));
}

pub fn model_tokens(model: &str, input: u64, output: u64) {
    MODEL_TOKENS.with_label_values(&[model, "in"]).inc_by(input);
    MODEL_TOKENS
        .with_label_values(&[model, "out"])
        .inc_by(output);
}

/// Why a decision model's answer was not used.
pub const FALLBACK_REASONS: [&str; 5] = ["budget", "malformed", "rounds", "model_error", "refused"];

/// `reason`: one of [`FALLBACK_REASONS`].
pub fn model_fallback(reason: &str) {
    MODEL_FALLBACKS.with_label_values(&[reason]).inc();
}

pub fn activity_completed(activity: &str) {
    ACTIVITIES_COMPLETED.with_label_values(&[activity]).inc();
}

/// The process's metrics in the Prometheus text format.
pub fn render() -> String {
    // Every fallback reason and token direction is known: export them at 0 from the start, so
    // a rate is defined before the first decision agent runs.
    for reason in FALLBACK_REASONS {
        MODEL_FALLBACKS.with_label_values(&[reason]);
    }
    for direction in ["in", "out"] {
        MODEL_TOKENS.with_label_values(&["bedrock", direction]);
    }
    TextEncoder::new()
        .encode_to_string(&prometheus::gather())
        .unwrap_or_else(|e| format!("# encoding metrics failed: {e}\n"))
}
