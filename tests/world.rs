//! The world model end to end: two systems that disagree on an account's renewal date leave a
//! contradiction that `GetAccountState` and `revloop account show` report with both values and
//! sources; as of an instant before the second system spoke there is none; another tenant sees
//! nothing of the account. A state whose schema does not resolve as the tenant pinned it is
//! never written: the error is ledgered and the perception workflow reports it.

use revloop_cli::client::ApiClient;
use revloop_domain::auth::Role;
use revloop_domain::world::state::EntityRef;
use revloop_proto::v1 as pb;
use revloop_store::{LedgerStore, SnapshotStore};

use crate::helpers::*;

/// Ingests the JSONL into the tenant as coming from `source` and waits for its perception
/// workflow; returns the ingest answer and the workflow's result.
async fn ingest_and_wait(
    env: &TestEnv,
    client: &mut ApiClient,
    tenant: &str,
    jsonl: &str,
    source: &str,
) -> anyhow::Result<(pb::IngestRecordsResponse, serde_json::Value)> {
    let ingested = client
        .ingest
        .ingest_records(pb::IngestRecordsRequest {
            tenant_id: tenant.into(),
            jsonl: jsonl.into(),
            source: source.into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let result = env.workflow_result(&ingested.workflow_id).await?;
    Ok((ingested, result))
}

const CRM: &str = r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme Corp","owner":"sam"}
{"type":"contract","id":"k1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","start_date":"2026-02-01","end_date":"2027-01-31"}"#;
const CONTRACTS: &str = r#"{"type":"contract","id":"CLM-7","account_id":"acme","updated_at":"2026-11-02T00:00:00Z","start_date":"2026-04-01","end_date":"2027-03-31"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disagreeing_sources_show_as_a_contradiction_now_but_not_before() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    ingest_and_wait(&env, &mut client, TENANT, CRM, "salesforce").await?;
    let between = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    ingest_and_wait(&env, &mut client, TENANT, CONTRACTS, "contracts").await?;

    let state = |as_of: String| {
        let mut client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .world
                    .get_account_state(pb::GetAccountStateRequest {
                        account_id: "acme".into(),
                        as_of,
                    })
                    .await?
                    .into_inner(),
            )
        }
    };
    let now = state(String::new()).await?;
    let disputed = now
        .unknowns
        .iter()
        .find(|u| u.entity == "account:acme" && u.field == "renewal_date")
        .expect("the renewal date is an unknown");
    assert_eq!(disputed.reason, "contradicted");
    let said: Vec<(&str, &str)> = disputed
        .claims
        .iter()
        .map(|c| (c.source.as_str(), c.value_json.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("contracts", "\"2027-03-31\""),
            ("salesforce", "\"2027-01-31\"")
        ]
    );
    assert_eq!(now.posture, "watch", "an account fact is in doubt");

    let before = state(between.to_rfc3339()).await?;
    assert!(
        before.unknowns.iter().all(|u| u.field != "renewal_date"),
        "before the contract system spoke, the CRM's date stood alone: {:?}",
        before.unknowns
    );
    let entities: serde_json::Value = serde_json::from_str(&before.entities_json)?;
    let account = entities
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["entity"]["entity_id"] == "acme" && e["entity"]["entity_type"] == "account")
        .expect("the account's state");
    assert_eq!(account["fields"]["renewal_date"]["value"], "2027-01-31");

    let shown = env.revloop_cli(TENANT, &[Role::Viewer], &["account", "show", "acme"])?;
    let text = String::from_utf8(shown.stdout)?;
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert!(
        text.contains("unknown account:acme.renewal_date: contradicted"),
        "{text}"
    );
    assert!(text.contains("contracts says \"2027-03-31\""), "{text}");

    let mut other = env.client("other-co", &[Role::Viewer]).await?;
    let foreign = other
        .world
        .get_account_state(pb::GetAccountStateRequest {
            account_id: "acme".into(),
            as_of: String::new(),
        })
        .await
        .expect_err("another tenant's account is not there");
    assert_eq!(foreign.code(), tonic::Code::NotFound);
    let snapshots = env
        .store()?
        .list_snapshots(TENANT, &EntityRef::new("account", "acme"))
        .await?;
    assert_eq!(snapshots.len(), 2, "one per batch that changed the account");
    assert_eq!(snapshots[1].schema.entity_type, "account");
    assert!(
        snapshots[1].state.fields["renewal_date"]
            .contradiction
            .is_some()
    );
    let snapshot_at = |as_of: String| {
        let mut client = client.clone();
        async move {
            client
                .world
                .get_snapshot(pb::GetSnapshotRequest {
                    entity: "account:acme".into(),
                    as_of,
                })
                .await
        }
    };
    let latest = snapshot_at(String::new()).await?.into_inner();
    assert_eq!(latest.state_hash, snapshots[1].state_hash);
    assert_eq!(
        latest.tier, 2,
        "the disputed renewal date costs the account tier 1"
    );
    assert_eq!(
        (latest.schema_type.as_str(), latest.schema_version),
        ("account", 1)
    );
    let earlier = snapshot_at(between.to_rfc3339()).await?.into_inner();
    assert_eq!(
        earlier.state_hash, snapshots[0].state_hash,
        "the snapshot current then"
    );
    assert_eq!(
        earlier.tier, 1,
        "every critical fact known, fresh and undisputed"
    );
    let none = snapshot_at("2020-01-01T00:00:00Z".into())
        .await
        .expect_err("nothing was known in 2020");
    assert_eq!(none.code(), tonic::Code::NotFound);
    let bad = state("last tuesday".into())
        .await
        .expect_err("a bad instant is refused");
    assert!(bad.to_string().contains("as_of"), "{bad}");
    Ok(())
}

