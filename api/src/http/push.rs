//! `POST /v1/tenants/{tenant}/connectors/{connector}/records`: a source pushes records (JSONL or
//! a JSON array), signed with the connector's secret and a timestamp (see [`super::signature`]).
//! Nothing is stored unless the tenant and connector exist, the signature matches, its timestamp
//! is inside the tolerance window, it was not delivered before, and the body is well-formed JSON;
//! then the batch is accepted exactly like a gRPC ingest (bad records quarantined, perception
//! started).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use revloop_domain::TenantId;
use serde_json::{Value, json};

use super::HttpError;
use super::limits::read_body;
use super::signature::{SIGNATURE_HEADER, STALE, verify};

use crate::error;
use crate::intake::{self, Batch};
use crate::server::AppState;

pub use revloop_activities::connectors::HTTP_PUSH;

pub async fn push_records(
    State(state): State<AppState>,
    Path((tenant, connector_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), HttpError> {
    // An unknown tenant or connector is answered exactly like a bad signature: before the
    // signature is checked, nothing may tell a caller which tenants or connectors exist.
    let unverified = || {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            "BAD_SIGNATURE",
            format!("the {SIGNATURE_HEADER} signature does not verify for this connector"),
        )
    };
    TenantId::parse(&tenant)
        .map_err(|e| HttpError::new(StatusCode::BAD_REQUEST, "BAD_TENANT", e.to_string()))?;
    let connector = match state
        .store
        .get_tenant(&tenant)
        .await
        .map_err(error::store)?
    {
        None => None,
        Some(_) => state
            .store
            .get_connector(&tenant, &connector_id)
            .await
            .map_err(error::store)?
            .filter(|c| c.kind == HTTP_PUSH),
    };
    let connector = connector.ok_or_else(unverified)?;
    let secret = connector
        .secret_ref
        .as_deref()
        .ok_or_else(|| "no secret reference is configured".to_string())
        .and_then(|r| state.secrets.resolve(&tenant, r).map_err(|e| e.to_string()))
        .map_err(|m| {
            // The detail (which variable or file) is for the operator's log, not the caller.
            tracing::warn!(tenant_id = %tenant, connector_id = %connector_id, error = %m, "push secret unavailable");
            HttpError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "SECRET_UNAVAILABLE",
                format!("connector {connector_id:?}: its secret is not available; the operator's log says why"),
            )
        })?;
    let header = headers
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            HttpError::new(
                StatusCode::UNAUTHORIZED,
                "BAD_SIGNATURE",
                format!("missing {SIGNATURE_HEADER} header"),
            )
        })?;
    // Read only now: an unknown connector's caller is refused without buffering anything.
    let body = read_body(body, &state.http_limits).await?;
    let now = chrono::Utc::now();
    let tolerance = state.push_tolerance;
    let verified = verify(secret.as_bytes(), &body, header, now, tolerance).map_err(|why| {
        // A stale timestamp is the sender's clock or a replay: say so, since it does not tell
        // an unsigned caller anything (only a correctly signed delivery gets this far).
        if why == STALE {
            HttpError::new(
                StatusCode::UNAUTHORIZED,
                "STALE_SIGNATURE",
                format!(
                    "the {SIGNATURE_HEADER} timestamp is more than {}s from the server's clock; sign each delivery when it is sent",
                    tolerance.num_seconds()
                ),
            )
        } else {
            unverified()
        }
    })?;
    let first_delivery = state
        .store
        .claim_push_delivery(
            &tenant,
            &connector_id,
            &verified.signature,
            now,
            verified.sent_at + tolerance,
        )
        .await
        .map_err(error::store)?;
    if !first_delivery {
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            "REPLAYED",
            "this signed delivery was already accepted; a new delivery needs a new timestamp and signature",
        ));
    }
    let jsonl = to_jsonl(&body)
        .map_err(|m| HttpError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", m))?;
    let batch = Batch {
        tenant_id: tenant,
        jsonl,
        source: format!("{HTTP_PUSH}:{connector_id}"),
        connector: HTTP_PUSH.into(),
        part_of: None,
    };
    let accepted = intake::accept_batch(&state, batch).await?;
    let status = if accepted.accepted > 0 {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let rejected: Vec<Value> = accepted
        .rejected
        .iter()
        .map(|r| json!({ "line": r.line, "field": r.field, "message": r.message }))
        .collect();
    Ok((
        status,
        Json(json!({
            "trace_id": accepted.trace_id,
            "workflow_id": accepted.workflow_id,
            "evidence_id": accepted.evidence_id,
            "accepted": accepted.accepted,
            "rejected": rejected,
        })),
    ))
}

/// A JSON array or JSONL body as JSONL. Any line (or the array) that is not JSON refuses the
/// whole body: a broken transport payload is not a batch of records.
fn to_jsonl(body: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(body).map_err(|e| format!("body is not UTF-8: {e}"))?;
    if text.trim_start().starts_with('[') {
        let items: Vec<Value> =
            serde_json::from_str(text).map_err(|e| format!("body is not a JSON array: {e}"))?;
        return Ok(items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"));
    }
    for (i, line) in text.lines().enumerate() {
        if !line.trim().is_empty() {
            serde_json::from_str::<Value>(line)
                .map_err(|e| format!("line {}: not valid JSON: {e}", i + 1))?;
        }
    }
    Ok(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::to_jsonl;

    #[test]
    fn arrays_become_jsonl_and_broken_json_is_refused_with_its_line() {
        assert_eq!(
            to_jsonl(br#"[{"a":1},{"b":2}]"#).unwrap(),
            "{\"a\":1}\n{\"b\":2}"
        );
        assert_eq!(
            to_jsonl(b"{\"a\":1}\n\n{\"b\":2}\n").unwrap(),
            "{\"a\":1}\n\n{\"b\":2}\n"
        );
        assert!(
            to_jsonl(b"{\"a\":1}\n{oops")
                .unwrap_err()
                .starts_with("line 2: not valid JSON")
        );
        assert!(
            to_jsonl(b"[{\"a\":1},")
                .unwrap_err()
                .starts_with("body is not a JSON array")
        );
    }
}
