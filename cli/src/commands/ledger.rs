use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use revloop_cli::client::ApiClient;
use revloop_domain::ledger::{InclusionProof, LedgerDigest, verify_proof};
use revloop_proto::v1 as pb;

use super::{ApiError, EXIT_LEDGER_BROKEN, print_json};

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the hash chain through the API and name the first broken entry; or, with
    /// `--offline --digest F --proof P`, check one entry against a signed digest with no API
    /// and no store.
    Verify {
        /// Check files only: `--digest` and `--proof` (from `ledger digest` / `ledger prove`).
        #[arg(long, requires_all = ["digest", "proof"])]
        offline: bool,
        #[arg(long, requires = "offline")]
        digest: Option<PathBuf>,
        #[arg(long, requires = "offline")]
        proof: Option<PathBuf>,
        /// The signer's Ed25519 public key (hex), pinned from a source you trust; without it
        /// the digest is only checked against the key it names itself.
        #[arg(long, requires = "offline")]
        public_key: Option<String>,
    },
    /// Sign a Merkle root over the whole chain and keep it write-once; writes the digest file.
    Digest {
        /// Where to write the digest (default: ledger-digest-<to seq>.json).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write entry SEQ's inclusion proof against a kept digest (the latest by default).
    Prove {
        seq: u64,
        /// The digest to prove against, by its last entry.
        #[arg(long)]
        digest_to: Option<u64>,
        /// Include the entry's payload (otherwise only its digest, which the hash covers).
        #[arg(long)]
        with_payload: bool,
        /// Where to write the proof (default: ledger-proof-<seq>.json); the digest goes beside
        /// it as ledger-digest-<to seq>.json.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List entries in order.
    List {
        #[arg(long, default_value = "")]
        trace: String,
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
}

pub async fn run(mut client: ApiClient, cmd: &LedgerCommand, json: bool) -> anyhow::Result<i32> {
    match cmd {
        LedgerCommand::Verify { offline: true, .. } => verify_offline(cmd, json),
        LedgerCommand::Verify { .. } => {
            let report = client
                .ledger
                .verify_ledger(pb::VerifyLedgerRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner();
            if json {
                print_json(&report)?;
            } else if report.intact {
                println!("ledger intact: {} entries verified", report.entries_checked);
            } else {
                println!(
                    "ledger BROKEN at entry {}: {}",
                    report.first_broken_seq, report.reason
                );
            }
            Ok(if report.intact { 0 } else { EXIT_LEDGER_BROKEN })
        }
        LedgerCommand::Digest { out } => {
            let answer = client
                .ledger
                .create_ledger_digest(pb::CreateLedgerDigestRequest::default())
                .await
                .map_err(ApiError::from)?
                .into_inner();
            let path = out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("ledger-digest-{}.json", answer.to_seq)));
            write_file(&path, &answer.digest_json)?;
            if json {
                print_json(&answer)?;
            } else {
                println!(
                    "{} digest of entries {}..={}: root {}\n  signed by {}\n  written to {}",
                    if answer.created { "new" } else { "existing" },
                    answer.from_seq,
                    answer.to_seq,
                    answer.root,
                    answer.public_key,
                    path.display()
                );
            }
            Ok(0)
        }
        LedgerCommand::Prove {
            seq,
            digest_to,
            with_payload,
            out,
        } => {
            let answer = client
                .ledger
                .prove_ledger_entry(pb::ProveLedgerEntryRequest {
                    tenant_id: String::new(),
                    seq: *seq,
                    digest_to_seq: digest_to.unwrap_or(0),
                    with_payload: *with_payload,
                })
                .await
                .map_err(ApiError::from)?
                .into_inner();
            let digest: LedgerDigest = serde_json::from_str(&answer.digest_json)?;
            let proof_path = out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("ledger-proof-{seq}.json")));
            let digest_path =
                proof_path.with_file_name(format!("ledger-digest-{}.json", digest.to_seq));
            write_file(&proof_path, &answer.proof_json)?;
            write_file(&digest_path, &answer.digest_json)?;
            if json {
                print_json(&serde_json::json!({
                    "proof": proof_path, "digest": digest_path, "public_key": digest.public_key,
                }))?;
            } else {
                println!(
                    "proof of entry {seq} in digest {}..={} written to {}\n  digest: {}\n  check it anywhere: revloop ledger verify --offline --digest {} --proof {} --public-key {}",
                    digest.from_seq,
                    digest.to_seq,
                    proof_path.display(),
                    digest_path.display(),
                    digest_path.display(),
                    proof_path.display(),
                    digest.public_key
                );
            }
            Ok(0)
        }
        LedgerCommand::List {
            trace,
            after,
            limit,
        } => {
            let request = pb::ListLedgerEntriesRequest {
                tenant_id: String::new(),
                after_seq: *after,
                limit: *limit,
                trace_id: trace.clone(),
                page_token: String::new(),
            };
            let page = client
                .ledger
                .list_ledger_entries(request)
                .await
                .map_err(ApiError::from)?
                .into_inner();
            let entries = page.entries;
            if !page.next_page_token.is_empty() {
                eprintln!(
                    "more entries follow: revloop ledger list --after {}",
                    page.next_page_token
                );
            }
            if json {
                print_json(&entries)?;
            } else {
                for e in &entries {
                    println!(
                        "{:>5} {} {:<11} {:<45} {} {}",
                        e.seq,
                        e.at,
                        e.kind,
                        e.activity,
                        e.workflow_id,
                        &e.hash[..12]
                    );
                }
            }
            Ok(0)
        }
    }
}

