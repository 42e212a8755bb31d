//! The checks themselves. Each takes a fresh, empty store.

use chrono::{DateTime, Utc};
use revloop_domain::decision::{ActionKind, Proposal};
use revloop_domain::ledger::{LedgerKind, NewLedgerEntry, verify_chain};
use revloop_domain::records::parse_line;
use revloop_domain::world::record_ref;

use crate::*;

fn at() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn entry(tenant: &str, key: &str) -> NewLedgerEntry {
    NewLedgerEntry {
        tenant_id: tenant.into(),
        idempotency_key: key.into(),
        at: at(),
        trace_id: "trace-1".into(),
        workflow_id: format!("{tenant}/perception/x"),
        run_id: "run-1".into(),
        activity: "detect_signals".into(),
        kind: LedgerKind::Signal,
        snapshot_ref: None,
        payload: serde_json::json!({"key": key}),
    }
}

/// The version of the record on `line` as the checks store it (tenant t1, from batch
/// `evidence_id`): also the fixture other crates' store-backed tests build versions with.
pub fn version(line: &str, evidence_id: &str) -> RecordVersion {
    let record = parse_line(1, line).unwrap();
    RecordVersion {
        tenant_id: "t1".into(),
        key: record.key(),
        account_id: record.account_id().to_string(),
        content_hash: record.content_hash(),
        evidence_ref: record_ref(&record),
        record,
        evidence_id: evidence_id.into(),
        line: 1,
        previous_ref: None,
        trust_class: "crm".into(),
        observed_at: at(),
        source: "salesforce".into(),
    }
}

pub async fn evidence_is_content_addressed<S: Store>(store: S) {
    let provenance = Provenance {
        source: "s".into(),
        connector: "jsonl".into(),
        fetched_at: at(),
        cursor: None,
        trust_class: "crm".into(),
    };
    let e = Evidence::new("t1", b"{}\n".to_vec(), provenance);
    assert!(store.put_evidence(&e).await.unwrap());
    assert!(
        !store.put_evidence(&e).await.unwrap(),
        "same bytes are stored once"
    );
    assert_eq!(
        store.get_evidence("t1", &e.evidence_id).await.unwrap(),
        Some(e.clone())
    );
    assert_eq!(
        store.get_evidence("t2", &e.evidence_id).await.unwrap(),
        None,
        "evidence is per tenant"
    );
}

