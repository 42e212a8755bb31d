//! A gRPC client for the revloop API that attaches the bearer token to every call.

use anyhow::Context;
use revloop_proto::v1::action_service_client::ActionServiceClient;
use revloop_proto::v1::connector_service_client::ConnectorServiceClient;
use revloop_proto::v1::ingest_service_client::IngestServiceClient;
use revloop_proto::v1::ledger_service_client::LedgerServiceClient;
use revloop_proto::v1::plan_service_client::PlanServiceClient;
use revloop_proto::v1::question_service_client::QuestionServiceClient;
use revloop_proto::v1::signal_service_client::SignalServiceClient;
use revloop_proto::v1::tenant_service_client::TenantServiceClient;
use revloop_proto::v1::world_service_client::WorldServiceClient;
use tonic::metadata::MetadataValue;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};

#[derive(Clone)]
pub struct BearerAuth(MetadataValue<tonic::metadata::Ascii>);

impl tonic::service::Interceptor for BearerAuth {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("authorization", self.0.clone());
        Ok(request)
    }
}

type Authed = InterceptedService<Channel, BearerAuth>;

#[derive(Clone)]
pub struct ApiClient {
    pub ingest: IngestServiceClient<Authed>,
    pub actions: ActionServiceClient<Authed>,
    pub ledger: LedgerServiceClient<Authed>,
    pub signals: SignalServiceClient<Authed>,
    pub tenants: TenantServiceClient<Authed>,
    pub connectors: ConnectorServiceClient<Authed>,
    pub world: WorldServiceClient<Authed>,
    pub questions: QuestionServiceClient<Authed>,
    pub plans: PlanServiceClient<Authed>,
}

impl ApiClient {
    pub async fn connect(api: &str, token: &str) -> anyhow::Result<Self> {
        let channel = Channel::from_shared(api.to_string())
            .with_context(|| format!("API address {api:?}"))?
            .connect()
            .await
            .with_context(|| format!("connecting to the revloop API at {api}"))?;
        let auth = BearerAuth(
            format!("Bearer {token}")
                .parse()
                .context("the token is not valid header text")?,
        );
        Ok(Self {
            ingest: IngestServiceClient::with_interceptor(channel.clone(), auth.clone()),
            actions: ActionServiceClient::with_interceptor(channel.clone(), auth.clone()),
            ledger: LedgerServiceClient::with_interceptor(channel.clone(), auth.clone()),
            signals: SignalServiceClient::with_interceptor(channel.clone(), auth.clone()),
            tenants: TenantServiceClient::with_interceptor(channel.clone(), auth.clone()),
            connectors: ConnectorServiceClient::with_interceptor(channel.clone(), auth.clone()),
            world: WorldServiceClient::with_interceptor(channel.clone(), auth.clone()),
            questions: QuestionServiceClient::with_interceptor(channel.clone(), auth.clone()),
            plans: PlanServiceClient::with_interceptor(channel, auth),
        })
    }

    /// Connects once the API answers an authenticated call, or fails after `timeout`. `alive`
    /// reports whether the API process is still running, so a crash fails fast.
    pub async fn connect_when_ready(
        api: &str,
        token: &str,
        timeout: std::time::Duration,
        mut alive: impl FnMut() -> bool,
    ) -> anyhow::Result<Self> {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if !alive() {
                anyhow::bail!("the API process exited before answering at {api}");
            }
            if let Ok(mut client) = Self::connect(api, token).await
                && client
                    .actions
                    .list_actions(revloop_proto::v1::ListActionsRequest::default())
                    .await
                    .is_ok()
            {
                return Ok(client);
            }
            if std::time::Instant::now() > deadline {
                anyhow::bail!("the API at {api} did not answer within {timeout:?}");
            }
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
    }
}
