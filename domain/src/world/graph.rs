//! The situation graph: accounts, contacts, opportunities, products, risks, events and
//! interactions as vertices, and what records say links them as edges. Built per record
//! version; the store keeps it per tenant, and queries never leave the tenant.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::state::EntityRef;
use crate::records::{ContactRole, Record};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Edge {
    pub from: EntityRef,
    /// `works_at`, `champion_of`, `owns`, `raised`, `attended`, `held_with`, `involves`,
    /// `concerns`, `uses`, `mentions_competitor`.
    pub kind: String,
    pub to: EntityRef,
}

fn edge(from: EntityRef, kind: &str, to: EntityRef) -> Edge {
    Edge {
        from,
        kind: kind.to_string(),
        to,
    }
}

/// A competitor's vertex id: its name, lowercased, words joined by `-`.
pub fn competitor_id(name: &str) -> String {
    name.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join("-")
}

/// The text a record carries that may name a competitor, and the vertex that says it.
fn mentioning(record: &Record) -> Option<(EntityRef, &str)> {
    match record {
        Record::Note(n) => Some((EntityRef::new("interaction", &n.id), n.text.as_str())),
        Record::Meeting(m) => Some((EntityRef::new("event", &m.id), m.title.as_str())),
        Record::News(n) => Some((EntityRef::new("event", &n.id), n.headline.as_str())),
        Record::Ticket(t) => Some((EntityRef::new("risk", &t.id), t.subject.as_str())),
        _ => None,
    }
}

/// The edges one record version asserts, given the tenant's competitors (matched by name,
/// ignoring case). Vertex types: account, contact, opportunity, contract, product (a usage
/// metric), risk (a ticket), event (a meeting or news), interaction (an email, call or note),
/// competitor.
pub fn edges_of(record: &Record, competitors: &[String]) -> Vec<Edge> {
    let mut out = asserted(record);
    if let Some((speaker, text)) = mentioning(record) {
        let text = text.to_lowercase();
        out.extend(
            competitors
                .iter()
                .filter(|c| !c.trim().is_empty() && text.contains(&c.to_lowercase()))
                .map(|c| {
                    edge(
                        speaker.clone(),
                        "mentions_competitor",
                        EntityRef::new("competitor", &competitor_id(c)),
                    )
                }),
        );
    }
    out
}

/// The links a record's fields state.
fn asserted(record: &Record) -> Vec<Edge> {
    let account = EntityRef::new("account", record.account_id().as_str());
    match record {
        Record::Account(_) => Vec::new(),
        Record::Contact(c) => {
            let contact = EntityRef::new("contact", &c.id);
            let mut out = vec![edge(contact.clone(), "works_at", account.clone())];
            if c.role == ContactRole::Champion {
                out.push(edge(contact, "champion_of", account));
            }
            out
        }
        Record::Opportunity(o) => vec![edge(account, "owns", EntityRef::new("opportunity", &o.id))],
        Record::Contract(c) => vec![edge(account, "owns", EntityRef::new("contract", &c.id))],
        Record::Ticket(t) => vec![edge(account, "raised", EntityRef::new("risk", &t.id))],
        Record::Usage(u) => vec![edge(account, "uses", EntityRef::new("product", &u.metric))],
        Record::Meeting(m) => {
            let event = EntityRef::new("event", &m.id);
            let mut out = vec![edge(event.clone(), "held_with", account)];
            out.extend(
                m.attendee_ids
                    .iter()
                    .map(|a| edge(EntityRef::new("contact", a), "attended", event.clone())),
            );
            out
        }
        Record::Activity(a) => {
            let interaction = EntityRef::new("interaction", &a.id);
            let mut out = vec![edge(interaction.clone(), "concerns", account)];
            if let Some(contact) = &a.contact_id {
                out.push(edge(
                    interaction,
                    "involves",
                    EntityRef::new("contact", contact),
                ));
            }
            out
        }
        Record::News(n) => vec![edge(EntityRef::new("event", &n.id), "concerns", account)],
        Record::Note(n) => vec![edge(
            EntityRef::new("interaction", &n.id),
            "concerns",
            account,
        )],
    }
}