pub async fn record_versions_are_conditional<S: Store>(store: S) {
    let v1 = version(
        r#"{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Acme"}"#,
        "ev-1",
    );
    let v2 = version(
        r#"{"type":"account","id":"acme","updated_at":"2026-01-02T00:00:00Z","name":"Acme Inc"}"#,
        "ev-2",
    );
    store.put_version(&v1, None).await.unwrap();
    store.put_version(&v1, None).await.unwrap();
    let err = store.put_version(&v2, None).await.unwrap_err();
    assert_eq!(
        err.kind,
        StoreErrorKind::Conflict,
        "a stale expectation loses"
    );
    store
        .put_version(&v2, Some(&v1.content_hash))
        .await
        .unwrap();
    assert_eq!(
        store.latest_version("t1", &v1.key).await.unwrap(),
        Some(v2.clone())
    );
    assert_eq!(
        store.version_by_ref("t1", &v1.evidence_ref).await.unwrap(),
        Some(v1.clone()),
        "old versions stay resolvable"
    );
    assert_eq!(
        store
            .versions_by_refs(
                "t1",
                &[
                    v2.evidence_ref.clone(),
                    "rec:account:none@0".into(),
                    v1.evidence_ref.clone()
                ]
            )
            .await
            .unwrap(),
        vec![v2.clone(), v1.clone()],
        "found refs in input order, missing ones left out"
    );
    assert_eq!(
        store.account_versions("t1", "acme").await.unwrap(),
        vec![v1.clone(), v2.clone()],
        "every version of the account, oldest first"
    );
    assert!(
        store
            .account_versions("t2", "acme")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .versions_by_refs("t2", std::slice::from_ref(&v1.evidence_ref))
            .await
            .unwrap()
            .is_empty(),
        "versions are per tenant"
    );
    assert_eq!(
        store.account_cited_records("t1", "acme").await.unwrap(),
        vec![crate::CitedRecord {
            record: v2.record.clone(),
            evidence_ref: v2.evidence_ref.clone(),
        }],
        "the latest record with the ref its version was stored under"
    );
    assert_eq!(
        store.account_records("t1", "acme").await.unwrap(),
        vec![v2.record]
    );
    assert!(
        store
            .account_records("t2", "acme")
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn signals_are_stored_once<S: Store>(store: S) {
    use revloop_domain::signals::*;
    let tenant = revloop_domain::TenantId::parse("t1").unwrap();
    let signal = Signal {
        signal_id: "sig-1".into(),
        signal_type: SignalType::MeetingUpcoming,
        tenant_id: tenant,
        account_id: revloop_domain::AccountId::parse("acme").unwrap(),
        severity: Severity::High,
        confidence: 0.9,
        evidence_refs: vec!["rec:meeting:m1@abc".into()],
        detected_at: at(),
        expires_at: at(),
        dedup_key: "meeting:m1".into(),
        details: serde_json::json!({}),
    };
    assert_eq!(
        store
            .put_signals(std::slice::from_ref(&signal))
            .await
            .unwrap(),
        vec![(signal.clone(), true)]
    );
    let mut later = signal.clone();
    later.detected_at = at() + chrono::Duration::hours(1);
    let mut other = signal.clone();
    other.signal_id = "sig-0".into();
    other.dedup_key = "meeting:m0".into();
    assert_eq!(
        store
            .put_signals(&[later.clone(), other.clone()])
            .await
            .unwrap(),
        vec![(signal.clone(), false), (other.clone(), true)],
        "the first detection is kept, new ones are inserted, in input order"
    );
    assert_eq!(store.put_signals(&[]).await.unwrap(), vec![]);
    assert_eq!(
        store.list_signals("t1", Some("acme")).await.unwrap(),
        vec![other, signal]
    );
    assert!(
        store
            .list_signals("t1", Some("other"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn quarantine_keeps_every_line<S: Store>(store: S) {
    for line in [3, 5, 3] {
        let q = QuarantinedLine {
            tenant_id: "t1".into(),
            batch_id: "b1".into(),
            line,
            field: Some("arr".into()),
            message: "bad".into(),
            raw: "{".into(),
            at: at(),
        };
        store.quarantine(&q).await.unwrap();
    }
    let lines: Vec<usize> = store
        .list_quarantined("t1")
        .await
        .unwrap()
        .iter()
        .map(|q| q.line)
        .collect();
    assert_eq!(lines, vec![3, 5]);
    // A whole batch at once, again idempotent per line.
    let batch: Vec<QuarantinedLine> = [5, 7, 9, 7]
        .into_iter()
        .map(|line| QuarantinedLine {
            tenant_id: "t1".into(),
            batch_id: "b1".into(),
            line,
            field: None,
            message: "bad".into(),
            raw: "x".into(),
            at: at(),
        })
        .collect();
    store.quarantine_all(&batch).await.unwrap();
    let lines: Vec<usize> = store
        .list_quarantined("t1")
        .await
        .unwrap()
        .iter()
        .map(|q| q.line)
        .collect();
    assert_eq!(lines, vec![3, 5, 7, 9]);
    let (page, total) = store.quarantined_page("t1", "b1", 3, 2).await.unwrap();
    assert_eq!(page.iter().map(|q| q.line).collect::<Vec<_>>(), vec![5, 7]);
    assert_eq!(total, 4);
    let (rest, _) = store.quarantined_page("t1", "b1", 7, 2).await.unwrap();
    assert_eq!(rest.iter().map(|q| q.line).collect::<Vec<_>>(), vec![9]);
    assert!(
        store
            .quarantined_page("t1", "other", 0, 9)
            .await
            .unwrap()
            .0
            .is_empty()
    );
}

pub async fn ledger_appends_once_per_key_and_chains<S: Store>(store: S) {
    let a = store.append(entry("t1", "wf/run/1")).await.unwrap();
    let b = store.append(entry("t1", "wf/run/2")).await.unwrap();
    let again = store.append(entry("t1", "wf/run/1")).await.unwrap();
    assert_eq!((a.seq, b.seq), (1, 2));
    assert_eq!(again, a, "a retried append returns the first entry");
    let all = store.list_entries("t1", 0, 100).await.unwrap();
    assert_eq!(all.len(), 2);
    assert!(verify_chain(&all).is_intact());
    assert_eq!(store.list_entries("t1", 1, 100).await.unwrap(), vec![b]);
}

pub async fn ledger_chains_are_per_tenant<S: Store>(store: S) {
    store.append(entry("t1", "k1")).await.unwrap();
    let other = store.append(entry("t2", "k1")).await.unwrap();
    assert_eq!(other.seq, 1, "each tenant has its own chain");
    assert_eq!(store.list_entries("t2", 0, 10).await.unwrap().len(), 1);
}

pub async fn concurrent_ledger_appends_never_fork<S: Store + Clone + 'static>(store: S) {
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .append(entry("t1", &format!("k{i}")))
                    .await
                    .unwrap()
                    .seq
            })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs.sort();
    assert_eq!(seqs, (1..=20).collect::<Vec<u64>>());
    assert!(verify_chain(&store.list_entries("t1", 0, 100).await.unwrap()).is_intact());
}

pub async fn actions_round_trip_and_stay_in_their_tenant<S: Store>(store: S) {
    let proposal = Proposal::new_for("d1", ActionKind::SendFollowUp)
        .evidence(vec!["rec:x".into()], vec![])
        .build();
    let mut action = ActionRecord {
        action_id: proposal.proposal_id.clone(),
        tenant_id: "t1".into(),
        account_id: "acme".into(),
        trace_id: "trace-1".into(),
        decision_id: "d1".into(),
        proposal,
        status: ActionStatus::Proposed,
        snapshot_ref: Some("art-snapshot".into()),
        world_snapshots: Vec::new(),
        validations: vec![],
        budget: vec![],
        ledger_seqs: Default::default(),
        approval_events: vec![],
        result: None,
        created_at: at(),
        updated_at: at(),
        routing: None,
        decided_by: None,
    };
    assert_eq!(store.create_action(&action).await.unwrap(), action);
    action.status = ActionStatus::AwaitingApproval;
    store.save_action(&action).await.unwrap();
    let mut ignored = action.clone();
    ignored.status = ActionStatus::Executed;
    assert_eq!(
        store.create_action(&ignored).await.unwrap(),
        action,
        "create never overwrites"
    );
    assert_eq!(
        store.get_action(&action.action_id).await.unwrap(),
        Some(action.clone())
    );
    assert_eq!(
        store
            .list_actions("t1", Some(ActionStatus::AwaitingApproval))
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .list_actions("t1", Some(ActionStatus::Executed))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.list_actions("t2", None).await.unwrap().is_empty());
    let mut older = action.clone();
    older.action_id = "act-older".into();
    older.tenant_id = "t3".into();
    older.updated_at = at() - chrono::Duration::hours(2);
    store.create_action(&older).await.unwrap();
    let mut elsewhere = action.clone();
    elsewhere.action_id = "act-elsewhere".into();
    elsewhere.tenant_id = "t3".into();
    store.create_action(&elsewhere).await.unwrap();
    assert_eq!(
        store
            .status_backlog(ActionStatus::AwaitingApproval)
            .await
            .unwrap(),
        vec![
            StatusBacklog {
                tenant_id: "t1".into(),
                count: 1,
                oldest_updated_at: at()
            },
            StatusBacklog {
                tenant_id: "t3".into(),
                count: 2,
                oldest_updated_at: older.updated_at
            },
        ],
        "the approval backlog per tenant, with its oldest entry"
    );
    assert!(
        store
            .status_backlog(ActionStatus::Failed)
            .await
            .unwrap()
            .is_empty()
    );
    let mut foreign = action.clone();
    foreign.tenant_id = "t2".into();
    assert_eq!(
        store.save_action(&foreign).await.unwrap_err().kind,
        StoreErrorKind::NotFound
    );
    // Top actions: what needs a person comes first, whatever its rank.
    let mut done = action.clone();
    done.action_id = "act-done".into();
    done.proposal.rank = 1;
    done.status = ActionStatus::Executed;
    store.create_action(&done).await.unwrap();
    action.proposal.rank = 3;
    store.save_action(&action).await.unwrap();
    let order: Vec<String> = store
        .list_actions("t1", None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action_id)
        .collect();
    assert_eq!(
        order,
        vec![action.action_id.clone(), "act-done".to_string()]
    );
}

pub async fn effects_happen_once<S: Store>(store: S) {
    let effect = Effect {
        idempotency_key: "t1/action/a1/1".into(),
        tenant_id: "t1".into(),
        action_id: "a1".into(),
        kind: "email_queued".into(),
        payload: serde_json::json!({"to": "x"}),
        at: at(),
    };
    let (_, created) = store.record_effect(&effect).await.unwrap();
    let mut retry = effect.clone();
    retry.payload = serde_json::json!({"to": "changed"});
    let (stored, created_again) = store.record_effect(&retry).await.unwrap();
    assert!(created && !created_again);
    assert_eq!(stored, effect);
    assert_eq!(store.list_effects("t1", "a1").await.unwrap().len(), 1);
}

pub async fn tenants_are_created_once<S: Store>(store: S) {
    let t = Tenant {
        tenant_id: "t1".into(),
        name: "One".into(),
        config: TenantConfig::default(),
    };
    store.ensure_tenant(&t).await.unwrap();
    let renamed = Tenant {
        name: "Other".into(),
        ..t.clone()
    };
    assert_eq!(store.ensure_tenant(&renamed).await.unwrap(), t);
    assert_eq!(store.get_tenant("t1").await.unwrap(), Some(t.clone()));
    assert_eq!(store.get_tenant("nobody").await.unwrap(), None);
    let mut configured = renamed.clone();
    configured.config.signals.competitors = vec!["Rivalsoft".into()];
    store.put_tenant(&configured).await.unwrap();
    assert_eq!(
        store.get_tenant("t1").await.unwrap(),
        Some(configured.clone()),
        "put replaces"
    );
    assert_eq!(
        store.ensure_tenant(&t).await.unwrap(),
        configured,
        "ensure keeps what put wrote"
    );
}

pub async fn artifacts_are_content_addressed<S: Store>(store: S) {
    let a = Artifact::new("t1", "text/markdown", b"# brief".to_vec());
    store.put_artifact(&a).await.unwrap();
    store.put_artifact(&a).await.unwrap();
    assert_eq!(
        store.get_artifact("t1", &a.artifact_key).await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(
        store.get_artifact("t2", &a.artifact_key).await.unwrap(),
        None
    );
}

pub async fn push_deliveries_are_claimed_once<S: Store>(store: S) {
    let now = at();
    let until = now + chrono::Duration::minutes(5);
    assert!(
        store
            .claim_push_delivery("t1", "crm", "sig-a", now, until)
            .await
            .unwrap()
    );
    // The replay, by whoever sends it, is refused.
    assert!(
        !store
            .claim_push_delivery("t1", "crm", "sig-a", now, until)
            .await
            .unwrap()
    );
    // The same bytes are a different delivery for another connector or tenant.
    assert!(
        store
            .claim_push_delivery("t1", "erp", "sig-a", now, until)
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_push_delivery("t2", "crm", "sig-a", now, until)
            .await
            .unwrap()
    );
    // Past its window a claim is forgotten (the timestamp refuses such a delivery by then).
    let later = until + chrono::Duration::seconds(1);
    assert!(
        store
            .claim_push_delivery(
                "t1",
                "crm",
                "sig-a",
                later,
                later + chrono::Duration::minutes(5)
            )
            .await
            .unwrap()
    );
}

pub async fn connectors_are_registered_per_tenant<S: Store>(store: S) {
    let c = ConnectorRecord {
        tenant_id: "t1".into(),
        connector_id: "crm-webhook".into(),
        kind: "http_push".into(),
        secret_ref: Some("env:PUSH_SECRET".into()),
        config: serde_json::json!({}),
        created_at: at(),
    };
    store.put_connector(&c).await.unwrap();
    assert_eq!(
        store.get_connector("t1", "crm-webhook").await.unwrap(),
        Some(c.clone())
    );
    assert_eq!(
        store.get_connector("t2", "crm-webhook").await.unwrap(),
        None
    );
    let mut rotated = c.clone();
    rotated.secret_ref = Some("env:PUSH_SECRET_2".into());
    store.put_connector(&rotated).await.unwrap();
    assert_eq!(store.list_connectors("t1").await.unwrap(), vec![rotated]);
    assert!(store.list_connectors("t2").await.unwrap().is_empty());

    assert_eq!(store.get_cursor("t1", "crm-webhook").await.unwrap(), None);
    store
        .set_cursor("t1", "crm-webhook", None, "2026-03-01T00:00:00Z")
        .await
        .unwrap();
    store
        .set_cursor("t1", "crm-webhook", None, "2026-03-01T00:00:00Z")
        .await
        .unwrap();
    let stale = store
        .set_cursor("t1", "crm-webhook", None, "2026-03-02T00:00:00Z")
        .await
        .unwrap_err();
    assert_eq!(stale.kind, StoreErrorKind::Conflict);
    store
        .set_cursor(
            "t1",
            "crm-webhook",
            Some("2026-03-01T00:00:00Z"),
            "2026-03-02T00:00:00Z",
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_cursor("t1", "crm-webhook")
            .await
            .unwrap()
            .as_deref(),
        Some("2026-03-02T00:00:00Z")
    );
    assert_eq!(store.get_cursor("t2", "crm-webhook").await.unwrap(), None);
}

fn counter(
    tenant: &str,
    scope: revloop_domain::budget::Scope,
) -> revloop_domain::budget::CounterKey {
    revloop_domain::budget::CounterKey {
        tenant_id: tenant.into(),
        scope,
        period_bucket: "2026-03-10".into(),
        cost_class: revloop_domain::budget::CostClass::Expensive,
    }
}

pub async fn budget_reservations_are_all_or_nothing<S: Store>(store: S) {
    use revloop_domain::budget::Scope;
    let tenant = counter("t1", Scope::Tenant);
    let account = counter("t1", Scope::Account("a1".into()));
    let reserve = |id: &str, hard_account: u64| Reservation {
        tenant_id: "t1".into(),
        reservation_id: id.into(),
        counters: vec![
            (tenant.clone(), Some(100)),
            (account.clone(), Some(hard_account)),
        ],
        amount: 2,
    };
    let first = store.reserve(&reserve("r1", 3)).await.unwrap();
    assert!(first.granted);
    assert_eq!(
        first.usage_before.values().copied().collect::<Vec<_>>(),
        vec![0, 0]
    );
    assert_eq!(
        store.reserve(&reserve("r1", 3)).await.unwrap(),
        first,
        "a retried reservation changes nothing"
    );
    let refused = store.reserve(&reserve("r2", 3)).await.unwrap();
    assert!(
        !refused.granted,
        "2 + 2 exceeds the account's hard cap of 3"
    );
    let usage = store
        .usage(&[tenant.clone(), account.clone()])
        .await
        .unwrap();
    assert_eq!(
        usage.values().copied().collect::<Vec<_>>(),
        vec![2, 2],
        "a refused reservation reserves nothing, not even within the tenant cap"
    );
    // Settling gives back what was not used, once.
    store.settle("t1", "r1", 0).await.unwrap();
    store.settle("t1", "r1", 0).await.unwrap();
    assert_eq!(
        store
            .usage(std::slice::from_ref(&tenant))
            .await
            .unwrap()
            .values()
            .copied()
            .collect::<Vec<_>>(),
        vec![0]
    );
    assert!(store.reserve(&reserve("r3", 3)).await.unwrap().granted);
}

/// 50 concurrent EXPENSIVE reservations against a hard cap of 10: exactly 10 granted, usage 10,
/// twenty times over.
pub async fn concurrent_reservations_never_overspend<S: Store + Clone + 'static>(store: S) {
    use revloop_domain::budget::Scope;
    for round in 0..20 {
        let tenant = format!("round-{round}");
        let key = counter(&tenant, Scope::Tenant);
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let (store, tenant, key) = (store.clone(), tenant.clone(), key.clone());
                tokio::spawn(async move {
                    let reservation = Reservation {
                        tenant_id: tenant,
                        reservation_id: format!("r{i}"),
                        counters: vec![(key, Some(10))],
                        amount: 1,
                    };
                    store.reserve(&reservation).await.unwrap().granted
                })
            })
            .collect();
        let mut granted = 0;
        for t in tasks {
            granted += usize::from(t.await.unwrap());
        }
        assert_eq!(granted, 10, "round {round}");
        assert_eq!(
            store
                .usage(&[key])
                .await
                .unwrap()
                .values()
                .copied()
                .collect::<Vec<_>>(),
            vec![10],
            "round {round}"
        );
    }
}

pub async fn outcomes_are_recorded_once_per_id<S: Store>(store: S) {
    let outcome = |id: &str, action: &str, kind: &str| Outcome {
        tenant_id: "t1".into(),
        outcome_id: id.into(),
        action_id: action.into(),
        account_id: "acme".into(),
        kind: kind.into(),
        diff: (kind == "edited").then(|| serde_json::json!({"subject": {"from": "a", "to": "b"}})),
        reason: None,
        actor: Some("sam".into()),
        at: at(),
    };
    let edited = outcome("o1", "a1", "edited");
    assert_eq!(
        store.record_outcome(&edited).await.unwrap(),
        (edited.clone(), true)
    );
    let mut again = edited.clone();
    again.actor = Some("someone else".into());
    assert_eq!(
        store.record_outcome(&again).await.unwrap(),
        (edited.clone(), false),
        "the first record of an outcome id is kept"
    );
    let executed = outcome("o2", "a1", "executed");
    let other = outcome("o3", "a2", "rejected");
    store.record_outcome(&executed).await.unwrap();
    store.record_outcome(&other).await.unwrap();
    assert_eq!(
        store.list_outcomes("t1", Some("a1")).await.unwrap(),
        vec![edited.clone(), executed.clone()]
    );
    assert_eq!(store.list_outcomes("t1", None).await.unwrap().len(), 3);
    assert!(
        store.list_outcomes("t2", None).await.unwrap().is_empty(),
        "outcomes are per tenant"
    );
}

pub async fn snapshots_are_content_addressed_per_entity<S: Store>(store: S) {
    use revloop_domain::world::state::{
        EntityRef, Observation, StateConfig, builtin_schemas, check_state, compute_state,
    };
    let acme = EntityRef::new("account", "acme");
    let snapshot = |name: &str, minutes: i64| {
        let observed = at() + chrono::Duration::minutes(minutes);
        let obs = [Observation {
            entity: acme.clone(),
            field: "name".into(),
            value: serde_json::json!(name),
            evidence_id: format!("rec:account:acme@{minutes}"),
            source: "salesforce".into(),
            trust_class: "crm".into(),
            observed_at: observed,
            confidence: 1.0,
        }];
        let state = compute_state(&acme, &obs, observed, &StateConfig::default());
        EntitySnapshot {
            tenant_id: "t1".into(),
            account_id: "acme".into(),
            entity: acme.clone(),
            state_hash: state.state_hash.clone(),
            as_of: observed,
            schema: check_state(&state, &builtin_schemas(), &Default::default()).unwrap(),
            tier: 1,
            state,
        }
    };
    let first = snapshot("Acme", 0);
    assert_eq!(
        store
            .put_snapshots(std::slice::from_ref(&first))
            .await
            .unwrap(),
        1
    );
    let second = snapshot("Acme Corp", 5);
    assert_eq!(
        store
            .put_snapshots(&[first.clone(), second.clone()])
            .await
            .unwrap(),
        1,
        "the same state is stored once"
    );
    assert_eq!(store.put_snapshots(&[]).await.unwrap(), 0);
    assert_eq!(
        store.list_snapshots("t1", &acme).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    let refs: Vec<String> = store
        .account_snapshots("t1", "acme")
        .await
        .unwrap()
        .iter()
        .map(SnapshotRef::key)
        .collect();
    assert_eq!(
        refs,
        [first, second].map(|s| format!("snap:account:acme@{}", s.state_hash))
    );
    assert!(store.list_snapshots("t2", &acme).await.unwrap().is_empty());
    assert!(
        store
            .account_snapshots("t2", "acme")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .list_snapshots("t1", &EntityRef::new("account", "globex"))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn account_revision_grows_with_every_write_to_the_account<S: Store>(store: S) {
    use revloop_domain::signals::*;
    use revloop_domain::world::state::{EntityRef, EntityState, SchemaRef};
    async fn revision<S: Store>(store: &S, tenant: &str) -> AccountRevision {
        store.account_revision(tenant, "acme").await.unwrap()
    }
    let start = revision(&store, "t1").await;
    assert_eq!(start, AccountRevision::default(), "nothing written yet");

    let tenant = Tenant {
        tenant_id: "t1".into(),
        name: "One".into(),
        config: TenantConfig::default(),
    };
    store.ensure_tenant(&tenant).await.unwrap();
    store.put_tenant(&tenant).await.unwrap();
    let configured = revision(&store, "t1").await;
    assert!(
        configured.config > start.config,
        "a configuration change counts"
    );

    let acme =
        r#"{"type":"account","id":"acme","updated_at":"2026-01-01T00:00:00Z","name":"Acme"}"#;
    store
        .put_version(&version(acme, "ev-1"), None)
        .await
        .unwrap();
    let recorded = revision(&store, "t1").await;
    assert!(
        recorded.versions > configured.versions,
        "a new version counts"
    );

    let signal = Signal {
        signal_id: "sig-1".into(),
        signal_type: SignalType::MeetingUpcoming,
        tenant_id: revloop_domain::TenantId::parse("t1").unwrap(),
        account_id: revloop_domain::AccountId::parse("acme").unwrap(),
        severity: Severity::High,
        confidence: 0.9,
        evidence_refs: vec![],
        detected_at: at(),
        expires_at: at(),
        dedup_key: "meeting:m1".into(),
        details: serde_json::json!({}),
    };
    store.put_signals(&[signal]).await.unwrap();
    let signalled = revision(&store, "t1").await;
    assert!(signalled.signals > recorded.signals, "a new signal counts");

    let snapshot = EntitySnapshot {
        tenant_id: "t1".into(),
        account_id: "acme".into(),
        entity: EntityRef::new("account", "acme"),
        state_hash: "h1".into(),
        as_of: at(),
        schema: SchemaRef {
            entity_type: "account".into(),
            version: 1,
            hash: "x".into(),
        },
        tier: 3,
        state: EntityState {
            entity: EntityRef::new("account", "acme"),
            as_of: at(),
            fields: Default::default(),
            state_hash: "h1".into(),
        },
    };
    store.put_snapshots(&[snapshot]).await.unwrap();
    let snapped = revision(&store, "t1").await;
    assert!(
        snapped.snapshots > signalled.snapshots,
        "a new snapshot counts"
    );

    store.create_questions(&[question("q-1")]).await.unwrap();
    store
        .answer_question(&answer("q-1", "carol"))
        .await
        .unwrap();
    let answered = revision(&store, "t1").await;
    assert!(
        answered.answers > snapped.answers,
        "a person's answer counts"
    );
    let snapped = answered;

    let globex =
        r#"{"type":"account","id":"globex","updated_at":"2026-01-01T00:00:00Z","name":"Globex"}"#;
    store
        .put_version(&version(globex, "ev-2"), None)
        .await
        .unwrap();
    assert_eq!(
        revision(&store, "t1").await,
        snapped,
        "another account's writes do not count"
    );
    assert_eq!(
        revision(&store, "t2").await,
        AccountRevision::default(),
        "another tenant's account is untouched"
    );
}

pub async fn graph_edges_are_per_tenant_and_found_from_either_end<S: Store>(store: S) {
    use revloop_domain::world::graph::Edge;
    use revloop_domain::world::state::EntityRef;
    let acme = EntityRef::new("account", "acme");
    let works = Edge {
        from: EntityRef::new("contact", "c1"),
        kind: "works_at".into(),
        to: acme.clone(),
    };
    let owns = Edge {
        from: acme.clone(),
        kind: "owns".into(),
        to: EntityRef::new("opportunity", "o1"),
    };
    let champion = Edge {
        from: EntityRef::new("contact", "c1"),
        kind: "champion_of".into(),
        to: acme.clone(),
    };
    let (contact, opportunity) = ("contact:c1".to_string(), "opportunity:o1".to_string());
    store
        .replace_edges(
            "t1",
            "acme",
            &[
                (
                    contact.clone(),
                    vec![works.clone(), champion.clone(), works.clone()],
                ),
                (opportunity.clone(), vec![owns.clone()]),
            ],
        )
        .await
        .unwrap();
    // Another record asserting the same edge keeps it when the first one stops.
    store
        .replace_edges("t1", "acme", &[("note:n1".into(), vec![owns.clone()])])
        .await
        .unwrap();
    assert_eq!(
        store.edges_at("t1", &acme).await.unwrap(),
        vec![owns.clone(), champion.clone(), works.clone()],
        "each edge once, from either end"
    );
    // The contact is no longer the champion; the opportunity record stops asserting `owns`.
    store
        .replace_edges(
            "t1",
            "acme",
            &[(contact, vec![works.clone()]), (opportunity, vec![])],
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .edges_at("t1", &EntityRef::new("contact", "c1"))
            .await
            .unwrap(),
        vec![works],
        "what the record no longer says is retracted"
    );
    assert_eq!(
        store
            .edges_at("t1", &EntityRef::new("opportunity", "o1"))
            .await
            .unwrap(),
        vec![owns],
        "still asserted by the note"
    );
    assert!(
        store.edges_at("t2", &acme).await.unwrap().is_empty(),
        "graphs are per tenant"
    );
}

fn question(id: &str) -> crate::QuestionRecord {
    crate::QuestionRecord {
        question_id: id.into(),
        tenant_id: "t1".into(),
        account_id: "acme".into(),
        decision_id: "t1/decision/acme-1".into(),
        workflow_id: "t1/clarification/acme-1".into(),
        entity: "account:acme".into(),
        field: "renewal_date".into(),
        question: "Which renewal date is right?".into(),
        options: vec![],
        asked_of: "sam".into(),
        status: crate::QuestionStatus::Open,
        answer: None,
        created_at: at(),
        expires_at: at() + chrono::Duration::hours(72),
    }
}

fn answer(id: &str, by: &str) -> crate::AnswerRecord {
    crate::AnswerRecord {
        question_id: id.into(),
        tenant_id: "t1".into(),
        account_id: "acme".into(),
        entity: "account:acme".into(),
        field: "renewal_date".into(),
        value: serde_json::json!("2027-03-31"),
        answered_by: by.into(),
        answered_at: at(),
        evidence_id: format!("ev-answer-{by}"),
    }
}

pub async fn questions_are_answered_once_or_expire<S: Store + Clone + 'static>(store: S) {
    use crate::AnswerOutcome;
    store
        .create_questions(&[question("q-1"), question("q-2")])
        .await
        .unwrap();
    // Asked again by a retried decision: still one question, still open.
    store.create_questions(&[question("q-1")]).await.unwrap();
    let open = store
        .list_questions("t1", Some("acme"), true)
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    assert!(
        store
            .list_questions("t2", None, false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.get_question("t2", "q-1").await.unwrap(), None);

    // Ten people answer at once: exactly one answer counts.
    let answers = (0..10).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .answer_question(&answer("q-1", &format!("p{i}")))
                .await
        })
    });
    let mut recorded = 0;
    for joined in answers {
        match joined.await.unwrap().unwrap() {
            AnswerOutcome::Recorded(q) => {
                recorded += 1;
                assert_eq!(q.status, crate::QuestionStatus::Answered);
            }
            AnswerOutcome::AlreadySettled(q) => {
                assert_eq!(q.status, crate::QuestionStatus::Answered)
            }
            AnswerOutcome::NotFound => panic!("q-1 exists"),
        }
    }
    assert_eq!(recorded, 1);
    let stored = store.get_question("t1", "q-1").await.unwrap().unwrap();
    let by = stored.answer.expect("the answer").answered_by;
    assert_eq!(store.account_answers("t1", "acme").await.unwrap().len(), 1);
    assert_eq!(
        store.account_answers("t1", "acme").await.unwrap()[0].answered_by,
        by
    );
    assert!(
        !store.expire_question("t1", "q-1", at()).await.unwrap(),
        "answered stays answered"
    );

    assert!(store.expire_question("t1", "q-2", at()).await.unwrap());
    assert!(
        !store.expire_question("t1", "q-2", at()).await.unwrap(),
        "expired once"
    );
    assert!(matches!(
        store.answer_question(&answer("q-2", "late")).await.unwrap(),
        AnswerOutcome::AlreadySettled(q) if q.status == crate::QuestionStatus::Expired
    ));
    assert_eq!(
        store.answer_question(&answer("q-9", "x")).await.unwrap(),
        AnswerOutcome::NotFound
    );
    assert!(
        store
            .list_questions("t1", None, true)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.list_questions("t1", None, false).await.unwrap().len(),
        2
    );
}

