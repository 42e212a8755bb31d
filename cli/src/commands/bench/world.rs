//! `revloop bench world`: a generated tenant (10 000 accounts by default) loaded through
//! normalize → world update → detect on an embedded store, then the world model's reads timed
//! as the API serves them: `GetAccountState` cold, warm and right after a new snapshot, as of
//! past instants, and memory search. Each account-state read includes encoding the state and
//! its entity states to JSON, as the API does.

use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use revloop_activities::governance::LedgerScope;
use revloop_activities::memory::{MemoryIndex, TantivyMemory};
use revloop_activities::pipeline::{detect_changes, normalize_batch};
use revloop_activities::world::{AccountStateCache, AccountWorld, CacheOutcome, update_snapshots};
use revloop_cli::seed::{COMPETITORS, SeedOptions, generate};
use revloop_domain::signals::SignalConfig;
use revloop_store::{Evidence, EvidenceStore, Provenance, SnapshotStore, SqliteStore};
use serde_json::{Value, json};

use super::{Latencies, peak_rss_mib};
use crate::commands::print_json;

const TENANT: &str = "bench";
/// Records per ingested batch while loading the tenant.
const BATCH_RECORDS: usize = 20_000;
const QUERIES: [&str; 6] = [
    "renewal",
    "pricing",
    "budget",
    "onboarding",
    "training",
    "escalation",
];

pub struct WorldBench {
    pub accounts: usize,
    pub days: u32,
    pub seed: u64,
    pub reads: usize,
    pub changes: usize,
}

/// What loading batches into the world model cost.
#[derive(Default)]
struct Load {
    records: usize,
    seconds: f64,
    world_seconds: f64,
    snapshots: usize,
    signals: usize,
}

struct Bench {
    store: SqliteStore,
    memory: TantivyMemory,
    cache: AccountStateCache,
    batches: usize,
}

impl Bench {
    /// Stores the lines as one evidence batch, then normalizes, updates the world (timed
    /// apart: the snapshot creation rate) and detects.
    async fn ingest(&mut self, lines: &[String], load: &mut Load) -> anyhow::Result<DateTime<Utc>> {
        let now = Utc::now();
        let mut content = lines.join("\n");
        content.push('\n');
        let provenance = Provenance {
            source: "salesforce".into(),
            connector: "bench".into(),
            fetched_at: now,
            cursor: None,
            trust_class: "crm".into(),
        };
        let evidence = Evidence::new(TENANT, content.into_bytes(), provenance);
        let start = Instant::now();
        self.store.put_evidence(&evidence).await?;
        let normalized = normalize_batch(&self.store, TENANT, &evidence.evidence_id, now).await?;
        self.batches += 1;
        let scope = LedgerScope {
            tenant_id: TENANT.into(),
            trace_id: "bench".into(),
            workflow_id: "bench/world".into(),
            run_id: "bench".into(),
            activity: "update_snapshots".into(),
            key_prefix: format!("bench/world/{}", self.batches),
        };
        let world_start = Instant::now();
        let update =
            update_snapshots(&self.store, &self.memory, &scope, &normalized.changes, now).await?;
        load.world_seconds += world_start.elapsed().as_secs_f64();
        anyhow::ensure!(
            update.errors.is_empty(),
            "states refused: {:?}",
            update.errors
        );
        let detected = detect_changes(
            &self.store,
            &Default::default(),
            TENANT,
            &normalized.changes,
            now,
            &SignalConfig::default(),
        )
        .await?;
        load.seconds += start.elapsed().as_secs_f64();
        load.records += lines.len();
        load.snapshots += update.snapshots;
        load.signals += detected.new_signals.len();
        Ok(now)
    }

