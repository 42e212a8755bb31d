//! The dashboards and alert rules query only metric names that the running worker and API
//! really export: after a loop runs (budgets capped, one follow-up approved, one waiting), every
//! `revloop_*` and `temporal_*` name in `infra/grafana/` and `infra/prometheus/` is scraped from
//! the worker's, the Temporal SDK's or the API's `/metrics`.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use revloop_domain::auth::Role;
use revloop_proto::v1 as pb;

use crate::helpers::*;

const CAPPED: &str = r#"
[[budgets]]
scope = "tenant"
period = "day"
cost_class = "CHEAP"
soft = 0
hard = 1000

[[budgets]]
scope = "tenant"
period = "month"
cost_class = "EXPENSIVE"
hard = 1000
"#;

/// Metric names a scrape exports (sample lines, without labels).
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

/// Metric names the dashboards and alert rules use.
fn referenced(dirs: &[&Path]) -> anyhow::Result<BTreeSet<String>> {
    let name = regex::Regex::new(r"\b(?:revloop|temporal)_[a-z0-9_]+\b")?;
    let mut names = BTreeSet::new();
    for dir in dirs {
        for entry in std::fs::read_dir(dir)? {
            let text = std::fs::read_to_string(entry?.path())?;
            names.extend(name.find_iter(&text).map(|m| m.as_str().to_string()));
        }
    }
    Ok(names)
}

async fn scrape(url: &str) -> anyhow::Result<String> {
    let response = reqwest::get(url).await?.error_for_status()?;
    Ok(response.text().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboards_and_alerts_use_only_exported_metric_names() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let infra = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infra");
    let wanted = referenced(&[&infra.join("grafana"), &infra.join("prometheus")])?;
    assert!(
        wanted.len() >= 15,
        "the dashboards query revloop's metrics: {wanted:?}"
    );

    for (tenant, config) in [("capped-co", CAPPED), ("approving-co", "")] {
        let mut client = env.client(tenant, &[Role::Admin]).await?;
        set_tenant_config(&mut client, tenant, config).await?;
        env.ingest_fixture(&mut client, "meeting_prep.jsonl", tenant)
            .await?;
        let follow_up = env.follow_up_awaiting_approval(&mut client).await?;
        if tenant == "approving-co" {
            client
                .actions
                .approve_action(pb::DecideActionRequest {
                    action_id: follow_up.action_id.clone(),
                    reason: String::new(),
                })
                .await?;
            env.workflow_result(&format!("{tenant}/approval/{}", follow_up.action_id))
                .await?;
        }
    }

    // One call through the ToolGateway, from an MCP client.
    let viewer = crate::mcp::connect(&env, env.token("approving-co", &[Role::Viewer])).await?;
    let state = crate::mcp::call(
        &viewer,
        "account_get_state",
        serde_json::json!({"account_id": "acme"}),
    )
    .await?;
    assert_ne!(state.is_error, Some(true), "{state:?}");
    viewer.cancel().await?;

    let all_exported = || async {
        let mut names = exported(&scrape(&env.worker_metrics_url).await?);
        names.extend(exported(&scrape(&env.temporal_metrics_url).await?));
        names.extend(exported(&scrape(&env.api_metrics_url).await?));
        anyhow::Ok(names)
    };
    let found = eventually(
        "every referenced metric name to be exported",
        Duration::from_secs(30),
        || async { Ok(wanted.is_subset(&all_exported().await?).then_some(())) },
    )
    .await;
    if let Err(e) = found {
        // Say which names are missing, and what was exported instead.
        let names = all_exported().await?;
        let missing: Vec<&String> = wanted.difference(&names).collect();
        anyhow::bail!("{e}: missing {missing:?}\nexported: {names:?}");
    }
    // Security finding 12: the public listener (webhooks) does not serve metrics.
    let public = reqwest::get(format!("{}/metrics", env.http_url)).await?;
    assert_eq!(
        public.status().as_u16(),
        404,
        "no /metrics on the public HTTP listener"
    );
    Ok(())
}
