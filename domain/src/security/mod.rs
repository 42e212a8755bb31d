//! Trust-boundary rules that a tenant admin's input must pass before anything acts on it: which
//! secrets a connector may name, and where the platform may connect on a tenant's behalf.
//! The rules are pure; resolving a secret and resolving a host happen in `activities`.

pub mod egress;
pub mod secret_ref;

pub use egress::{EgressPolicy, EgressRefusal};
pub use secret_ref::{SecretRef, SecretRefError};
