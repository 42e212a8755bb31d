//! WorldService: the account state computed from evidence, now or as of an earlier instant,
//! and the stored snapshots of single entities.

use chrono::{DateTime, Utc};
use revloop_domain::AccountId;
use revloop_domain::auth::Role;

use revloop_activities::world::{AccountWorld, graph_query};
use revloop_domain::world::Direction;
use revloop_domain::world::graph::Edge;
use revloop_domain::world::state::EntityRef;
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
fn response(world: &AccountWorld) -> pb::AccountState {
    let (state, entities) = (&world.state, &world.entities);
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
        supporting_artifacts: world
            .supporting
            .iter()
            .map(|a| pb::SupportingArtifact {
                kind: enum_text(&a.kind),
                reference: a.reference.clone(),
                as_of: a.as_of.to_rfc3339(),
            })
            .collect(),
        snapshot_ref: world.account_snapshot().unwrap_or_default().to_string(),
    }
}

/// A vertex as sent: `type:id`.
fn vertex(field: &str, text: &str) -> Result<EntityRef, Status> {
    text.split_once(':')
        .filter(|(t, id)| !t.is_empty() && !id.is_empty())
        .map(|(t, id)| EntityRef::new(t, id))
        .ok_or_else(|| Status::invalid_argument(format!("{field}: {text:?} is not type:id")))
}

fn wire(e: &Edge) -> pb::GraphEdge {
    pb::GraphEdge {
        from: e.from.to_string(),
        kind: e.kind.clone(),
        to: e.to.to_string(),
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
    async fn search_memory(
        &self,
        request: Request<pb::SearchMemoryRequest>,
    ) -> Result<Response<pb::SearchMemoryResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let req = request.get_ref();
        if req.query.trim().is_empty() {
            return Err(Status::invalid_argument("query: required"));
        }
        let account = (!req.account_id.is_empty()).then_some(req.account_id.as_str());
        let limit = if req.limit == 0 {
            10
        } else {
            req.limit as usize
        };
        let hits = self
            .state
            .memory
            .search(&tenant, account, &req.query, limit)
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        Ok(Response::new(pb::SearchMemoryResponse {
            hits: hits
                .into_iter()
                .map(|h| pb::MemoryHit {
                    chunk_id: h.chunk.chunk_id,
                    account_id: h.chunk.account_id,
                    kind: h.chunk.kind,
                    text: h.chunk.text,
                    evidence_ref: h.chunk.evidence_ref,
                    score: h.score,
                })
                .collect(),
        }))
    }

    async fn query_graph(
        &self,
        request: Request<pb::QueryGraphRequest>,
    ) -> Result<Response<pb::QueryGraphResponse>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let req = request.get_ref();
        let from = vertex("vertex", &req.vertex)?;
        let mut out = pb::QueryGraphResponse::default();
        match req.query.as_str() {
            "neighbours" => {
                let edges = graph_query::edges(&*self.state.store, &tenant, &from)
                    .await
                    .map_err(error::store)?;
                out.edges = edges.iter().map(wire).collect();
            }
            "stakeholders" => {
                out.stakeholders = graph_query::stakeholders(&*self.state.store, &tenant, &from)
                    .await
                    .map_err(error::store)?
                    .into_iter()
                    .map(|s| pb::Stakeholder {
                        contact: s.contact.to_string(),
                        relations: s.relations,
                    })
                    .collect();
            }
            "path" => {
                let to = vertex("to", &req.to)?;
                let max_depth = if req.max_depth == 0 {
                    graph_query::DEFAULT_MAX_DEPTH
                } else {
                    req.max_depth as usize
                };
                let path = graph_query::path(&*self.state.store, &tenant, &from, &to, max_depth)
                    .await
                    .map_err(error::store)?
                    .ok_or_else(|| {
                        Status::not_found(format!(
                            "no path from {from} to {to} within {max_depth} hops"
                        ))
                    })?;
                out.path = path.iter().map(ToString::to_string).collect();
            }
            other => {
                return Err(Status::invalid_argument(format!(
                    "query: {other:?} is not neighbours, stakeholders or path"
                )));
            }
        }
        Ok(Response::new(out))
    }

    async fn get_snapshot(
        &self,
        request: Request<pb::GetSnapshotRequest>,
    ) -> Result<Response<pb::Snapshot>, Status> {
        let (_, tenant) = require(&request, Role::Viewer, "")?;
        let req = request.get_ref();
        let entity = vertex("entity", &req.entity)?;
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
            tier: u32::from(current.tier),
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
        let (world, outcome) = self
            .state
            .account_states
            .get(&*self.state.store, &tenant, account.as_str(), as_of)
            .await
            .map_err(error::store)?;
        crate::metrics::account_state_cache(outcome.as_str());
        if world.entities.is_empty() {
            return Err(Status::not_found(format!(
                "account {account} has no records in tenant {tenant}"
            )));
        }
        Ok(Response::new(response(&world)))
    }
}
