//! Signed ledger digests and inclusion proofs: what makes the ledger verifiable by someone who
//! does not trust revloop's store or API.
//!
//! A digest is a Merkle root (`merkle.rs`) over a contiguous range of a tenant's entries, with
//! the last entry's chain hash, signed with Ed25519. A proof carries one entry's hashed fields
//! (its payload only as a digest, unless included) and its audit path to the root. Checking a
//! proof against a digest needs neither the store nor the API: recompute the entry's hash from
//! its fields, walk the path, compare with the signed root, check the signature against a public
//! key pinned out of band.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use super::LedgerEntry;
use super::merkle;
use crate::hashing::{canonical_json, digest_of};

pub const DIGEST_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    #[error("no entries to digest")]
    Empty,
    #[error("entries are not one contiguous range of tenant {tenant}: {reason}")]
    NotARange { tenant: String, reason: String },
    #[error("the digest's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the digest is signed by key {found}, not the trusted key {trusted}")]
    UntrustedKey { found: String, trusted: String },
    #[error("entry {seq} is not in the digest's range {from}..={to}")]
    OutOfRange { seq: u64, from: u64, to: u64 },
    #[error("the proof does not match the digest: {0}")]
    Mismatch(String),
    #[error("entry {seq} was changed: {reason}")]
    EntryChanged { seq: u64, reason: String },
    #[error("entry {seq}'s audit path does not lead to the digest's root")]
    NotIncluded { seq: u64 },
}

/// The signed root of `from_seq..=to_seq`. Written once per range (to an Object Lock bucket on
/// AWS, a file on the embedded store) and never rewritten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerDigest {
    pub version: u32,
    pub tenant_id: String,
    pub from_seq: u64,
    pub to_seq: u64,
    /// Merkle root (hex) of the entries' chain hashes.
    pub root: String,
    /// Chain hash of entry `to_seq`: also pins the chain, not only the set.
    pub head_hash: String,
    pub created_at: DateTime<Utc>,
    /// Ed25519 public key (hex) that signed it.
    pub public_key: String,
    /// Ed25519 signature (hex) over the canonical JSON of every other field.
    pub signature: String,
}

#[derive(Serialize)]
struct SignedFields<'a> {
    version: u32,
    tenant_id: &'a str,
    from_seq: u64,
    to_seq: u64,
    root: &'a str,
    head_hash: &'a str,
    created_at: &'a DateTime<Utc>,
    public_key: &'a str,
}

impl LedgerDigest {
    fn signed_bytes(&self) -> Vec<u8> {
        canonical_json(&SignedFields {
            version: self.version,
            tenant_id: &self.tenant_id,
            from_seq: self.from_seq,
            to_seq: self.to_seq,
            root: &self.root,
            head_hash: &self.head_hash,
            created_at: &self.created_at,
            public_key: &self.public_key,
        })
    }

    /// Digests `entries`, which must be one tenant's contiguous range, in order.
    pub fn sign(
        entries: &[LedgerEntry],
        created_at: DateTime<Utc>,
        key: &SigningKey,
    ) -> Result<Self, DigestError> {
        let (first, last) = match (entries.first(), entries.last()) {
            (Some(f), Some(l)) => (f, l),
            _ => return Err(DigestError::Empty),
        };
        let leaves = leaves_of(entries)?;
        let mut digest = Self {
            version: DIGEST_VERSION,
            tenant_id: first.tenant_id.clone(),
            from_seq: first.seq,
            to_seq: last.seq,
            root: hex::encode(merkle::root(&leaves)),
            head_hash: last.hash.clone(),
            created_at,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: String::new(),
        };
        digest.signature = hex::encode(key.sign(&digest.signed_bytes()).to_bytes());
        Ok(digest)
    }

    /// Checks the signature, and that the signer is `trusted` when one is given. Without a
    /// trusted key this proves only that the digest is unaltered since its signer signed it.
    pub fn verify_signature(&self, trusted: Option<&VerifyingKey>) -> Result<(), DigestError> {
        let bad = |e: &dyn std::fmt::Display| DigestError::BadSignature(e.to_string());
        let key_bytes: [u8; 32] = hex::decode(&self.public_key)
            .map_err(|e| bad(&e))?
            .try_into()
            .map_err(|_| bad(&"the public key is not 32 bytes"))?;
        let key = VerifyingKey::from_bytes(&key_bytes).map_err(|e| bad(&e))?;
        if let Some(trusted) = trusted
            && trusted != &key
        {
            return Err(DigestError::UntrustedKey {
                found: self.public_key.clone(),
                trusted: hex::encode(trusted.as_bytes()),
            });
        }
        let signature: [u8; 64] = hex::decode(&self.signature)
            .map_err(|e| bad(&e))?
            .try_into()
            .map_err(|_| bad(&"the signature is not 64 bytes"))?;
        key.verify(&self.signed_bytes(), &Signature::from_bytes(&signature))
            .map_err(|e| bad(&e))
    }

