//! Account revisions: one item per account, `T#{tenant}#ACCT#{account}` / `REV`, whose counters
//! (`versions`, `signals`, `snapshots`, `answers`) each write to the account moves with an
//! atomic `ADD` after its data is written. A reader that sees the new counter therefore sees the
//! new data (the data went first), so a cache keyed by the revision is never stale.

use super::items::{key, n};
use super::{AwsStore, account_pk, errors::sdk_err};
use crate::StoreResult;

pub(crate) const REVISION_SK: &str = "REV";

#[derive(Debug, Clone, Copy)]
pub(crate) enum Counter {
    Versions,
    Signals,
    Snapshots,
    Answers,
}

impl Counter {
    pub(crate) fn attribute(self) -> &'static str {
        match self {
            Counter::Versions => "versions",
            Counter::Signals => "signals",
            Counter::Snapshots => "snapshots",
            Counter::Answers => "answers",
        }
    }
}

impl AwsStore {
    pub(crate) async fn bump(
        &self,
        tenant: &str,
        account: &str,
        counter: Counter,
    ) -> StoreResult<()> {
        self.ddb()
            .update_item()
            .table_name(self.main())
            .set_key(Some(key(account_pk(tenant, account), REVISION_SK)))
            .update_expression("ADD #c :one")
            .expression_attribute_names("#c", counter.attribute())
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| sdk_err("UpdateItem account revision", e))?;
        Ok(())
    }
}
