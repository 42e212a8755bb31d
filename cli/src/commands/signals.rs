use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, print_json};

pub async fn list(mut client: ApiClient, account: &str, json: bool) -> anyhow::Result<i32> {
    let request = pb::ListSignalsRequest {
        tenant_id: String::new(),
        account_id: account.to_string(),
    };
    let signals = client
        .signals
        .list_signals(request)
        .await
        .map_err(ApiError::from)?
        .into_inner()
        .signals;
    if json {
        print_json(&signals)?;
    } else {
        for s in &signals {
            println!(
                "{:<28} {:<10} {:<7} {}  {}",
                s.signal_type, s.account_id, s.severity, s.dedup_key, s.details_json
            );
        }
    }
    Ok(0)
}
