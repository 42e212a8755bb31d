//! One span per activity execution, carrying what an operator searches logs and traces by:
//! tenant, revloop trace id, workflow, activity and attempt. The span joins the OpenTelemetry
//! trace of the revloop trace (see `revloop_runtime::telemetry::enter_trace`), so an ingest's
//! API span and every activity of its workflows share one trace id. Each execution also logs
//! its start and end at info, with the outcome and duration, and every log line inside an
//! activity carries the span's fields.

use std::time::Instant;

use futures::FutureExt;
use temporalio_sdk::interceptors::{
    ActivityInboundInterceptor, ExecuteActivityInput, ExecuteActivityOutput, Next,
};
use tracing::Instrument;

use crate::contracts::*;

/// An activity input that names its tenant and revloop trace.
pub trait Traced {
    fn tenant_id(&self) -> &str;
    fn trace_id(&self) -> &str;
}

macro_rules! traced_inputs {
    ($($input:ty),* $(,)?) => {
        $(impl Traced for $input {
            fn tenant_id(&self) -> &str { &self.tenant_id }
            fn trace_id(&self) -> &str { &self.trace_id }
        })*

        /// The tenant and trace of an activity's decoded input, for every contract type that
        /// has them (the others get a span without).
        pub fn trace_of(args: &ExecuteActivityInput) -> Option<(String, String)> {
            $(if let Some(input) = args.args_ref::<$input>() {
                return Some((input.tenant_id().to_string(), input.trace_id().to_string()));
            })*
            None
        }
    };
}

traced_inputs!(
    PerceptionInput,
    FetchInput,
    CommitCursorInput,
    NormalizeInput,
    DetectInput,
    EmitInput,
    DecisionInput,
    AccountStateInput,
    BriefInput,
    ProposeInput,
    CallToolInput,
    ClarificationInput,
    OpenQuestionsInput,
    AnswerEventInput,
    ExpireQuestionsInput,
    ValidateInput,
    ApprovalInput,
    OpenApprovalInput,
    ApprovalEventInput,
    ActionInput,
    UndoInput,
    ApprovalNoticeInput,
    PlanKey,
    PlanCommandInput,
    PlanStepUpdate,
    PlanFinishInput,
);

/// The activity inbound interceptor the worker installs.
pub struct ActivitySpans;

impl ActivityInboundInterceptor for ActivitySpans {
    fn execute_activity<'a>(
        &'a self,
        input: ExecuteActivityInput,
        next: Next<'a, ExecuteActivityInput, ExecuteActivityOutput<'a>>,
    ) -> ExecuteActivityOutput<'a> {
        let info = input.activity_info();
        let (tenant_id, trace_id) = trace_of(&input).unwrap_or_default();
        let span = tracing::info_span!(
            "activity",
            otel.name = %info.activity_type,
            activity_type = %info.activity_type,
            activity_id = %info.activity_id,
            workflow_id = info.workflow_id.as_deref().unwrap_or(""),
            attempt = info.attempt,
            tenant_id = %tenant_id,
            trace_id = %trace_id,
        );
        revloop_runtime::telemetry::enter_trace(&span, &trace_id);
        let started = Instant::now();
        async move {
            tracing::info!("activity started");
            let result = next.run(input).await;
            let millis = started.elapsed().as_millis() as u64;
            match &result {
                Ok(_) => tracing::info!(duration_ms = millis, outcome = "completed", "activity finished"),
                Err(e) => tracing::warn!(duration_ms = millis, outcome = "failed", error = ?e, "activity finished"),
            }
            result
        }
        .instrument(span)
        .boxed()
    }
}