fn plan(tenant: &str, plan_id: &str) -> PlanRecord {
    use revloop_domain::decision::plan::{PlanApproval, PlanStatus};
    PlanRecord {
        plan_id: plan_id.into(),
        tenant_id: tenant.into(),
        account_id: "acme".into(),
        decision_id: "d1".into(),
        trace_id: "trace-1".into(),
        name: "renewal_at_risk".into(),
        title: "Renewal at risk".into(),
        why_now: "the contract ends soon".into(),
        status: PlanStatus::Proposed,
        resume_to: None,
        awaiting_step: None,
        approval: PlanApproval::Whole,
        steps: vec![PlanStep {
            step: 1,
            action_id: format!("{plan_id}-a1"),
            kind: "create_task".into(),
            title: "t".into(),
            needs_approval: false,
            customer_facing: false,
            status: revloop_domain::decision::plan::PlanStepStatus::Pending,
            detail: String::new(),
        }],
        touches: vec!["contact:ada.outreach".into()],
        held_by: None,
        end: None,
        events: vec![],
        created_at: at(),
        updated_at: at(),
    }
}

pub async fn plans_round_trip_and_live_plans_hold_their_claims<S: Store>(store: S) {
    use revloop_domain::decision::plan::PlanStatus;
    let mut first = plan("t1", "plan-1");
    assert_eq!(store.create_plan(&first).await.unwrap(), first);
    let mut again = first.clone();
    again.title = "ignored".into();
    assert_eq!(
        store.create_plan(&again).await.unwrap(),
        first,
        "created once"
    );
    first.status = PlanStatus::Approved;
    store.save_plan(&first).await.unwrap();
    assert_eq!(
        store
            .get_plan("t1", "plan-1")
            .await
            .unwrap()
            .unwrap()
            .status,
        PlanStatus::Approved
    );
    assert!(store.get_plan("t2", "plan-1").await.unwrap().is_none());
    let foreign = plan("t2", "plan-9");
    store.create_plan(&foreign).await.unwrap();
    assert_eq!(store.list_plans("t1", None).await.unwrap().len(), 1);
    assert_eq!(
        store
            .list_plans("t1", Some(PlanStatus::Proposed))
            .await
            .unwrap()
            .len(),
        0
    );

    let claims = vec![
        "contact:ada.outreach".to_string(),
        "opp.next_step".to_string(),
    ];
    assert_eq!(
        store.claim_for_plan("t1", "plan-1", &claims).await.unwrap(),
        None
    );
    assert_eq!(
        store.claim_for_plan("t1", "plan-1", &claims).await.unwrap(),
        None,
        "claiming again is idempotent"
    );
    let second = plan("t1", "plan-2");
    store.create_plan(&second).await.unwrap();
    let overlapping = vec!["other".to_string(), "opp.next_step".to_string()];
    assert_eq!(
        store
            .claim_for_plan("t1", "plan-2", &overlapping)
            .await
            .unwrap()
            .as_deref(),
        Some("plan-1"),
        "a live plan's claim holds"
    );
    // All or none: the free claim was not taken either, so a third plan gets it.
    assert_eq!(
        store
            .claim_for_plan("t1", "plan-3", &["other".to_string()])
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.claim_for_plan("t2", "plan-9", &claims).await.unwrap(),
        None,
        "claims are per tenant"
    );
    // An ended plan's claims are taken over; released ones are free.
    first.status = PlanStatus::Completed;
    store.save_plan(&first).await.unwrap();
    assert_eq!(
        store
            .claim_for_plan("t1", "plan-2", &["opp.next_step".to_string()])
            .await
            .unwrap(),
        None
    );
    store.release_plan_claims("t1", "plan-2").await.unwrap();
    store.release_plan_claims("t1", "plan-3").await.unwrap();
    assert_eq!(
        store
            .claim_for_plan("t1", "plan-4", &overlapping)
            .await
            .unwrap(),
        None
    );
}

