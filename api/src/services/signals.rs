//! SignalService: what revloop noticed.

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;
use revloop_proto::v1::signal_service_server::SignalService;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::server::AppState;
use crate::{convert, error, paging};

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
        let req = request.into_inner();
        let page = paging::page_request(
            req.page_size,
            &req.page_token,
            paging::MAX_PAGE_ITEMS,
            paging::MAX_PAGE_ITEMS,
        )?;
        let account = (!req.account_id.is_empty()).then_some(req.account_id);
        let signals = self
            .state
            .store
            .list_signals(&tenant, account.as_deref())
            .await
            .map_err(error::store)?;
        let (signals, next_page_token) =
            paging::offset_page(signals.iter().map(convert::signal), page);
        Ok(Response::new(pb::ListSignalsResponse {
            signals,
            next_page_token,
        }))
    }
}