    pub fn size(&self) -> u64 {
        self.to_seq - self.from_seq + 1
    }
}

fn leaves_of(entries: &[LedgerEntry]) -> Result<Vec<merkle::Node>, DigestError> {
    let tenant = &entries[0].tenant_id;
    let not_a_range = |reason: String| DigestError::NotARange {
        tenant: tenant.clone(),
        reason,
    };
    let mut leaves = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        if &entry.tenant_id != tenant {
            return Err(not_a_range(format!(
                "entry {} is tenant {}'s",
                entry.seq, entry.tenant_id
            )));
        }
        if i > 0 && entry.seq != entries[i - 1].seq + 1 {
            return Err(not_a_range(format!(
                "{} follows {}",
                entry.seq,
                entries[i - 1].seq
            )));
        }
        leaves.push(
            merkle::leaf(&entry.hash)
                .ok_or_else(|| not_a_range(format!("entry {}'s hash is not hex", entry.seq)))?,
        );
    }
    Ok(leaves)
}

/// One entry's proof of inclusion in a digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InclusionProof {
    pub version: u32,
    /// The entry's hashed fields; `payload` is `null` unless it was asked for (the hash covers
    /// it through `payload_digest`).
    pub entry: LedgerEntry,
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Audit path (hex), leaf's sibling first.
    pub path: Vec<String>,
    /// The digest this proof is for: its range and root.
    pub digest_from_seq: u64,
    pub digest_to_seq: u64,
    pub digest_root: String,
}

/// The proof of entry `seq` in `digest`, from the digest's entries.
pub fn prove(
    entries: &[LedgerEntry],
    digest: &LedgerDigest,
    seq: u64,
    with_payload: bool,
) -> Result<InclusionProof, DigestError> {
    if seq < digest.from_seq || seq > digest.to_seq {
        return Err(DigestError::OutOfRange {
            seq,
            from: digest.from_seq,
            to: digest.to_seq,
        });
    }
    if let Some(changed) = entries.iter().find(|e| e.compute_hash() != e.hash) {
        return Err(DigestError::EntryChanged {
            seq: changed.seq,
            reason: "its stored fields no longer give its hash".into(),
        });
    }
    let leaves = leaves_of(entries)?;
    if entries.first().map(|e| e.seq) != Some(digest.from_seq)
        || leaves.len() as u64 != digest.size()
    {
        return Err(DigestError::Mismatch(
            "the entries given are not the digest's range".into(),
        ));
    }
    if hex::encode(merkle::root(&leaves)) != digest.root {
        return Err(DigestError::Mismatch(
            "the stored entries no longer give the digest's root".into(),
        ));
    }
    let index = (seq - digest.from_seq) as usize;
    let mut entry = entries[index].clone();
    if !with_payload {
        entry.payload = serde_json::Value::Null;
    }
    Ok(InclusionProof {
        version: DIGEST_VERSION,
        entry,
        leaf_index: index as u64,
        tree_size: digest.size(),
        path: merkle::inclusion_proof(&leaves, index)
            .iter()
            .map(hex::encode)
            .collect(),
        digest_from_seq: digest.from_seq,
        digest_to_seq: digest.to_seq,
        digest_root: digest.root.clone(),
    })
}

