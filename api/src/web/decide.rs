//! Approve, edit and reject from the page: the same ActionService calls the CLI makes, as the
//! signed-in person, who mints their own approval token with each one. Then back to the action.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use revloop_proto::v1 as pb;
use revloop_proto::v1::action_service_server::ActionService;

use super::error::WebError;
use super::session::{self, Session};
use super::{WebState, as_person, get_action, html};
use crate::services::ActionApi;

/// Edited parameters arrive as `param.<name>` fields.
const PARAM_PREFIX: &str = "param.";

pub async fn decide(
    State(state): State<WebState>,
    session: Session,
    headers: HeaderMap,
    Path((action_id, verb)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, WebError> {
    session::check_origin(&headers)?;
    session.check_csrf(&state, form.get("csrf").map(String::as_str))?;
    let reason = form
        .get("reason")
        .cloned()
        .unwrap_or_default()
        .trim()
        .to_string();
    let api = ActionApi::new(state.app.clone());
    match verb.as_str() {
        "approve" => {
            let request = pb::DecideActionRequest {
                action_id: action_id.clone(),
                reason,
            };
            api.approve_action(as_person(&session, request)).await?;
        }
        "reject" => {
            if reason.is_empty() {
                return Err(WebError::new(
                    StatusCode::BAD_REQUEST,
                    "REASON_REQUIRED",
                    "reason: say why the action is rejected",
                ));
            }
            let request = pb::DecideActionRequest {
                action_id: action_id.clone(),
                reason,
            };
            api.reject_action(as_person(&session, request)).await?;
        }
        "edit" => {
            // Only what changed: an untouched field is no edit.
            let current = get_action(&state, &session, &action_id).await?;
            let params: serde_json::Value =
                serde_json::from_str(&current.params_json).unwrap_or_default();
            let changes: HashMap<String, String> = form
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(PARAM_PREFIX)?.to_string(), v.clone())))
                .filter(|(name, value)| params[name].as_str() != Some(value.as_str()))
                .collect();
            let request = pb::EditActionRequest {
                action_id: action_id.clone(),
                reason,
                changes,
            };
            api.edit_action(as_person(&session, request)).await?;
        }
        other => {
            return Err(WebError::new(
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                format!("no decision {other:?}: approve, edit or reject"),
            ));
        }
    }
    let back = format!("/app/actions/{}?done={verb}", html::url_part(&action_id));
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response())
}