fn write_file(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> anyhow::Result<T> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a ledger {what}", path.display()))
}

/// `ledger verify --offline`: files only, no API, no store.
pub fn verify_offline(cmd: &LedgerCommand, json: bool) -> anyhow::Result<i32> {
    let LedgerCommand::Verify {
        digest: Some(digest),
        proof: Some(proof),
        public_key,
        ..
    } = cmd
    else {
        anyhow::bail!("--offline needs --digest and --proof");
    };
    let digest: LedgerDigest = read_json(digest, "digest")?;
    let proof: InclusionProof = read_json(proof, "proof")?;
    let trusted = public_key
        .as_deref()
        .map(|hex_key| -> anyhow::Result<ed25519_dalek::VerifyingKey> {
            let bytes: [u8; 32] = hex::decode(hex_key.trim())
                .context("--public-key is not hex")?
                .try_into()
                .map_err(|_| anyhow::anyhow!("--public-key is not 32 bytes"))?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes).context("--public-key")
        })
        .transpose()?;
    let result = verify_proof(&proof, &digest, trusted.as_ref());
    if json {
        print_json(&serde_json::json!({
            "verified": result.is_ok(),
            "seq": proof.entry.seq,
            "digest": {"from_seq": digest.from_seq, "to_seq": digest.to_seq, "root": digest.root},
            "key_pinned": trusted.is_some(),
            "error": result.as_ref().err().map(|e| e.to_string()),
        }))?;
    }
    match result {
        Ok(()) => {
            if !json {
                println!(
                    "entry {} ({} {}) is in the signed digest of entries {}..={} (root {})",
                    proof.entry.seq,
                    serde_json::to_value(proof.entry.kind)?
                        .as_str()
                        .unwrap_or_default(),
                    proof.entry.activity,
                    digest.from_seq,
                    digest.to_seq,
                    digest.root
                );
                if trusted.is_none() {
                    println!(
                        "  signer {} was not pinned: pass --public-key to check who signed it",
                        digest.public_key
                    );
                }
            }
            Ok(0)
        }
        Err(e) => {
            if !json {
                println!("NOT verified: {e}");
            }
            Ok(EXIT_LEDGER_BROKEN)
        }
    }
}
