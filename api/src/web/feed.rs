//! The top actions: everything revloop proposes on the person's accounts, most urgent first,
//! as the feed ranks it, filterable by account, territory, kind and status.

use std::collections::{BTreeMap, BTreeSet};

use axum::extract::{Query, State};
use axum::response::Html;
use revloop_domain::records::{Record, RecordKey};
use revloop_proto::v1 as pb;
use revloop_proto::v1::action_service_server::ActionService;
use serde::Deserialize;

use super::error::WebError;
use super::session::Session;
use super::{WebState, as_person, frame, html};
use crate::services::ActionApi;

/// The most actions one page lists.
const FEED_LIMIT: u32 = 500;

const STATUSES: [&str; 9] = [
    "awaiting_approval",
    "blocked",
    "proposed",
    "approved",
    "executing",
    "executed",
    "rejected",
    "expired",
    "failed",
];

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    account: String,
    #[serde(default)]
    territory: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    /// `mine` (accounts the person owns) or `all`; by default `mine` when they own any.
    #[serde(default)]
    scope: String,
}

/// What the feed shows of an account.
#[derive(Default, Clone)]
struct AccountInfo {
    name: String,
    owner: Option<String>,
    territory: Option<String>,
}

async fn account_info(
    state: &WebState,
    tenant: &str,
    account_id: &str,
) -> Result<AccountInfo, WebError> {
    let key = RecordKey {
        record_type: "account".into(),
        id: account_id.to_string(),
    };
    let latest = state
        .app
        .store
        .latest_version(tenant, &key)
        .await
        .map_err(crate::error::store)?;
    Ok(match latest.map(|v| v.record) {
        Some(Record::Account(a)) => AccountInfo {
            name: a.name,
            owner: a.owner,
            territory: a.territory,
        },
        _ => AccountInfo {
            name: account_id.to_string(),
            ..AccountInfo::default()
        },
    })
}

fn select(name: &str, label: &str, options: &[(String, String)], chosen: &str) -> String {
    let mut out = format!(
        r#"<div><label for="{name}">{label}</label><select id="{name}" name="{name}"><option value="">Any</option>"#
    );
    for (value, text) in options {
        let selected = if value == chosen { " selected" } else { "" };
        out += &format!(
            r#"<option value="{}"{selected}>{}</option>"#,
            html::escape(value),
            html::escape(text)
        );
    }
    out + "</select></div>"
}

pub async fn feed(
    State(state): State<WebState>,
    session: Session,
    Query(filters): Query<Filters>,
) -> Result<Html<String>, WebError> {
    let tenant = session.claims.tenant.clone();
    let listed = ActionApi::new(state.app.clone())
        .list_actions(as_person(
            &session,
            pb::ListActionsRequest {
                status: filters.status.clone(),
                limit: FEED_LIMIT,
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let mut accounts: BTreeMap<String, AccountInfo> = BTreeMap::new();
    for a in &listed.actions {
        if !accounts.contains_key(&a.account_id) {
            let info = account_info(&state, &tenant, &a.account_id).await?;
            accounts.insert(a.account_id.clone(), info);
        }
    }
    let owns_any = accounts
        .values()
        .any(|a| a.owner.as_deref() == Some(session.claims.sub.as_str()));
    let scope = match filters.scope.as_str() {
        "all" => "all",
        "mine" => "mine",
        _ if owns_any => "mine",
        _ => "all",
    };
    let shown: Vec<&pb::Action> = listed
        .actions
        .iter()
        .filter(|a| {
            let info = &accounts[&a.account_id];
            (scope == "all" || info.owner.as_deref() == Some(session.claims.sub.as_str()))
                && (filters.account.is_empty() || a.account_id == filters.account)
                && (filters.territory.is_empty()
                    || info.territory.as_deref() == Some(filters.territory.as_str()))
                && (filters.kind.is_empty() || a.kind == filters.kind)
        })
        .collect();

    let account_options: Vec<(String, String)> = accounts
        .iter()
        .map(|(id, info)| (id.clone(), info.name.clone()))
        .collect();
    let territories: BTreeSet<String> = accounts
        .values()
        .filter_map(|a| a.territory.clone())
        .collect();
    let territory_options: Vec<(String, String)> =
        territories.into_iter().map(|t| (t.clone(), t)).collect();
    let kinds: BTreeSet<String> = listed.actions.iter().map(|a| a.kind.clone()).collect();
    let kind_options: Vec<(String, String)> = kinds
        .into_iter()
        .map(|k| (k.clone(), k.replace('_', " ")))
        .collect();
    let status_options: Vec<(String, String)> = STATUSES
        .iter()
        .map(|s| (s.to_string(), s.replace('_', " ")))
        .collect();
    let scope_options = format!(
        r#"<div><label for="scope">Accounts</label><select id="scope" name="scope"><option value="mine"{}>Mine</option><option value="all"{}>All in {}</option></select></div>"#,
        if scope == "mine" { " selected" } else { "" },
        if scope == "all" { " selected" } else { "" },
        html::escape(&tenant)
    );
    let mut body = format!(
        r#"<form class="filters" method="get" action="/app" aria-label="Filter the actions">{scope_options}{}{}{}{}<div><button type="submit">Filter</button></div></form>"#,
        select("account", "Account", &account_options, &filters.account),
        select(
            "territory",
            "Territory",
            &territory_options,
            &filters.territory
        ),
        select("kind", "Kind", &kind_options, &filters.kind),
        select("status", "Status", &status_options, &filters.status),
    );
    if shown.is_empty() {
        body += r#"<p class="notice">No actions match. Try "All" accounts or fewer filters.</p>"#;
    } else {
        body += &format!(
            r#"<table><caption>{} action(s), most urgent first</caption><thead><tr><th scope="col">Rank</th><th scope="col">Account</th><th scope="col">Action</th><th scope="col">Why now</th><th scope="col">Status</th><th scope="col">Confidence</th></tr></thead><tbody>"#,
            shown.len()
        );
        for a in &shown {
            body += &format!(
                r#"<tr><td>#{rank}</td><td>{account}</td><td><a href="/app/actions/{id}">{title}</a><br><small>{kind}</small></td><td>{why}</td><td>{status}</td><td>{confidence:.2}</td></tr>"#,
                rank = a.rank,
                account = html::escape(&accounts[&a.account_id].name),
                id = html::url_part(&a.action_id),
                title = html::escape(&a.title),
                kind = html::escape(&a.kind.replace('_', " ")),
                why = html::escape(&a.why_now),
                status = html::status_badge(&a.status),
                confidence = a.confidence,
            );
        }
        body += "</tbody></table>";
    }
    let frame = frame(&state, &session).await;
    Ok(Html(html::page("Top actions", Some(&frame), &body)))
}
