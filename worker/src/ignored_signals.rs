//! Signals under a name no handler of the workflow has. The SDK drops them before workflow
//! code runs, so this worker interceptor records each one in the tenant's ledger as ignored,
//! with who sent it (the Temporal client identity): a probe with `temporal workflow signal
//! --name aprove` leaves a trace, as late approvals do on the action.
//!
//! It runs outside workflow code, on activations as they arrive; replayed activations (a
//! worker rebuilding a workflow from history) were recorded when they first arrived and are
//! skipped. The ledger's idempotency key (the signal's history event id) makes a repeat harmless.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use revloop_domain::TenantId;
use revloop_domain::ledger::{LedgerKind, NewLedgerEntry};
use revloop_store::Store;
use serde_json::json;
use temporalio_common::protos::coresdk::workflow_activation::WorkflowActivation;
use temporalio_common::protos::coresdk::workflow_activation::workflow_activation_job::Variant;

/// What the interceptor knows of a cached run: its workflow type and id.
type Runs = HashMap<String, (String, String)>;

pub struct IgnoredSignals {
    store: Arc<dyn Store>,
    runs: Mutex<Runs>,
}

/// One signal to record: where it went, what it was called, and who sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Ignored {
    pub tenant_id: String,
    pub workflow_id: String,
    pub workflow_type: String,
    pub run_id: String,
    pub signal: String,
    pub sender: String,
    pub event_id: i64,
    pub payload_bytes: usize,
    pub at: DateTime<Utc>,
}

impl IgnoredSignals {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            runs: Mutex::new(HashMap::new()),
        }
    }

    /// The signals of this activation that no handler takes (remembering each run's type).
    pub fn unhandled(&self, activation: &WorkflowActivation) -> Vec<Ignored> {
        let mut runs = self.runs.lock().expect("not poisoned");
        let mut found = Vec::new();
        for job in &activation.jobs {
            match &job.variant {
                Some(Variant::InitializeWorkflow(init)) => {
                    runs.insert(
                        activation.run_id.clone(),
                        (init.workflow_type.clone(), init.workflow_id.clone()),
                    );
                }
                Some(Variant::RemoveFromCache(_)) => {
                    runs.remove(&activation.run_id);
                }
                Some(Variant::SignalWorkflow(signal)) if !activation.is_replaying => {
                    let Some((workflow_type, workflow_id)) = runs.get(&activation.run_id) else {
                        continue;
                    };
                    let Some(handled) = revloop_workflows::handled_signals(workflow_type) else {
                        continue;
                    };
                    if handled.contains(&signal.signal_name.as_str()) {
                        continue;
                    }
                    // Workflow ids are `{tenant}/{kind}/{key}`; others are not revloop's.
                    let Some(tenant) = workflow_id
                        .split('/')
                        .next()
                        .filter(|t| TenantId::parse(*t).is_ok())
                    else {
                        continue;
                    };
                    let at = activation
                        .timestamp
                        .and_then(|t| DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
                        .unwrap_or_else(Utc::now);
                    found.push(Ignored {
                        tenant_id: tenant.to_string(),
                        workflow_id: workflow_id.clone(),
                        workflow_type: workflow_type.clone(),
                        run_id: activation.run_id.clone(),
                        signal: signal.signal_name.clone(),
                        sender: signal.identity.clone(),
                        event_id: signal.originating_event_id,
                        payload_bytes: signal.input.iter().map(|p| p.data.len()).sum(),
                        at,
                    });
                }
                _ => {}
            }
        }
        found
    }

    async fn record(&self, ignored: &Ignored) {
        let handled =
            revloop_workflows::handled_signals(&ignored.workflow_type).unwrap_or_default();
        let kind = if handled.is_empty() {
            LedgerKind::Intent
        } else {
            LedgerKind::Approval
        };
        let entry = NewLedgerEntry {
            tenant_id: ignored.tenant_id.clone(),
            idempotency_key: format!(
                "{}/{}/ignored-signal/{}",
                ignored.workflow_id, ignored.run_id, ignored.event_id
            ),
            at: ignored.at,
            trace_id: ignored.workflow_id.clone(),
            workflow_id: ignored.workflow_id.clone(),
            run_id: ignored.run_id.clone(),
            activity: "ignored_signal".into(),
            kind,
            snapshot_ref: None,
            // The payload itself may hold a credential (an approval token): only its size.
            payload: json!({
                "signal": ignored.signal,
                "ignored": format!(
                    "{} has no signal {:?}; it handles {}",
                    ignored.workflow_type,
                    ignored.signal,
                    if handled.is_empty() { "none".to_string() } else { handled.join(", ") }
                ),
                "sender": ignored.sender,
                "payload_bytes": ignored.payload_bytes,
            }),
        };
        revloop_activities::metrics::signal_ignored(&ignored.workflow_type, "unknown_name");
        if let Err(e) = self.store.append(entry).await {
            tracing::warn!(workflow_id = %ignored.workflow_id, signal = %ignored.signal, error = %e, "recording an ignored signal");
        } else {
            tracing::warn!(workflow_id = %ignored.workflow_id, signal = %ignored.signal, sender = %ignored.sender, "ignored a signal no handler takes");
        }
    }
}

#[async_trait::async_trait(?Send)]
impl temporalio_sdk::interceptors::WorkerInterceptor for IgnoredSignals {
    async fn on_workflow_activation(
        &self,
        activation: &WorkflowActivation,
    ) -> Result<(), anyhow::Error> {
        for ignored in self.unhandled(activation) {
            self.record(&ignored).await;
        }
        Ok(())
    }
}