fn tool_run(tenant: &str, id: &str, trace: &str) -> ToolRun {
    ToolRun {
        tool_run_id: id.into(),
        tenant_id: tenant.into(),
        trace_id: trace.into(),
        tool: "account_get_state".into(),
        caller: "user:sam".into(),
        args_digest: "d1".into(),
        outcome: "ok".into(),
        refusal: None,
        result: Some(serde_json::json!({"account_id": "acme"})),
        result_ref: None,
        result_digest: "r1".into(),
        result_bytes: 24,
        action_id: None,
        cost_class: revloop_domain::budget::CostClass::Cheap,
        duration_ms: 3,
        at: at(),
        ledger_seq: 7,
    }
}

pub async fn tool_runs_are_recorded_once_per_id_and_stay_in_their_tenant<S: Store>(store: S) {
    let first = tool_run("t1", "tool-1", "trace-a");
    let (stored, created) = store.record_tool_run(&first).await.unwrap();
    assert!(created);
    assert_eq!(stored, first);
    let mut retry = first.clone();
    retry.duration_ms = 99;
    let (stored, created) = store.record_tool_run(&retry).await.unwrap();
    assert!(!created, "a retried call finds its run");
    assert_eq!(stored, first, "and answers what it answered first");
    store
        .record_tool_run(&tool_run("t1", "tool-2", "trace-a"))
        .await
        .unwrap();
    store
        .record_tool_run(&tool_run("t1", "tool-3", "trace-b"))
        .await
        .unwrap();
    store
        .record_tool_run(&tool_run("t2", "tool-1", "trace-a"))
        .await
        .unwrap();
    let traced: Vec<String> = store
        .list_tool_runs("t1", "trace-a")
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.tool_run_id)
        .collect();
    assert_eq!(traced, ["tool-1", "tool-2"]);
    assert_eq!(
        store
            .get_tool_run("t2", "tool-1")
            .await
            .unwrap()
            .unwrap()
            .tenant_id,
        "t2"
    );
    assert!(store.get_tool_run("t3", "tool-1").await.unwrap().is_none());
}

