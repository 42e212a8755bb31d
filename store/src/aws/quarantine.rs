use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Select};

use super::items::{Item, key, s, to_json};
use super::{AwsStore, errors::sdk_err};
use crate::StoreResult;
use crate::quarantine::{QuarantineStore, QuarantinedLine};

/// A quarantined line is `T#{tenant}#QUAR#{batch}` / `{line:010}` (a batch's lines page in line
/// order); each batch is listed under `T#{tenant}#QUARBATCH` / `{batch}`.
fn batch_pk(tenant: &str, batch: &str) -> String {
    format!("T#{tenant}#QUAR#{batch}")
}

fn batches_pk(tenant: &str) -> String {
    format!("T#{tenant}#QUARBATCH")
}

fn line_sk(line: usize) -> String {
    format!("{line:010}")
}

impl AwsStore {
    fn quarantine_item(line: &QuarantinedLine) -> StoreResult<Item> {
        let mut item = key(
            batch_pk(&line.tenant_id, &line.batch_id),
            line_sk(line.line),
        );
        // Lines are small (the parser caps them), so the body always fits the item.
        item.insert("body".into(), s(to_json(line)?));
        Ok(item)
    }

    async fn note_batches(&self, lines: &[QuarantinedLine]) -> StoreResult<()> {
        let batches: std::collections::BTreeSet<(&str, &str)> = lines
            .iter()
            .map(|l| (l.tenant_id.as_str(), l.batch_id.as_str()))
            .collect();
        let items = batches
            .into_iter()
            .map(|(t, b)| key(batches_pk(t), b))
            .collect();
        self.batch_put(self.main(), items).await
    }
}

#[async_trait]
impl QuarantineStore for AwsStore {
    async fn quarantine(&self, line: &QuarantinedLine) -> StoreResult<()> {
        self.note_batches(std::slice::from_ref(line)).await?;
        // The first report of a line is kept (a retried batch reports it again).
        self.put_new(self.main(), Self::quarantine_item(line)?)
            .await?;
        Ok(())
    }

    async fn quarantine_all(&self, lines: &[QuarantinedLine]) -> StoreResult<()> {
        if lines.is_empty() {
            return Ok(());
        }
        self.note_batches(lines).await?;
        // BatchWriteItem has no conditions: a line written again holds the same report.
        let mut items = Vec::with_capacity(lines.len());
        let mut seen = std::collections::HashSet::new();
        for line in lines {
            if seen.insert((&line.tenant_id, &line.batch_id, line.line)) {
                items.push(Self::quarantine_item(line)?);
            }
        }
        self.batch_put(self.main(), items).await
    }

    async fn list_quarantined(&self, tenant_id: &str) -> StoreResult<Vec<QuarantinedLine>> {
        let batches = self
            .query_partition(self.main(), &batches_pk(tenant_id), None)
            .await?;
        let mut lines = Vec::new();
        for batch in &batches {
            let batch_id = super::items::string(batch, "sk")?;
            let items = self
                .query_partition(self.main(), &batch_pk(tenant_id, batch_id), None)
                .await?;
            lines.extend(
                self.bodies::<QuarantinedLine>("quarantined line", &items)
                    .await?,
            );
        }
        Ok(lines)
    }

    async fn quarantined_page(
        &self,
        tenant_id: &str,
        batch_id: &str,
        after: usize,
        limit: usize,
    ) -> StoreResult<(Vec<QuarantinedLine>, usize)> {
        let pk = batch_pk(tenant_id, batch_id);
        let mut items: Vec<Item> = Vec::new();
        let mut start = None;
        while items.len() < limit {
            let out = self
                .ddb()
                .query()
                .table_name(self.main())
                .consistent_read(true)
                .key_condition_expression("pk = :pk AND sk > :after")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .expression_attribute_values(":after", s(line_sk(after)))
                .limit((limit - items.len()).min(1000) as i32)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_err("Query quarantine page", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        let lines = self.bodies("quarantined line", &items).await?;
        let mut total = 0usize;
        let mut start = None;
        loop {
            let out = self
                .ddb()
                .query()
                .table_name(self.main())
                .consistent_read(true)
                .select(Select::Count)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| sdk_err("Query quarantine count", e))?;
            total += out.count as usize;
            match out.last_evaluated_key {
                Some(next) => start = Some(next),
                None => break,
            }
        }
        Ok((lines, total))
    }
}
