//! WorldService: the account state computed from evidence, now or as of an earlier instant,
//! and the stored snapshots of single entities.

use chrono::{DateTime, Utc};
use revloop_domain::AccountId;
use revloop_domain::auth::Role;
use revloop_domain::world::state::{EntityRef, EntityState};
use revloop_domain::world::{AccountState, Direction};
use revloop_proto::v1 as pb;
use revloop_proto::v1::world_service_server::WorldService;
use tonic::{Request, Response, Status};

use crate::auth::require;
use crate::convert::{enum_text, json_text};
use crate::error;
use crate::server::AppState;

pub struct WorldApi {
    state: AppState,
}

impl WorldApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The wire form; a contradicted unknown lists every source's claim from the entity state.
fn response(state: &AccountState, entities: &[EntityState]) -> pb::AccountState {
    let claims = |entity: &str, field: &str| -> Vec<pb::Claim> {
        entities
            .iter()
            .find(|e| e.entity.to_string() == entity)
            .and_then(|e| e.fields.get(field))
            .and_then(|f| f.contradiction.as_ref())
            .into_iter()
            .flatten()
            .map(|c| pb::Claim {
                value_json: json_text(&c.value),
                source: c.source.clone(),
                trust_class: c.trust_class.clone(),
                evidence_id: c.evidence_id.clone(),
                observed_at: c.observed_at.to_rfc3339(),
            })
            .collect()
    };
    pb::AccountState {
        account_id: state.account_id.clone(),
        as_of: state.as_of.to_rfc3339(),
        posture: enum_text(&state.posture),
        top_risks: state
            .top_risks
            .iter()
            .map(|r| pb::Risk {
                signal_type: r.signal_type.as_str(),
                severity: enum_text(&r.severity),
                why: r.why.clone(),
                signal_id: r.signal_id.clone(),
                evidence_refs: r.evidence_refs.clone(),
            })
            .collect(),
        unknowns: state
            .unknowns
            .iter()
            .map(|u| pb::Unknown {
                entity: u.entity.to_string(),
                field: u.field.clone(),
                reason: u.reason.clone(),
                claims: claims(&u.entity.to_string(), &u.field),
            })
            .collect(),
        momentum: match state.momentum.direction {
            Direction::Up => "up",
            Direction::Flat => "flat",
            Direction::Down => "down",
        }
        .to_string(),
        state_json: json_text(state),
        entities_json: json_text(&entities),
    }
}

/// `as_of` as sent: empty is now; anything else must be RFC 3339.
fn instant(as_of: &str) -> Result<DateTime<Utc>, Status> {
    match as_of {
        "" => Ok(Utc::now()),
        t => t.parse::<DateTime<Utc>>().map_err(|e| {
            Status::invalid_argument(format!("as_of: {t:?} is not an RFC 3339 instant: {e}"))
        }),
    }
}

#[tonic::async_trait]
impl WorldService for WorldApi {
    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::Snapshot>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let req = request.get_ref();
        let entity = req
            .entity
            .split_once(':')
            .filter(|(t, id)| !t.is_empty() && !id.is_empty())
            .map(|(t, id)| EntityRef::new(t, id))
            .ok_or_else(|| {
                Status::invalid_argument(format!("entity: {:?} is not type:id", req.entity))
            })?;
        let as_of = instant(&req.as_of)?;
        let snapshots = self
            .state
            .store
            .list_snapshots(&tenant, &entity)
            .await
            .map_err(error::store)?;
        let current = snapshots
            .iter()
            .filter(|s| s.as_of <= as_of)
            .max_by_key(|s| s.as_of)
            .ok_or_else(|| {
                Status::not_found(format!("no snapshot of {entity} at or before {as_of}"))
            })?;
        Ok(Response::new(pb::Snapshot {
            entity: current.entity.to_string(),
            state_hash: current.state_hash.clone(),
            as_of: current.as_of.to_rfc3339(),
            schema_type: current.schema.entity_type.clone(),
            schema_version: current.schema.version,
            schema_hash: current.schema.hash.clone(),
            state_json: json_text(&current.state),
        }))
    }

    async fn get_account_state(
        &self,
        request: Request<pb::GetAccountStateRequest>,
    ) -> Result<Response<pb::AccountState>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let req = request.get_ref();
        let account = AccountId::parse(&req.account_id)
            .map_err(|e| Status::invalid_argument(format!("account_id: {e}")))?;
        let as_of = instant(&req.as_of)?;
        let (state, entities) = revloop_activities::world::account_world(
            &*self.state.store,
            &tenant,
            account.as_str(),
            as_of,
        )
        .await
        .map_err(error::store)?;
        if entities.is_empty() {
            return Err(Status::not_found(format!(
                "account {account} has no records in tenant {tenant}"
            )));
        }
        Ok(Response::new(response(&state, &entities)))
    }
}
