//! Resolves a tenant's secret reference ([`SecretRef`]) to its value, in the worker (pull
//! connectors) or the API (push signatures). The reference was checked against its tenant when
//! it was registered; it is checked again here, so a registration stored before the rule, or
//! written to the store by other means, still cannot reach the platform's own secrets.

use std::path::{Path, PathBuf};

use revloop_domain::TenantId;
use revloop_domain::security::SecretRef;

use crate::connectors::ConnectorError;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecretsArgs {
    /// Folder of per-tenant secret files, `<dir>/<tenant id>/<name>` (e.g. one mounted
    /// Kubernetes Secret per tenant); connectors name them as `file:<name>`.
    #[arg(long, env = "REVLOOP_TENANT_SECRETS_DIR")]
    pub tenant_secrets_dir: Option<PathBuf>,
}

/// Where tenants' secrets come from: the tenant-prefixed environment and the secrets folder.
#[derive(Debug, Clone, Default)]
pub struct TenantSecrets {
    dir: Option<PathBuf>,
}

impl TenantSecrets {
    pub fn new(dir: Option<PathBuf>) -> Self {
        Self { dir }
    }

    pub fn from_args(args: &SecretsArgs) -> Self {
        Self::new(args.tenant_secrets_dir.clone())
    }

    /// The secret's value. Never logged or stored; errors name the reference, not the value.
    pub fn resolve(&self, tenant_id: &str, reference: &str) -> Result<String, ConnectorError> {
        let tenant =
            TenantId::parse(tenant_id).map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let checked = SecretRef::parse(&tenant, reference)
            .map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let value = match &checked {
            SecretRef::Env(name) => std::env::var(name).map_err(|_| {
                ConnectorError::Unavailable(format!("environment variable {name} is not set"))
            })?,
            SecretRef::File(name) => self.read_file(&tenant, name)?,
        };
        let value = value.trim_end_matches(['\n', '\r']).to_string();
        if value.is_empty() {
            return Err(ConnectorError::Unavailable(format!(
                "secret {checked} is empty"
            )));
        }
        Ok(value)
    }

    fn read_file(&self, tenant: &TenantId, name: &str) -> Result<String, ConnectorError> {
        let dir = self.dir.as_deref().ok_or_else(|| {
            ConnectorError::Unavailable(
                "file: secrets need REVLOOP_TENANT_SECRETS_DIR, which is not set".into(),
            )
        })?;
        let path = inside_tenant_folder(dir, tenant, name)?;
        std::fs::read_to_string(&path)
            .map_err(|e| ConnectorError::Unavailable(format!("secret file:{name}: {e}")))
    }
}

/// The secret file's canonical path, refused unless it lies inside `<dir>/<tenant>`. Links
/// inside the folder are followed (a mounted Kubernetes Secret is made of them), links out of
/// it are not.
fn inside_tenant_folder(
    dir: &Path,
    tenant: &TenantId,
    name: &str,
) -> Result<PathBuf, ConnectorError> {
    let unavailable = |what: &Path, e: std::io::Error| {
        ConnectorError::Unavailable(format!("secret folder {}: {e}", what.display()))
    };
    let root = dir.canonicalize().map_err(|e| unavailable(dir, e))?;
    let folder = root.join(tenant.as_str());
    let folder = folder.canonicalize().map_err(|e| unavailable(&folder, e))?;
    if folder.parent() != Some(root.as_path()) {
        return Err(ConnectorError::Invalid(format!(
            "secret folder of tenant {tenant} is not a folder of {}",
            root.display()
        )));
    }
    let path = folder.join(name);
    let path = path
        .canonicalize()
        .map_err(|e| ConnectorError::Unavailable(format!("secret file:{name}: {e}")))?;
    if !path.starts_with(&folder) {
        return Err(ConnectorError::Invalid(format!(
            "secret file:{name} leads out of tenant {tenant}'s secrets folder"
        )));
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_reads_its_own_file_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("acme")).unwrap();
        std::fs::create_dir_all(dir.path().join("globex")).unwrap();
        std::fs::write(dir.path().join("acme/crm-token"), "acme-secret\n").unwrap();
        std::fs::write(dir.path().join("globex/crm-token"), "globex-secret").unwrap();
        std::os::unix::fs::symlink(
            dir.path().join("globex/crm-token"),
            dir.path().join("acme/stolen"),
        )
        .unwrap();
        let secrets = TenantSecrets::new(Some(dir.path().to_path_buf()));
        assert_eq!(
            secrets.resolve("acme", "file:crm-token").unwrap(),
            "acme-secret"
        );
        let stolen = secrets.resolve("acme", "file:stolen").unwrap_err();
        assert!(
            stolen.to_string().contains("leads out of tenant acme"),
            "{stolen}"
        );
        assert!(secrets.resolve("acme", "file:../globex/crm-token").is_err());
        assert!(secrets.resolve("..", "file:crm-token").is_err());
    }

    #[test]
    fn the_process_environment_is_out_of_reach() {
        // PATH is set in every test process: a real secret of the process, out of a tenant's reach.
        let err = TenantSecrets::default()
            .resolve("acme", "env:PATH")
            .unwrap_err();
        assert!(
            err.to_string().contains("REVLOOP_TENANT_SECRET_acme__"),
            "{err}"
        );
    }

    #[test]
    fn file_secrets_need_the_folder() {
        let err = TenantSecrets::default()
            .resolve("acme", "file:x")
            .unwrap_err();
        assert!(err.to_string().contains("REVLOOP_TENANT_SECRETS_DIR"));
    }
}