fn digest(tenant: &str, to_seq: u64, root: &str) -> revloop_domain::ledger::LedgerDigest {
    revloop_domain::ledger::LedgerDigest {
        version: revloop_domain::ledger::DIGEST_VERSION,
        tenant_id: tenant.into(),
        from_seq: 1,
        to_seq,
        root: root.into(),
        head_hash: format!("head-{to_seq}"),
        created_at: at(),
        public_key: "ab".repeat(32),
        signature: "cd".repeat(64),
    }
}

pub async fn ledger_digests_are_write_once_per_range_and_tenant<S: Store>(store: S) {
    assert!(store.latest_digest("t1").await.unwrap().is_none());
    store.put_digest(&digest("t1", 5, "root-5")).await.unwrap();
    store.put_digest(&digest("t1", 9, "root-9")).await.unwrap();
    store
        .put_digest(&digest("t2", 12, "root-other"))
        .await
        .unwrap();
    // A digest is never replaced, not even by one for the same range with another root.
    let err = store
        .put_digest(&digest("t1", 5, "forged-root"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, StoreErrorKind::Conflict, "{err:?}");
    assert_eq!(
        store.get_digest("t1", 5).await.unwrap().unwrap().root,
        "root-5"
    );
    assert_eq!(
        store.latest_digest("t1").await.unwrap().unwrap().to_seq,
        9,
        "the latest is the highest range end, of this tenant only"
    );
    assert!(store.get_digest("t2", 5).await.unwrap().is_none());
    assert_eq!(
        store.latest_digest("t2").await.unwrap().unwrap().root,
        "root-other"
    );
}

fn account_version(id: &str, name: &str, evidence_id: &str) -> RecordVersion {
    version(
        &format!(
            r#"{{"type":"account","id":"{id}","updated_at":"2026-01-01T00:00:00Z","name":"{name}"}}"#
        ),
        evidence_id,
    )
}

pub async fn version_batches_are_written_all_or_nothing<S: Store>(store: S) {
    let most = store.max_version_writes();
    assert!(
        (1..=MAX_VERSION_WRITES).contains(&most),
        "{most}: within one transaction"
    );
    let first: Vec<VersionWrite> = (0..most)
        .map(|i| VersionWrite {
            version: account_version(&format!("a{i}"), "One", "ev-1"),
            expected_hash: None,
        })
        .collect();
    store.put_versions(&first).await.unwrap();
    let keys: Vec<_> = first.iter().map(|w| w.version.key.clone()).collect();
    let latest = store.latest_versions("t1", &keys).await.unwrap();
    assert_eq!(latest.len(), most);
    assert!(
        latest
            .iter()
            .zip(&first)
            .all(|(l, w)| l.as_ref() == Some(&w.version))
    );
    // Absent keys answer None, in the order asked.
    let missing = account_version("nobody", "None", "ev-1").key;
    let answer = store
        .latest_versions("t1", &[keys[3].clone(), missing, keys[7].clone()])
        .await
        .unwrap();
    assert!(answer[0].is_some() && answer[1].is_none() && answer[2].is_some());

    // One stale expectation among good ones: nothing of the batch is written.
    let mut second: Vec<VersionWrite> = (0..10)
        .map(|i| VersionWrite {
            version: account_version(&format!("a{i}"), "Two", "ev-2"),
            expected_hash: Some(first[i].version.content_hash.clone()),
        })
        .collect();
    second[6].expected_hash = Some("not-the-latest".into());
    let err = store.put_versions(&second).await.unwrap_err();
    assert_eq!(err.kind, StoreErrorKind::Conflict, "{err:?}");
    assert!(
        err.message.contains("a6"),
        "the conflict names its key: {err:?}"
    );
    let after = store.latest_versions("t1", &keys[..10]).await.unwrap();
    assert!(
        after
            .iter()
            .zip(&first)
            .all(|(l, w)| l.as_ref() == Some(&w.version)),
        "a refused batch wrote nothing"
    );
    // Fixed, the same batch goes through whole.
    second[6].expected_hash = Some(first[6].version.content_hash.clone());
    store.put_versions(&second).await.unwrap();
    let after = store.latest_versions("t1", &keys[..10]).await.unwrap();
    assert!(
        after
            .iter()
            .zip(&second)
            .all(|(l, w)| l.as_ref() == Some(&w.version))
    );
    // More than one transaction allows is refused, not split behind the caller's back.
    let too_many: Vec<VersionWrite> = (0..=most)
        .map(|i| VersionWrite {
            version: account_version(&format!("b{i}"), "Many", "ev-3"),
            expected_hash: None,
        })
        .collect();
    assert!(store.put_versions(&too_many).await.is_err());
    assert!(
        store
            .latest_version("t1", &too_many[0].version.key)
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn memory_vectors_are_replaced_per_record_and_stay_in_their_tenant<S: Store>(store: S) {
    use revloop_domain::world::memory::Chunk;
    let vector = |chunk_id: &str, account: &str, model: &str, v: [f32; 3]| StoredVector {
        chunk: Chunk {
            chunk_id: chunk_id.into(),
            account_id: account.into(),
            kind: "note".into(),
            text: format!("text of {chunk_id}"),
            evidence_ref: format!("rec:{}@0", chunk_id.split('#').next().unwrap()),
        },
        model: model.into(),
        vector: v.to_vec(),
    };
    let first = vec![
        vector("note:n1#0", "acme", "titan", [0.6, -0.8, 0.0]),
        vector("note:n1#1", "acme", "titan", [1.0, 0.0, 0.0]),
        vector("note:n2#0", "globex", "titan", [0.0, 0.0, 1.0]),
        vector("note:n3#0", "acme", "other-model", [0.0, 1.0, 0.0]),
    ];
    store
        .replace_vectors(
            "t1",
            &["note:n1".into(), "note:n2".into(), "note:n3".into()],
            &first,
        )
        .await
        .unwrap();
    assert_eq!(
        store.vectors("t1", None, "titan").await.unwrap(),
        first[..3].to_vec(),
        "one model's vectors, in chunk order, exactly as stored"
    );
    assert_eq!(
        store.vectors("t1", Some("globex"), "titan").await.unwrap(),
        vec![first[2].clone()]
    );
    assert!(store.vectors("t2", None, "titan").await.unwrap().is_empty());
    // note:n1 shrank to one chunk: its second one goes; other records keep theirs.
    let shrunk = vector("note:n1#0", "acme", "titan", [0.0, 1.0, 0.0]);
    store
        .replace_vectors("t1", &["note:n1".into()], std::slice::from_ref(&shrunk))
        .await
        .unwrap();
    assert_eq!(
        store.vectors("t1", Some("acme"), "titan").await.unwrap(),
        vec![shrunk]
    );
    assert_eq!(store.vectors("t1", None, "titan").await.unwrap().len(), 2);
}
