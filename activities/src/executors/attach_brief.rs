//! Attaches the stored meeting brief to the meeting it was prepared for. With the tenant's
//! `[crm]`, the brief becomes a file (ContentVersion) published on the meeting's Event, keyed by
//! the action so a retry finds the file the first try made; the compensation deletes the file.
//! Without `[crm]`, the attachment is recorded in revloop's own store.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use chrono::{DateTime, Utc};
use revloop_domain::decision::ActionKind;
use revloop_store::{ActionRecord, Effect, Store};
use serde_json::json;

use super::{ActionExecutor, ExecutorError, param, record, recorded};
use crate::crm::{CrmWriteBack, crm_key};

const EFFECT: &str = "crm_brief_attached";

pub struct AttachBriefExecutor {
    store: Arc<dyn Store>,
    crm: CrmWriteBack,
}

impl AttachBriefExecutor {
    pub fn new(store: Arc<dyn Store>, crm: CrmWriteBack) -> Self {
        Self { store, crm }
    }
}

#[async_trait]
impl ActionExecutor for AttachBriefExecutor {
    fn kind(&self) -> ActionKind {
        ActionKind::AttachBrief
    }

    async fn execute(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let artifact_key = param(action, "artifact_key")?;
        let meeting_id = param(action, "meeting_id")?;
        let brief = self
            .store
            .get_artifact(&action.tenant_id, artifact_key)
            .await?
            .ok_or_else(|| {
                ExecutorError::Invalid(format!("brief {artifact_key} does not exist"))
            })?;
        let Some(org) = self.crm.org(&action.tenant_id).await? else {
            let payload = json!({ "artifact_key": artifact_key, "meeting_id": meeting_id });
            return record(&*self.store, action, key, "brief_attached", payload, now).await;
        };
        if let Some(done) = recorded(&*self.store, action, key).await? {
            return Ok((done, false));
        }
        let external_key = crm_key(key);
        let fields = ["Id", "ContentDocumentId"];
        let file = match org
            .find_by_key("ContentVersion", &fields, &external_key)
            .await?
        {
            Some(found) => found,
            None => {
                let mut version = json!({
                    "Title": format!("Meeting brief: {}", action.proposal.title),
                    "PathOnClient": format!("meeting-brief-{meeting_id}.json"),
                    "VersionData": base64::engine::general_purpose::STANDARD.encode(&brief.content),
                    "FirstPublishLocationId": meeting_id,
                });
                version[&org.key_field] = json!(external_key);
                org.create("ContentVersion", &version).await?;
                org.find_by_key("ContentVersion", &fields, &external_key)
                    .await?
                    .ok_or_else(|| {
                        ExecutorError::Transient(format!(
                            "ContentVersion {external_key}: created but not found yet"
                        ))
                    })?
            }
        };
        let payload = json!({
            "artifact_key": artifact_key,
            "meeting_id": meeting_id,
            "sobject": "ContentVersion",
            "salesforce_id": file["Id"],
            "content_document_id": file["ContentDocumentId"],
            "crm_key": external_key,
            "delivery": format!("attached in Salesforce to Event {meeting_id}"),
        });
        record(&*self.store, action, key, EFFECT, payload, now).await
    }

    async fn compensate(
        &self,
        action: &ActionRecord,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<(Effect, bool), ExecutorError> {
        let meeting_id = param(action, "meeting_id")?;
        let mut payload = json!({ "meeting_id": meeting_id });
        if let Some(attached) = recorded(&*self.store, action, key)
            .await?
            .filter(|e| e.kind == EFFECT)
        {
            let document = attached.payload["content_document_id"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let org = self.crm.org(&action.tenant_id).await?.ok_or_else(|| {
                ExecutorError::Invalid(format!(
                    "action {}: the brief is in Salesforce, but the tenant has no [crm] to remove it through",
                    action.action_id
                ))
            })?;
            payload["was_there"] = json!(org.delete("ContentDocument", &document).await?);
            payload["content_document_id"] = json!(document);
        }
        record(
            &*self.store,
            action,
            &format!("{key}/compensate"),
            "brief_detached",
            payload,
            now,
        )
        .await
    }
}
