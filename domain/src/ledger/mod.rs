//! The ledger's hashing rules: entries are hash-chained per tenant, and `verify` recomputes the
//! chain and names the first broken entry. Storage is elsewhere; the rules live here so every
//! backend and the verifier agree byte for byte.

mod chain;
mod entry;

pub use chain::{ChainBreak, VerifyReport, verify_chain};
pub use entry::{GENESIS_HASH, LedgerEntry, LedgerKind, NewLedgerEntry};