/// Checks `proof` against `digest` offline: the signature (against `trusted` if given), that the
/// proof is for this digest, that the entry's fields still give its hash (and its payload, if
/// included, its digest), and that the audit path leads to the signed root.
pub fn verify_proof(
    proof: &InclusionProof,
    digest: &LedgerDigest,
    trusted: Option<&VerifyingKey>,
) -> Result<(), DigestError> {
    digest.verify_signature(trusted)?;
    let entry = &proof.entry;
    let seq = entry.seq;
    if entry.tenant_id != digest.tenant_id {
        return Err(DigestError::Mismatch(format!(
            "the entry is tenant {}'s, the digest tenant {}'s",
            entry.tenant_id, digest.tenant_id
        )));
    }
    if seq < digest.from_seq || seq > digest.to_seq {
        return Err(DigestError::OutOfRange {
            seq,
            from: digest.from_seq,
            to: digest.to_seq,
        });
    }
    if proof.digest_root != digest.root
        || proof.digest_from_seq != digest.from_seq
        || proof.digest_to_seq != digest.to_seq
        || proof.tree_size != digest.size()
        || proof.leaf_index != seq - digest.from_seq
    {
        return Err(DigestError::Mismatch(
            "the proof was made for another digest or position".into(),
        ));
    }
    if entry.compute_hash() != entry.hash {
        return Err(DigestError::EntryChanged {
            seq,
            reason: "its fields no longer give its hash".into(),
        });
    }
    if !entry.payload.is_null() && digest_of(&entry.payload) != entry.payload_digest {
        return Err(DigestError::EntryChanged {
            seq,
            reason: "its payload no longer gives its payload digest".into(),
        });
    }
    let path: Vec<merkle::Node> = proof
        .path
        .iter()
        .map(|h| {
            hex::decode(h)
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or(DigestError::NotIncluded { seq })
        })
        .collect::<Result<_, _>>()?;
    let root: merkle::Node = hex::decode(&digest.root)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| DigestError::Mismatch("the digest's root is not 32 bytes of hex".into()))?;
    let leaf = merkle::leaf(&entry.hash).ok_or(DigestError::NotIncluded { seq })?;
    if merkle::verify_inclusion(
        &leaf,
        proof.leaf_index as usize,
        proof.tree_size as usize,
        &path,
        &root,
    ) {
        Ok(())
    } else {
        Err(DigestError::NotIncluded { seq })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(tenant: &str, n: u64) -> Vec<LedgerEntry> {
        crate::ledger::test_chain(tenant, n)
    }

    fn key(byte: u8) -> SigningKey {
        SigningKey::from_bytes(&[byte; 32])
    }

    #[test]
    fn every_entry_proves_against_the_signed_digest() {
        let entries = chain("acme", 13);
        let digest = LedgerDigest::sign(&entries, Utc::now(), &key(7)).unwrap();
        let trusted = key(7).verifying_key();
        for seq in 1..=13 {
            let proof = prove(&entries, &digest, seq, seq % 2 == 0).unwrap();
            verify_proof(&proof, &digest, Some(&trusted)).unwrap();
        }
    }

    #[test]
    fn a_changed_entry_fails_its_proof() {
        let entries = chain("acme", 9);
        let digest = LedgerDigest::sign(&entries, Utc::now(), &key(7)).unwrap();
        let mut proof = prove(&entries, &digest, 4, true).unwrap();
        proof.entry.activity = "something else".into();
        assert!(matches!(
            verify_proof(&proof, &digest, None),
            Err(DigestError::EntryChanged { seq: 4, .. })
        ));
        // Rehashing the changed entry does not help: the path no longer leads to the root.
        proof.entry.hash = proof.entry.compute_hash();
        assert_eq!(
            verify_proof(&proof, &digest, None),
            Err(DigestError::NotIncluded { seq: 4 })
        );
        // Nor does changing only the payload.
        let mut proof = prove(&entries, &digest, 5, true).unwrap();
        proof.entry.payload = serde_json::json!({"n": 500});
        assert!(matches!(
            verify_proof(&proof, &digest, None),
            Err(DigestError::EntryChanged { seq: 5, .. })
        ));
    }

    #[test]
    fn a_changed_digest_or_a_foreign_key_is_refused() {
        let entries = chain("acme", 5);
        let mut digest = LedgerDigest::sign(&entries, Utc::now(), &key(7)).unwrap();
        let proof = prove(&entries, &digest, 2, false).unwrap();
        assert!(matches!(
            verify_proof(&proof, &digest, Some(&key(8).verifying_key())),
            Err(DigestError::UntrustedKey { .. })
        ));
        digest.to_seq = 4;
        assert!(matches!(
            digest.verify_signature(None),
            Err(DigestError::BadSignature(_))
        ));
    }

    #[test]
    fn a_store_that_rewrote_an_entry_cannot_prove_against_the_old_digest() {
        let entries = chain("acme", 6);
        let digest = LedgerDigest::sign(&entries, Utc::now(), &key(7)).unwrap();
        // A field changed, its stored hash kept: caught by the entry's own hash.
        let mut edited = entries.clone();
        edited[4].activity = "forged".into();
        assert!(matches!(
            prove(&edited, &digest, 2, false),
            Err(DigestError::EntryChanged { seq: 5, .. })
        ));
        // An entry replaced by a self-consistent one: caught by the signed root.
        let mut replaced = entries.clone();
        replaced[2].activity = "forged".into();
        replaced[2].hash = replaced[2].compute_hash();
        assert!(matches!(
            prove(&replaced, &digest, 3, false),
            Err(DigestError::Mismatch(_))
        ));
    }

    #[test]
    fn ranges_must_be_one_tenants_and_contiguous() {
        let mut entries = chain("acme", 4);
        entries.remove(1);
        assert!(matches!(
            LedgerDigest::sign(&entries, Utc::now(), &key(1)),
            Err(DigestError::NotARange { .. })
        ));
        assert_eq!(
            LedgerDigest::sign(&[], Utc::now(), &key(1)),
            Err(DigestError::Empty)
        );
        let digest = LedgerDigest::sign(&chain("acme", 3), Utc::now(), &key(1)).unwrap();
        assert!(matches!(
            prove(&chain("acme", 3), &digest, 4, false),
            Err(DigestError::OutOfRange { seq: 4, .. })
        ));
    }
}
