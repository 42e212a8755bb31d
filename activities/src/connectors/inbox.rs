//! The operator's inbox: the only place a tenant may have the worker read files from. Each
//! tenant has its own folder, `<inbox>/<tenant id>/`, and names files and drop folders
//! relative to it. Paths are checked component by component: no absolute paths, no `..`, and
//! no symbolic links, so a tenant admin can never make the worker read `/etc/…` or another
//! tenant's files. With no inbox configured, file perception is off.

use std::path::{Component, Path, PathBuf};

use revloop_domain::TenantId;

use super::ConnectorError;

#[derive(Debug, Clone, Default)]
pub struct Inbox {
    root: Option<PathBuf>,
}

/// Checks a tenant-given path without touching the disk: relative, and only plain names.
pub fn check_relative(path: &str) -> Result<PathBuf, String> {
    let p = Path::new(path);
    if path.is_empty() {
        return Err("must not be empty".into());
    }
    if p.is_absolute() {
        return Err(format!(
            "{path:?} is absolute; name it relative to the tenant's inbox folder"
        ));
    }
    for component in p.components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            _ => return Err(format!("{path:?} may not contain '..'")),
        }
    }
    Ok(p.to_path_buf())
}

impl Inbox {
    pub fn new(root: Option<PathBuf>) -> Self {
        Self { root }
    }

    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// The canonical path of `relative` inside the tenant's folder, refused when it is not a
    /// plain path below that folder or passes through a symbolic link.
    pub fn resolve(&self, tenant_id: &str, relative: &str) -> Result<PathBuf, ConnectorError> {
        let root = self.root.as_deref().ok_or_else(|| {
            ConnectorError::Invalid(
                "file perception is off: the operator has not configured an inbox (REVLOOP_INBOX_DIR)"
                    .into(),
            )
        })?;
        let tenant =
            TenantId::parse(tenant_id).map_err(|e| ConnectorError::Invalid(e.to_string()))?;
        let relative =
            check_relative(relative).map_err(|e| ConnectorError::Invalid(format!("path: {e}")))?;
        let root = root
            .canonicalize()
            .map_err(|e| ConnectorError::Unavailable(format!("inbox {}: {e}", root.display())))?;
        let mut at = root.join(tenant.as_str());
        no_link(&at, &format!("the inbox folder of tenant {tenant}"))?;
        for component in relative.components() {
            if let Component::Normal(name) = component {
                at.push(name);
                no_link(&at, &relative.display().to_string())?;
            }
        }
        let canonical = at
            .canonicalize()
            .map_err(|e| ConnectorError::Invalid(format!("{}: {e}", relative.display())))?;
        if !canonical.starts_with(root.join(tenant.as_str())) {
            return Err(ConnectorError::Invalid(format!(
                "{} is outside tenant {tenant}'s inbox folder",
                relative.display()
            )));
        }
        Ok(canonical)
    }
}

fn no_link(path: &Path, what: &str) -> Result<(), ConnectorError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(ConnectorError::Invalid(format!(
            "{what}: symbolic links are not followed in the inbox"
        ))),
        Ok(_) => Ok(()),
        Err(e) => Err(ConnectorError::Invalid(format!("{what}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox() -> (tempfile::TempDir, Inbox) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("acme/drop")).unwrap();
        std::fs::create_dir_all(dir.path().join("globex")).unwrap();
        std::fs::write(dir.path().join("acme/batch.jsonl"), "{}\n").unwrap();
        std::fs::write(dir.path().join("globex/theirs.jsonl"), "{}\n").unwrap();
        let inbox = Inbox::new(Some(dir.path().to_path_buf()));
        (dir, inbox)
    }

    #[test]
    fn a_tenant_reads_inside_its_folder() {
        let (dir, inbox) = inbox();
        let path = inbox.resolve("acme", "batch.jsonl").unwrap();
        assert_eq!(
            path,
            dir.path().canonicalize().unwrap().join("acme/batch.jsonl")
        );
        assert!(inbox.resolve("acme", "./drop").unwrap().is_dir());
    }

    #[test]
    fn system_files_and_other_tenants_are_out_of_reach() {
        let (dir, inbox) = inbox();
        for bad in [
            "/etc/hostname",
            "../globex/theirs.jsonl",
            "drop/../../globex/theirs.jsonl",
            "",
        ] {
            assert!(inbox.resolve("acme", bad).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("acme/host")).unwrap();
        let link = inbox.resolve("acme", "host").unwrap_err();
        assert!(link.to_string().contains("symbolic links"), "{link}");
        std::os::unix::fs::symlink(dir.path().join("globex"), dir.path().join("acme/other"))
            .unwrap();
        assert!(inbox.resolve("acme", "other/theirs.jsonl").is_err());
        assert!(inbox.resolve("..", "globex/theirs.jsonl").is_err());
    }

    #[test]
    fn with_no_inbox_file_perception_is_off() {
        let err = Inbox::default().resolve("acme", "batch.jsonl").unwrap_err();
        assert!(err.to_string().contains("file perception is off"), "{err}");
    }
}