    /// One `GetAccountState` as the API answers it: through the cache, encoded to JSON.
    async fn read(
        &self,
        account: &str,
        as_of: DateTime<Utc>,
    ) -> anyhow::Result<(Duration, AccountWorld, CacheOutcome)> {
        let start = Instant::now();
        let (world, outcome) = self.cache.get(&self.store, TENANT, account, as_of).await?;
        let encoded = serde_json::to_string(&world.state)?.len()
            + serde_json::to_string(&world.entities)?.len();
        let took = start.elapsed();
        anyhow::ensure!(
            encoded > 0 && !world.entities.is_empty(),
            "{account} is empty"
        );
        Ok((took, world, outcome))
    }
}

/// The account ids of the generated tenant, and each account's own record line.
fn accounts_of(records: &[String]) -> anyhow::Result<Vec<(String, Value)>> {
    records
        .iter()
        .filter(|l| l.starts_with(r#"{"type":"account""#))
        .map(|l| {
            let v: Value = serde_json::from_str(l)?;
            let id = v["id"].as_str().context("an account without an id")?;
            Ok((id.to_string(), v))
        })
        .collect()
}

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) = ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({eta})") {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

pub async fn run(opts: &WorldBench, json_out: bool) -> anyhow::Result<i32> {
    anyhow::ensure!(opts.reads >= 100, "--reads must be at least 100");
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("generating {} accounts", opts.accounts));
    let generated = generate(
        &SeedOptions {
            accounts: opts.accounts,
            days: opts.days,
            seed: opts.seed,
            now: Utc::now(),
        },
        || spinner.tick(),
    )?;
    spinner.finish_and_clear();
    let accounts = accounts_of(&generated.records)?;
    let dir = std::env::temp_dir().join(format!("revloop-bench-world-{}", std::process::id()));
    let mut bench = Bench {
        store: SqliteStore::open(dir.join("bench.db")).context("opening the bench store")?,
        memory: TantivyMemory::new(dir.join("memory")),
        cache: AccountStateCache::new(
            NonZeroUsize::new(accounts.len()).context("no accounts generated")?,
        ),
        batches: 0,
    };

    let mut load = Load::default();
    let bar = progress(generated.records.len(), "loading records");
    // When each account became known: time travel asks about instants since then.
    let mut known_since: HashMap<String, DateTime<Utc>> = HashMap::new();
    for batch in generated.records.chunks(BATCH_RECORDS) {
        let at = bench.ingest(batch, &mut load).await?;
        for (account, _) in accounts_of(batch)? {
            known_since.insert(account, at);
        }
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    let loaded_rss = peak_rss_mib();

    // Cold: every account read once, computed from its versions and signals.
    let mut cold = Latencies::new();
    let bar = progress(accounts.len(), "cold reads");
    for (account, _) in &accounts {
        let (took, _, outcome) = bench.read(account, Utc::now()).await?;
        anyhow::ensure!(
            outcome == CacheOutcome::Miss,
            "the first read of {account} was cached"
        );
        cold.push(took);
        bar.inc(1);
    }
    bar.finish_and_clear();

    // Warm: random accounts again, each answered from the cache as of the moment asked.
    let mut warm = Latencies::new();
    let mut warm_misses = 0;
    for _ in 0..opts.reads {
        let (account, _) = accounts.choose(&mut rng).context("no accounts")?;
        let (took, _, outcome) = bench.read(account, Utc::now()).await?;
        warm_misses += usize::from(outcome == CacheOutcome::Miss);
        warm.push(took);
    }

    // After a new snapshot: one account changes (its owner), its batch goes through the world
    // update, and the very next read must be bound to the snapshot just written.
    let mut fresh = Latencies::new();
    let mut change_load = Load::default();
    let bar = progress(opts.changes, "changes");
    for i in 0..opts.changes {
        let (account, line) = accounts.choose(&mut rng).context("no accounts")?;
        let mut changed = line.clone();
        changed["owner"] = json!(format!("owner-{i}@revloop.example"));
        changed["updated_at"] = json!((Utc::now() + chrono::Duration::seconds(1)).to_rfc3339());
        bench
            .ingest(&[changed.to_string()], &mut change_load)
            .await?;
        let (took, world, outcome) = bench.read(account, Utc::now()).await?;
        anyhow::ensure!(
            outcome == CacheOutcome::Miss,
            "{account}: a stale cached state"
        );
        let newest = bench
            .store
            .account_snapshots(TENANT, account)
            .await?
            .into_iter()
            .rev()
            .find(|s| s.entity.entity_type == "account")
            .map(|s| s.key());
        anyhow::ensure!(
            world.account_snapshot() == newest.as_deref(),
            "{account}: read bound to {:?}, newest snapshot {newest:?}",
            world.account_snapshot()
        );
        fresh.push(took);
        bar.inc(1);
    }
    bar.finish_and_clear();

    // Time travel: random accounts as of random instants since revloop first knew them.
    let mut past = Latencies::new();
    for _ in 0..opts.reads {
        let (account, _) = accounts.choose(&mut rng).context("no accounts")?;
        let since = known_since[account.as_str()];
        let span_ms = (Utc::now() - since).num_milliseconds().max(1);
        let as_of = since + chrono::Duration::milliseconds(rng.random_range(0..span_ms));
        let start = Instant::now();
        let (world, _) = bench
            .cache
            .get(&bench.store, TENANT, account, as_of)
            .await?;
        let _ = serde_json::to_string(&world.state)?.len()
            + serde_json::to_string(&world.entities)?.len();
        past.push(start.elapsed());
    }

    // Memory search: a query per read, half within one account, half across the tenant.
    let mut search = Latencies::new();
    let mut found = 0usize;
    for i in 0..opts.reads {
        let query = if i % 4 == 0 {
            *COMPETITORS.choose(&mut rng).context("no competitors")?
        } else {
            *QUERIES.choose(&mut rng).context("no queries")?
        };
        let account = (i % 2 == 0)
            .then(|| accounts.choose(&mut rng).map(|(a, _)| a.as_str()))
            .flatten();
        let start = Instant::now();
        let hits = bench.memory.search(TENANT, account, query, 10).await?;
        search.push(start.elapsed());
        found += hits.len();
    }
    let peak = peak_rss_mib();
    let _ = std::fs::remove_dir_all(&dir);

    let report = json!({
        "accounts": accounts.len(),
        "records": load.records,
        "load_seconds": load.seconds,
        "load_world_seconds": load.world_seconds,
        "snapshots": load.snapshots,
        "snapshots_per_second": load.snapshots as f64 / load.world_seconds,
        "signals": load.signals,
        "get_account_state_cold": cold.report(),
        "get_account_state_warm": warm.report(),
        "warm_misses": warm_misses,
        "get_account_state_after_new_snapshot": fresh.report(),
        "change_world_seconds": change_load.world_seconds,
        "time_travel": past.report(),
        "memory_search": search.report(),
        "memory_hits": found,
        "cached_accounts": bench.cache.len(),
        "peak_rss_mib_loaded": loaded_rss,
        "peak_rss_mib": peak,
    });
    if json_out {
        print_json(&report)?;
        return Ok(0);
    }
    println!(
        "world: {} accounts, {} records loaded in {:.1} s",
        accounts.len(),
        load.records,
        load.seconds
    );
    println!(
        "  snapshots: {} written in {:.1} s of world update = {:.0} snapshots/s",
        load.snapshots,
        load.world_seconds,
        load.snapshots as f64 / load.world_seconds
    );
    println!("  GetAccountState cold:               {}", cold.line());
    println!(
        "  GetAccountState warm:               {} ({warm_misses} misses)",
        warm.line()
    );
    println!("  GetAccountState after new snapshot: {}", fresh.line());
    println!("  GetAccountState as of the past:     {}", past.line());
    println!(
        "  SearchMemory:                       {} ({found} hits)",
        search.line()
    );
    println!(
        "  peak memory {:.0} MiB ({:.0} MiB after loading, {} accounts cached)",
        peak.unwrap_or(0.0),
        loaded_rss.unwrap_or(0.0),
        bench.cache.len()
    );
    Ok(0)
}
