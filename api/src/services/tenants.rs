//! TenantService: read and replace a tenant's configuration (signal thresholds, governance).

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::tenant_service_server::TenantService;
use revloop_store::{Tenant, TenantConfig};
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::error;
use crate::server::AppState;

pub struct TenantApi {
    state: AppState,
}

impl TenantApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

fn response(tenant: &Tenant) -> Result<Response<pb::TenantConfigResponse>, Status> {
    let config_toml = toml::to_string(&tenant.config)
        .map_err(|e| Status::internal(format!("encoding config: {e}")))?;
    Ok(Response::new(pb::TenantConfigResponse {
        tenant_id: tenant.tenant_id.clone(),
        config_toml,
    }))
}

#[tonic::async_trait]
impl TenantService for TenantApi {
    async fn get_tenant_config(
        &self,
        request: Request<pb::GetTenantConfigRequest>,
    ) -> Result<Response<pb::TenantConfigResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let stored = self
            .state
            .store
            .get_tenant(&tenant)
            .await
            .map_err(error::store)?;
        let stored = stored.unwrap_or(Tenant {
            tenant_id: tenant.clone(),
            name: tenant,
            config: TenantConfig::default(),
        });
        response(&stored)
    }

    async fn set_tenant_config(
        &self,
        request: Request<pb::SetTenantConfigRequest>,
    ) -> Result<Response<pb::TenantConfigResponse>, Status> {
        let (_, tenant) = require(&request, Role::Admin, &request.get_ref().tenant_id)?;
        let config: TenantConfig = toml::from_str(&request.get_ref().config_toml)
            .map_err(|e| Status::invalid_argument(format!("config_toml: {e}")))?;
        let name = self
            .state
            .store
            .get_tenant(&tenant)
            .await
            .map_err(error::store)?
            .map_or_else(|| tenant.clone(), |t| t.name);
        let updated = Tenant {
            tenant_id: tenant,
            name,
            config,
        };
        self.state
            .store
            .put_tenant(&updated)
            .await
            .map_err(error::store)?;
        response(&updated)
    }
}
