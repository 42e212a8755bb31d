use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{SqliteStore, from_json, sql_err, to_json};
use crate::StoreResult;
use crate::evidence::{Evidence, EvidenceStore};

#[async_trait]
impl EvidenceStore for SqliteStore {
    async fn put_evidence(&self, evidence: &Evidence) -> StoreResult<bool> {
        let e = evidence.clone();
        let provenance = to_json(&e.provenance)?;
        self.with(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO evidence (tenant_id, evidence_id, provenance, content) VALUES (?1, ?2, ?3, ?4)",
                    params![e.tenant_id, e.evidence_id, provenance, e.content],
                )
                .map_err(sql_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn get_evidence(
        &self,
        tenant_id: &str,
        evidence_id: &str,
    ) -> StoreResult<Option<Evidence>> {
        let (t, id) = (tenant_id.to_string(), evidence_id.to_string());
        self.with(move |c| {
            let row: Option<(String, Vec<u8>)> = c
                .query_row(
                    "SELECT provenance, content FROM evidence WHERE tenant_id = ?1 AND evidence_id = ?2",
                    params![t, id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(sql_err)?;
            row.map(|(p, content)| {
                Ok(Evidence { tenant_id: t.clone(), evidence_id: id.clone(), content, provenance: from_json("provenance", &p)? })
            })
            .transpose()
        })
        .await
    }
}
