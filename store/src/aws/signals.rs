use std::collections::BTreeSet;

use async_trait::async_trait;
use futures::stream::{self, StreamExt, TryStreamExt};
use revloop_domain::signals::Signal;

use super::items::{key, to_json};
use super::revisions::Counter;
use super::{AwsStore, account_pk};
use crate::StoreResult;
use crate::signals::SignalStore;

/// A signal is the item `T#{tenant}#SIG` / `{signal id}` (the conditional put stores it once),
/// and a copy in its account's partition, `SIG#{signal id}`, so both lists are one strongly
/// consistent query in signal-id order.
fn tenant_signals_pk(tenant: &str) -> String {
    format!("T#{tenant}#SIG")
}

#[async_trait]
impl SignalStore for AwsStore {
    async fn put_signals(&self, signals: &[Signal]) -> StoreResult<Vec<(Signal, bool)>> {
        let out: Vec<(Signal, bool)> = stream::iter(signals.iter().cloned())
            .map(|signal| async move {
                let tenant = signal.tenant_id.to_string();
                let body = to_json(&signal)?;
                let mut item = key(tenant_signals_pk(&tenant), &signal.signal_id);
                self.set_body(&tenant, &mut item, body).await?;
                let inserted = self.put_new(self.main(), item).await?;
                let stored: Signal = if inserted {
                    signal
                } else {
                    let item = self
                        .get_main(&tenant_signals_pk(&tenant), &signal.signal_id)
                        .await?
                        .ok_or_else(|| {
                            crate::StoreError::not_found(format!("signal {}", signal.signal_id))
                        })?;
                    self.body("signal", &item).await?
                };
                // The account's copy is (re)written either way, so a retry after a crash
                // between the two puts completes it.
                let mut copy = key(
                    account_pk(&tenant, stored.account_id.as_ref()),
                    format!("SIG#{}", stored.signal_id),
                );
                self.set_body(&tenant, &mut copy, to_json(&stored)?).await?;
                self.put_item(self.main(), copy).await?;
                Ok::<_, crate::StoreError>((stored, inserted))
            })
            .buffered(16)
            .try_collect()
            .await?;
        let touched: BTreeSet<(String, String)> = out
            .iter()
            .map(|(s, _)| (s.tenant_id.to_string(), s.account_id.to_string()))
            .collect();
        for (tenant, account) in touched {
            self.bump(&tenant, &account, Counter::Signals).await?;
        }
        Ok(out)
    }

    async fn list_signals(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
    ) -> StoreResult<Vec<Signal>> {
        let items = match account_id {
            Some(account) => {
                self.query_partition(self.main(), &account_pk(tenant_id, account), Some("SIG#"))
                    .await?
            }
            None => {
                self.query_partition(self.main(), &tenant_signals_pk(tenant_id), None)
                    .await?
            }
        };
        self.bodies("signal", &items).await
    }
}
