//! revloop-api: the gRPC API. All logic is in the library; this only parses flags and serves.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = revloop_api::config::ApiArgs::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    revloop_api::serve(args).await
}
