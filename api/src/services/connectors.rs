//! ConnectorService: register where a tenant's data comes from.

use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use revloop_activities::connectors::file_drop::{self, FileDropConfig};
use revloop_activities::connectors::http_pull::{self, HttpPullConfig};
use revloop_activities::connectors::salesforce::{self, SalesforceConfig};
use revloop_activities::connectors::{HTTP_PUSH, KINDS, PULL_KINDS};
use revloop_activities::contracts::{PerceptionInput, SourceRef};
use revloop_activities::egress::check_url;
use revloop_domain::auth::Role;
use revloop_domain::security::SecretRef;
use revloop_domain::security::secret_ref::TENANT_ENV_PREFIX;
use revloop_proto::v1 as pb;
use revloop_proto::v1::connector_service_server::ConnectorService;
use revloop_store::ConnectorRecord;
use revloop_workflows::PerceptionWorkflow;
use temporalio_client::schedules::{
    CreateScheduleOptions, ListSchedulesOptions, ScheduleAction, ScheduleOverlapPolicy,
    ScheduleSpec,
};
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::server::AppState;
use crate::{error, intake};

pub struct ConnectorApi {
    state: AppState,
}

impl ConnectorApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }

    async fn pull_connector(
        &self,
        tenant: &str,
        connector_id: &str,
    ) -> Result<ConnectorRecord, Status> {
        self.state
            .store
            .get_connector(tenant, connector_id)
            .await
            .map_err(error::store)?
            .filter(|c| PULL_KINDS.contains(&c.kind.as_str()))
            .ok_or_else(|| {
                Status::not_found(format!(
                    "tenant {tenant} has no pull connector {connector_id:?}"
                ))
            })
    }

    async fn describe(
        &self,
        tenant: &str,
        connector_id: &str,
    ) -> Result<pb::ConnectorSchedule, Status> {
        let schedule_id = schedule_id(tenant, connector_id);
        let description = self
            .state
            .temporal
            .get_schedule_handle(schedule_id.clone())
            .describe(Default::default())
            .await
            .map_err(|e| Status::not_found(format!("schedule {schedule_id}: {e}")))?;
        Ok(pb::ConnectorSchedule {
            tenant_id: tenant.to_string(),
            connector_id: connector_id.to_string(),
            schedule_id,
            paused: description.paused(),
            recent_runs: description.recent_actions().len() as u32,
        })
    }
}

/// Schedules live in the deployment's namespace; the tenant prefix keeps them apart.
fn schedule_id(tenant: &str, connector_id: &str) -> String {
    revloop_activities::workflow_ids::connector_schedule(tenant, connector_id)
}

fn to_pb(c: &ConnectorRecord) -> pb::Connector {
    pb::Connector {
        tenant_id: c.tenant_id.clone(),
        connector_id: c.connector_id.clone(),
        kind: c.kind.clone(),
        secret_ref: c.secret_ref.clone().unwrap_or_default(),
        config_json: c.config.to_string(),
        created_at: c.created_at.to_rfc3339(),
        push_path: if c.kind == HTTP_PUSH {
            format!(
                "/v1/tenants/{}/connectors/{}/records",
                c.tenant_id, c.connector_id
            )
        } else {
            String::new()
        },
    }
}

