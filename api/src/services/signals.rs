//! SignalService: what revloop noticed.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::signal_service_server::SignalService;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::server::AppState;
use crate::{convert, error};

pub struct SignalApi {
    state: AppState,
}

impl SignalApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

#[tonic::async_trait]
impl SignalService for SignalApi {
    async fn list_signals(
        &self,
        request: Request<pb::ListSignalsRequest>,
    ) -> Result<Response<pb::ListSignalsResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, &request.get_ref().tenant_id)?;
        let account = request.get_ref().account_id.clone();
        let account = (!account.is_empty()).then_some(account);
        let signals = self
            .state
            .store
            .list_signals(&tenant, account.as_deref())
            .await
            .map_err(error::store)?;
        Ok(Response::new(pb::ListSignalsResponse {
            signals: signals.iter().map(convert::signal).collect(),
        }))
    }
}