/// The shortest path between two vertices, following edges either way, using `neighbours`
/// (which stays within one tenant) at most `max_depth` hops out. Ties go to the vertex that
/// sorts first, so the answer is deterministic.
pub fn shortest_path(
    from: &EntityRef,
    to: &EntityRef,
    max_depth: usize,
    mut neighbours: impl FnMut(&EntityRef) -> Vec<EntityRef>,
) -> Option<Vec<EntityRef>> {
    let mut came_from: BTreeMap<EntityRef, EntityRef> = BTreeMap::new();
    let mut seen: BTreeSet<EntityRef> = BTreeSet::from([from.clone()]);
    let mut queue = VecDeque::from([(from.clone(), 0usize)]);
    while let Some((vertex, depth)) = queue.pop_front() {
        if &vertex == to {
            let mut path = vec![vertex.clone()];
            let mut at = &vertex;
            while let Some(prev) = came_from.get(at) {
                path.push(prev.clone());
                at = prev;
            }
            path.reverse();
            return Some(path);
        }
        if depth == max_depth {
            continue;
        }
        let mut next = neighbours(&vertex);
        next.sort();
        for n in next {
            if seen.insert(n.clone()) {
                came_from.insert(n.clone(), vertex.clone());
                queue.push_back((n, depth + 1));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_line;

    fn record(line: &str) -> Record {
        parse_line(1, line).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn records_link_their_vertices() {
        let champion = record(
            r#"{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Ada","role":"champion"}"#,
        );
        let kinds: Vec<String> = edges_of(&champion, &[])
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert_eq!(kinds, ["works_at", "champion_of"]);
        let meeting = record(
            r#"{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","title":"QBR","starts_at":"2026-11-25T15:00:00Z","status":"scheduled","attendee_ids":["c1","c2"]}"#,
        );
        let edges = edges_of(&meeting, &[]);
        assert_eq!(edges.len(), 3);
        assert_eq!(
            edges[1],
            edge(
                EntityRef::new("contact", "c1"),
                "attended",
                EntityRef::new("event", "m1")
            )
        );
    }

    #[test]
    fn text_naming_a_tenant_competitor_links_to_it_whatever_the_case() {
        let note = record(
            r#"{"type":"note","id":"n1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","at":"2026-11-01T00:00:00Z","author":"sam","text":"They trialled NORTHWIND analytics last month."}"#,
        );
        let competitors = ["Rivalsoft".to_string(), "Northwind Analytics".to_string()];
        let mentions: Vec<Edge> = edges_of(&note, &competitors)
            .into_iter()
            .filter(|e| e.kind == "mentions_competitor")
            .collect();
        assert_eq!(
            mentions,
            [edge(
                EntityRef::new("interaction", "n1"),
                "mentions_competitor",
                EntityRef::new("competitor", "northwind-analytics")
            )]
        );
        assert!(
            edges_of(&note, &[])
                .iter()
                .all(|e| e.kind != "mentions_competitor"),
            "no competitors configured, no mentions"
        );
    }

    #[test]
    fn the_shortest_path_follows_edges_either_way_and_stops_at_the_depth() {
        let edges = [
            edge(
                EntityRef::new("contact", "c1"),
                "works_at",
                EntityRef::new("account", "acme"),
            ),
            edge(
                EntityRef::new("account", "acme"),
                "owns",
                EntityRef::new("opportunity", "o1"),
            ),
            edge(
                EntityRef::new("contact", "c2"),
                "attended",
                EntityRef::new("event", "m1"),
            ),
        ];
        let neighbours = |v: &EntityRef| -> Vec<EntityRef> {
            edges
                .iter()
                .filter_map(|e| match (e.from == *v, e.to == *v) {
                    (true, _) => Some(e.to.clone()),
                    (_, true) => Some(e.from.clone()),
                    _ => None,
                })
                .collect()
        };
        let path = shortest_path(
            &EntityRef::new("contact", "c1"),
            &EntityRef::new("opportunity", "o1"),
            4,
            neighbours,
        )
        .unwrap();
        let names: Vec<String> = path.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["contact:c1", "account:acme", "opportunity:o1"]);
        assert!(
            shortest_path(
                &EntityRef::new("contact", "c1"),
                &EntityRef::new("opportunity", "o1"),
                1,
                neighbours
            )
            .is_none()
        );
        assert!(
            shortest_path(
                &EntityRef::new("contact", "c1"),
                &EntityRef::new("event", "m1"),
                6,
                neighbours
            )
            .is_none(),
            "not connected"
        );
    }
}