/// The API's count of account-state answers with this cache outcome.
async fn cache_answers(env: &TestEnv, outcome: &str) -> anyhow::Result<u64> {
    let text = reqwest::get(&env.api_metrics_url)
        .await?
        .error_for_status()?
        .text()
        .await?;
    let line = format!("revloop_account_state_cache_total{{outcome=\"{outcome}\"}} ");
    Ok(text
        .lines()
        .find_map(|l| l.strip_prefix(&line))
        .map(|n| n.trim().parse())
        .transpose()?
        .unwrap_or(0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_state_is_cached_but_never_older_than_the_newest_snapshot() -> anyhow::Result<()>
{
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let (first, _) = ingest_and_wait(&env, &mut client, TENANT, CRM, "salesforce").await?;
    let read = |client: &mut ApiClient| {
        let mut client = client.clone();
        async move {
            anyhow::Ok(
                client
                    .world
                    .get_account_state(pb::GetAccountStateRequest {
                        account_id: "acme".into(),
                        as_of: String::new(),
                    })
                    .await?
                    .into_inner(),
            )
        }
    };
    let (hits, misses) = (
        cache_answers(&env, "hit").await?,
        cache_answers(&env, "miss").await?,
    );
    let computed = read(&mut client).await?;
    let cached = read(&mut client).await?;
    assert_eq!(cache_answers(&env, "miss").await?, misses + 1);
    assert_eq!(
        cache_answers(&env, "hit").await?,
        hits + 1,
        "the second read is cached"
    );
    assert_eq!(
        (
            cached.state_json != computed.state_json,
            cached.as_of > computed.as_of
        ),
        (true, true),
        "a cached answer is still as of the moment asked"
    );
    assert_eq!(cached.snapshot_ref, computed.snapshot_ref);
    assert!(
        computed.snapshot_ref.starts_with("snap:account:acme@"),
        "{computed:?}"
    );
    let supporting: Vec<(&str, &str)> = computed
        .supporting_artifacts
        .iter()
        .map(|a| (a.kind.as_str(), a.reference.as_str()))
        .collect();
    assert!(
        supporting
            .iter()
            .any(|(k, r)| *k == "snapshot" && r.starts_with("snap:contract:k1@")),
        "{supporting:?}"
    );
    assert!(
        supporting
            .iter()
            .any(|(k, r)| *k == "evidence" && *r == first.evidence_id),
        "{supporting:?}"
    );

    // The owner changes: a new snapshot of the account, and the next read shows it at once.
    let renamed = r#"{"type":"account","id":"acme","updated_at":"2026-11-03T00:00:00Z","name":"Acme Corp","owner":"kim"}"#;
    ingest_and_wait(&env, &mut client, TENANT, renamed, "salesforce").await?;
    let after = read(&mut client).await?;
    assert_eq!(cache_answers(&env, "miss").await?, misses + 2);
    assert_ne!(
        after.snapshot_ref, computed.snapshot_ref,
        "bound to the newer snapshot"
    );
    let newest = env
        .store()?
        .list_snapshots(TENANT, &EntityRef::new("account", "acme"))
        .await?
        .pop()
        .expect("the account has snapshots");
    assert_eq!(
        after.snapshot_ref,
        format!("snap:account:acme@{}", newest.state_hash)
    );
    let entities: serde_json::Value = serde_json::from_str(&after.entities_json)?;
    let owner = entities
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["entity"]["entity_type"] == "account")
        .map(|e| e["fields"]["owner"]["value"].clone());
    assert_eq!(owner, Some(serde_json::json!("kim")));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_whose_schema_hash_does_not_match_is_not_written() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let tenant = "pinned-co";
    let mut client = env.client(tenant, &[Role::Admin]).await?;
    let pin = format!(
        "[world.schemas.account]\nversion = 1\nhash = \"{}\"\n",
        "0".repeat(64)
    );
    set_tenant_config(&mut client, tenant, &pin).await?;
    let (_, result) = ingest_and_wait(&env, &mut client, tenant, CRM, "salesforce").await?;
    let errors = result["world_errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(errors.len(), 1, "{result}");
    let error = errors[0].as_str().unwrap_or_default();
    assert!(
        error.starts_with("account:acme: schema account v1 has hash"),
        "{error}"
    );
    assert!(error.contains(&"0".repeat(64)), "{error}");

    let store = env.store()?;
    assert!(
        store
            .list_snapshots(tenant, &EntityRef::new("account", "acme"))
            .await?
            .is_empty(),
        "no state was written for the account"
    );
    assert_eq!(
        store
            .list_snapshots(tenant, &EntityRef::new("contract", "k1"))
            .await?
            .len(),
        1,
        "other entity types are not held back"
    );
    let refusals: Vec<serde_json::Value> = store
        .list_entries(tenant, 0, 10_000)
        .await?
        .into_iter()
        .filter(|e| e.payload["validator"] == "schema_registry")
        .map(|e| e.payload)
        .collect();
    assert_eq!(refusals.len(), 1);
    assert_eq!(refusals[0]["entity"], "account:acme");
    assert_eq!(refusals[0]["result"], "BLOCK");
    Ok(())
}

const PEOPLE: &str = r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme Corp","owner":"sam"}
{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"champion"}
{"type":"contact","id":"c2","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Bo Chen","email":"bo@acme.test","role":"user"}
{"type":"opportunity","id":"o1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Expansion","stage":"proposal","amount":50000}
{"type":"meeting","id":"m1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","title":"QBR","starts_at":"2026-11-25T15:00:00Z","status":"scheduled","attendee_ids":["c1"]}
{"type":"activity","id":"a1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","kind":"call","at":"2026-10-30T10:00:00Z","contact_id":"c2","direction":"outbound"}"#;

const CHANGED_PEOPLE: &str = r#"{"type":"contact","id":"c1","account_id":"acme","updated_at":"2026-11-05T00:00:00Z","name":"Ada Lee","email":"ada@acme.test","role":"user"}
{"type":"note","id":"n1","account_id":"acme","updated_at":"2026-11-05T00:00:00Z","at":"2026-11-05T00:00:00Z","author":"sam","text":"Bo says RIVALSOFT offered a steep discount."}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_situation_graph_answers_within_the_tenant_only() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let mut client = env.admin().await?;
    let (ingested, _) = ingest_and_wait(&env, &mut client, TENANT, PEOPLE, "salesforce").await?;
    assert_eq!(ingested.accepted, 6);
    let query = |client: &ApiClient, query: &str, vertex: &str, to: &str| {
        let mut client = client.clone();
        let request = pb::QueryGraphRequest {
            query: query.into(),
            vertex: vertex.into(),
            to: to.into(),
            max_depth: 0,
        };
        async move { client.world.query_graph(request).await }
    };

    let around = query(&client, "neighbours", "account:acme", "")
        .await?
        .into_inner();
    let edges: Vec<String> = around
        .edges
        .iter()
        .map(|e| format!("{} {} {}", e.from, e.kind, e.to))
        .collect();
    assert_eq!(
        edges,
        [
            "account:acme owns opportunity:o1",
            "contact:c1 champion_of account:acme",
            "contact:c1 works_at account:acme",
            "contact:c2 works_at account:acme",
            "event:m1 held_with account:acme",
            "interaction:a1 concerns account:acme",
        ]
    );
    let people = query(&client, "stakeholders", "account:acme", "")
        .await?
        .into_inner();
    let map: Vec<String> = people
        .stakeholders
        .iter()
        .map(|s| format!("{}: {}", s.contact, s.relations.join(", ")))
        .collect();
    assert_eq!(
        map,
        [
            "contact:c1: champion_of, works_at, attended:m1",
            "contact:c2: works_at, involved_in:a1",
        ]
    );
    let path = query(&client, "path", "contact:c2", "opportunity:o1")
        .await?
        .into_inner();
    assert_eq!(path.path, ["contact:c2", "account:acme", "opportunity:o1"]);
    let shown = env.revloop_cli(
        TENANT,
        &[Role::Viewer],
        &["graph", "path", "event:m1", "interaction:a1"],
    )?;
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    assert_eq!(
        String::from_utf8(shown.stdout)?.trim(),
        "event:m1 → account:acme → interaction:a1"
    );

    // Ada is no longer the champion, and a note names a competitor the tenant configured.
    set_tenant_config(
        &mut client,
        TENANT,
        "[signals]\ncompetitors = [\"Rivalsoft\"]\n",
    )
    .await?;
    ingest_and_wait(&env, &mut client, TENANT, CHANGED_PEOPLE, "salesforce").await?;
    let ada = query(&client, "neighbours", "contact:c1", "")
        .await?
        .into_inner();
    let kinds: Vec<&str> = ada.edges.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["attended", "works_at"], "champion_of is retracted");
    let rival = query(&client, "neighbours", "competitor:rivalsoft", "")
        .await?
        .into_inner();
    let mentions: Vec<String> = rival
        .edges
        .iter()
        .map(|e| format!("{} {} {}", e.from, e.kind, e.to))
        .collect();
    assert_eq!(
        mentions,
        ["interaction:n1 mentions_competitor competitor:rivalsoft"]
    );

    let other = env.client("other-co", &[Role::Viewer]).await?;
    let foreign = query(&other, "neighbours", "account:acme", "")
        .await?
        .into_inner();
    assert!(foreign.edges.is_empty(), "another tenant sees no edge");
    let no_path = query(&other, "path", "contact:c2", "opportunity:o1")
        .await
        .expect_err("no path there");
    assert_eq!(no_path.code(), tonic::Code::NotFound);
    let bad = query(&client, "gossip", "account:acme", "")
        .await
        .expect_err("unknown query");
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_search_ranks_notes_within_the_tenant_only() -> anyhow::Result<()> {
    let env = spawn_env().await?;
    let notes = |tenant: &str, texts: &[(&str, &str)]| {
        texts
            .iter()
            .map(|(id, text)| {
                format!(
                    r#"{{"type":"note","id":"{id}","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","at":"2026-11-01T00:00:00Z","text":"{text} ({tenant})"}}"#
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    for (tenant, texts) in [
        (
            TENANT,
            vec![
                (
                    "n1",
                    "Rivalsoft pitched a Rivalsoft discount; Rivalsoft again",
                ),
                ("n2", "Renewal call went well, Rivalsoft mentioned once"),
            ],
        ),
        (
            "other-co",
            vec![("n9", "Rivalsoft everywhere in the other tenant")],
        ),
    ] {
        let mut client = env.client(tenant, &[Role::Admin]).await?;
        ingest_and_wait(&env, &mut client, tenant, &notes(tenant, &texts), "notes").await?;
    }
    let mut client = env.client(TENANT, &[Role::Viewer]).await?;
    let hits = client
        .world
        .search_memory(pb::SearchMemoryRequest {
            query: "rivalsoft".into(),
            account_id: "acme".into(),
            limit: 10,
        })
        .await?
        .into_inner()
        .hits;
    let ids: Vec<&str> = hits.iter().map(|h| h.chunk_id.as_str()).collect();
    assert_eq!(
        ids,
        ["note:n1#0", "note:n2#0"],
        "ranked, and nothing of the other tenant"
    );
    assert!(hits[0].evidence_ref.starts_with("rec:note:n1@"));
    assert!(hits[0].score > hits[1].score);
    let shown = env.revloop_cli(TENANT, &[Role::Viewer], &["memory", "search", "renewal"])?;
    let text = String::from_utf8(shown.stdout)?;
    assert!(text.contains("Renewal call went well"), "{text}");
    assert!(!text.contains("other tenant"), "{text}");
    let empty = client
        .world
        .search_memory(pb::SearchMemoryRequest::default())
        .await
        .expect_err("a query is required");
    assert_eq!(empty.code(), tonic::Code::InvalidArgument);
    Ok(())
}
