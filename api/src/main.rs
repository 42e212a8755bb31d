//! revloop-api: the gRPC API. All logic is in the library; this only parses flags and serves.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = revloop_api::config::ApiArgs::parse();
    let telemetry = revloop_runtime::telemetry::init("revloop-api", "info")?;
    let result = revloop_api::serve(args).await;
    telemetry.shutdown();
    result
}