#[tonic::async_trait]
impl ConnectorService for ConnectorApi {
    async fn register_connector(
        &self,
        request: Request<pb::RegisterConnectorRequest>,
    ) -> Result<Response<pb::Connector>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        revloop_domain::ids::TenantId::parse(&req.connector_id)
            .map_err(|e| Status::invalid_argument(format!("connector_id: {e}")))?;
        if !KINDS.contains(&req.kind.as_str()) {
            return Err(Status::invalid_argument(format!(
                "kind: unknown connector kind {:?}; expected one of {}",
                req.kind,
                KINDS.join(", ")
            )));
        }
        let tenant_id = revloop_domain::TenantId::parse(&tenant)
            .map_err(|e| Status::unauthenticated(format!("token tenant: {e}")))?;
        if req.secret_ref.is_empty() && [HTTP_PUSH, salesforce::KIND].contains(&req.kind.as_str()) {
            return Err(Status::invalid_argument(format!(
                "secret_ref: {} needs a secret reference, like env:{TENANT_ENV_PREFIX}{tenant}__NAME",
                req.kind
            )));
        }
        if !req.secret_ref.is_empty() {
            SecretRef::parse(&tenant_id, &req.secret_ref)
                .map_err(|e| Status::invalid_argument(e.to_string()))?;
        }
        let config = if req.config_json.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&req.config_json)
                .map_err(|e| Status::invalid_argument(format!("config_json: {e}")))?
        };
        let outbound_url = match req.kind.as_str() {
            k if k == http_pull::KIND => HttpPullConfig::parse(&config).map(|c| Some(c.url)),
            k if k == salesforce::KIND => {
                SalesforceConfig::parse(&config).map(|c| Some(c.instance_url))
            }
            k if k == file_drop::KIND => FileDropConfig::parse(&config).map(|_| None),
            _ => Ok(None),
        }
        .map_err(|e| Status::invalid_argument(format!("config_json: {e}")))?;
        if let Some(url) = outbound_url {
            let parsed = url::Url::parse(&url)
                .map_err(|e| Status::invalid_argument(format!("config_json: {url}: {e}")))?;
            check_url(&self.state.egress, &parsed)
                .map_err(|e| Status::invalid_argument(format!("config_json: {url}: {e}")))?;
        }
        intake::ensure_tenant(&self.state, &tenant).await?;
        let record = ConnectorRecord {
            tenant_id: tenant,
            connector_id: req.connector_id,
            kind: req.kind,
            secret_ref: (!req.secret_ref.is_empty()).then_some(req.secret_ref),
            config,
            created_at: Utc::now(),
        };
        self.state
            .store
            .put_connector(&record)
            .await
            .map_err(error::store)?;
        Ok(Response::new(to_pb(&record)))
    }

    async fn schedule_connector(
        &self,
        request: Request<pb::ScheduleConnectorRequest>,
    ) -> Result<Response<pb::ConnectorSchedule>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        if req.every_secs == 0 {
            return Err(Status::invalid_argument("every_secs: must be at least 1"));
        }
        self.pull_connector(&tenant, &req.connector_id).await?;
        let every = Duration::from_secs(req.every_secs);
        let handle = self
            .state
            .temporal
            .get_schedule_handle(schedule_id(&tenant, &req.connector_id));
        if handle.describe(Default::default()).await.is_ok() {
            handle
                .update(
                    move |u| {
                        u.set_spec(ScheduleSpec::from_interval(every));
                    },
                    Default::default(),
                )
                .await
                .map_err(|e| error::temporal("updating the schedule", e))?;
        } else {
            let input = PerceptionInput {
                tenant_id: tenant.clone(),
                trace_id: String::new(),
                source: SourceRef::Pull {
                    connector_id: req.connector_id.clone(),
                },
            };
            let options = CreateScheduleOptions::builder()
                .action(ScheduleAction::start_workflow(
                    PerceptionWorkflow::run,
                    input,
                    self.state.task_queue.clone(),
                    revloop_activities::workflow_ids::pull_perception(&tenant, &req.connector_id),
                ))
                .spec(ScheduleSpec::from_interval(every))
                .overlap_policy(ScheduleOverlapPolicy::Skip)
                .trigger_immediately(true)
                .note(format!("pull connector {} of {tenant}", req.connector_id))
                .build();
            self.state
                .temporal
                .create_schedule(schedule_id(&tenant, &req.connector_id), options)
                .await
                .map_err(|e| error::temporal("creating the schedule", e))?;
        }
        Ok(Response::new(
            self.describe(&tenant, &req.connector_id).await?,
        ))
    }

    async fn set_schedule_paused(
        &self,
        request: Request<pb::SetSchedulePausedRequest>,
    ) -> Result<Response<pb::ConnectorSchedule>, Status> {
        let (claims, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let req = request.into_inner();
        let handle = self
            .state
            .temporal
            .get_schedule_handle(schedule_id(&tenant, &req.connector_id));
        let note = Some(format!(
            "{} by {}",
            if req.paused { "paused" } else { "resumed" },
            claims.sub
        ));
        let done = if req.paused {
            handle.pause(note, Default::default()).await
        } else {
            handle.unpause(note, Default::default()).await
        };
        done.map_err(|e| {
            Status::not_found(format!("schedule of connector {:?}: {e}", req.connector_id))
        })?;
        Ok(Response::new(
            self.describe(&tenant, &req.connector_id).await?,
        ))
    }

    async fn delete_schedule(
        &self,
        request: Request<pb::DeleteScheduleRequest>,
    ) -> Result<Response<pb::DeleteScheduleResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let schedule_id = schedule_id(&tenant, &request.get_ref().connector_id);
        self.state
            .temporal
            .get_schedule_handle(schedule_id.clone())
            .delete(Default::default())
            .await
            .map_err(|e| Status::not_found(format!("schedule {schedule_id}: {e}")))?;
        Ok(Response::new(pb::DeleteScheduleResponse { schedule_id }))
    }

    async fn list_schedules(
        &self,
        request: Request<pb::ListSchedulesRequest>,
    ) -> Result<Response<pb::ListSchedulesResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let prefix = revloop_activities::workflow_ids::connector_schedule_prefix(&tenant);
        let mut stream = self
            .state
            .temporal
            .list_schedules(ListSchedulesOptions::default());
        let mut schedules = Vec::new();
        while let Some(entry) = stream.next().await {
            let entry = entry.map_err(|e| error::temporal("listing schedules", e))?;
            if let Some(connector_id) = entry.schedule_id().strip_prefix(&prefix) {
                schedules.push(pb::ConnectorSchedule {
                    tenant_id: tenant.clone(),
                    connector_id: connector_id.to_string(),
                    schedule_id: entry.schedule_id().to_string(),
                    paused: entry.paused(),
                    recent_runs: entry.recent_actions().len() as u32,
                });
            }
        }
        Ok(Response::new(pb::ListSchedulesResponse { schedules }))
    }

    async fn list_connectors(
        &self,
        request: Request<pb::ListConnectorsRequest>,
    ) -> Result<Response<pb::ListConnectorsResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let connectors = self
            .state
            .store
            .list_connectors(&tenant)
            .await
            .map_err(error::store)?;
        Ok(Response::new(pb::ListConnectorsResponse {
            connectors: connectors.iter().map(to_pb).collect(),
        }))
    }
}
