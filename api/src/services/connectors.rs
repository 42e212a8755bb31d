//! ConnectorService: register where a tenant's data comes from.

use chrono::Utc;
use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::connector_service_server::ConnectorService;
use revloop_store::ConnectorRecord;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::server::AppState;
use crate::{error, intake};

const KINDS: [&str; 1] = ["http_push"];

pub struct ConnectorApi {
    state: AppState,
}

impl ConnectorApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn to_pb(c: &ConnectorRecord) -> pb::Connector {
    pb::Connector {
        tenant_id: c.tenant_id.clone(),
        connector_id: c.connector_id.clone(),
        kind: c.kind.clone(),
        secret_ref: c.secret_ref.clone().unwrap_or_default(),
        config_json: c.config.to_string(),
        created_at: c.created_at.to_rfc3339(),
        push_path: if c.kind == "http_push" {
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
        if req.kind == "http_push" && !req.secret_ref.starts_with("env:") {
            return Err(Status::invalid_argument(
                "secret_ref: http_push needs a secret reference like env:NAME",
            ));
        }
        let config = if req.config_json.is_empty() {
            serde_json::json!({})
        } else {
            serde_json::from_str(&req.config_json)
                .map_err(|e| Status::invalid_argument(format!("config_json: {e}")))?
        };
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
