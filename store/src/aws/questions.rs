use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};

use super::items::{Item, TransactOutcome, built, key, n, s, stored_stamp, string, to_json};
use super::revisions::{Counter, REVISION_SK};
use super::snapshots::sort_by_stored;
use super::{
    AwsStore, account_pk,
    errors::{is_condition_failed, sdk_err},
    tenant_pk,
};
use crate::StoreResult;
use crate::questions::{
    AnswerOutcome, AnswerRecord, QuestionRecord, QuestionStatus, QuestionStore,
};

/// A question is `T#{tenant}` / `Q#{id}` with its `status`; answering is one transaction of the
/// question's conditional put (`status = open`: of two answers one counts), the answer in the
/// account's partition (`ANS#{question}`) and the account's revision.
fn question_sk(id: &str) -> String {
    format!("Q#{id}")
}

impl AwsStore {
    async fn question_item(&self, q: &QuestionRecord, stored: u64) -> StoreResult<Item> {
        let mut item = key(tenant_pk(&q.tenant_id), question_sk(&q.question_id));
        item.insert("status".into(), s(q.status.as_str()));
        item.insert("account".into(), s(&q.account_id));
        item.insert("stored".into(), n(stored));
        self.set_body(&q.tenant_id, &mut item, to_json(q)?).await?;
        Ok(item)
    }

    async fn question_with_stamp(
        &self,
        tenant: &str,
        id: &str,
    ) -> StoreResult<Option<(QuestionRecord, u64)>> {
        match self.get_main(&tenant_pk(tenant), &question_sk(id)).await? {
            Some(item) => Ok(Some((
                self.body("question", &item).await?,
                super::items::number(&item, "stored")? as u64,
            ))),
            None => Ok(None),
        }
    }
}

#[async_trait]
impl QuestionStore for AwsStore {
    async fn create_questions(&self, questions: &[QuestionRecord]) -> StoreResult<()> {
        for q in questions {
            let item = self.question_item(q, stored_stamp()).await?;
            self.put_new(self.main(), item).await?;
        }
        Ok(())
    }

    async fn get_question(
        &self,
        tenant_id: &str,
        question_id: &str,
    ) -> StoreResult<Option<QuestionRecord>> {
        Ok(self
            .question_with_stamp(tenant_id, question_id)
            .await?
            .map(|(q, _)| q))
    }

    async fn list_questions(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        open_only: bool,
    ) -> StoreResult<Vec<QuestionRecord>> {
        let mut items = self
            .query_partition(self.main(), &tenant_pk(tenant_id), Some("Q#"))
            .await?;
        items.retain(|item| {
            account_id.is_none_or(|a| string(item, "account").ok() == Some(a))
                && (!open_only
                    || string(item, "status").ok() == Some(QuestionStatus::Open.as_str()))
        });
        sort_by_stored(&mut items)?;
        items.reverse();
        self.bodies("question", &items).await
    }

    async fn answer_question(&self, answer: &AnswerRecord) -> StoreResult<AnswerOutcome> {
        let Some((mut question, stamp)) = self
            .question_with_stamp(&answer.tenant_id, &answer.question_id)
            .await?
        else {
            return Ok(AnswerOutcome::NotFound);
        };
        if question.status != QuestionStatus::Open {
            return Ok(AnswerOutcome::AlreadySettled(question));
        }
        question.status = QuestionStatus::Answered;
        question.answer = Some(answer.clone());
        let put_question = Put::builder()
            .table_name(self.main())
            .set_item(Some(self.question_item(&question, stamp).await?))
            .condition_expression("#st = :open")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":open", s(QuestionStatus::Open.as_str()));
        let mut answer_item = key(
            account_pk(&answer.tenant_id, &answer.account_id),
            format!("ANS#{}", answer.question_id),
        );
        answer_item.insert("stored".into(), n(stored_stamp()));
        self.set_body(&answer.tenant_id, &mut answer_item, to_json(answer)?)
            .await?;
        let put_answer = Put::builder()
            .table_name(self.main())
            .set_item(Some(answer_item))
            .condition_expression("attribute_not_exists(pk)");
        let bump = Update::builder()
            .table_name(self.main())
            .set_key(Some(key(
                account_pk(&answer.tenant_id, &answer.account_id),
                REVISION_SK,
            )))
            .update_expression("ADD #c :one")
            .expression_attribute_names("#c", Counter::Answers.attribute())
            .expression_attribute_values(":one", n(1));
        let items = vec![
            TransactWriteItem::builder()
                .put(built("Put", put_question.build())?)
                .build(),
            TransactWriteItem::builder()
                .put(built("Put", put_answer.build())?)
                .build(),
            TransactWriteItem::builder()
                .update(built("Update", bump.build())?)
                .build(),
        ];
        match self.transact(items).await? {
            TransactOutcome::Committed => Ok(AnswerOutcome::Recorded(question)),
            TransactOutcome::Cancelled(_) => match self
                .get_question(&answer.tenant_id, &answer.question_id)
                .await?
            {
                Some(q) if q.status != QuestionStatus::Open => Ok(AnswerOutcome::AlreadySettled(q)),
                _ => Err(crate::StoreError::new(
                    crate::StoreErrorKind::Unavailable,
                    format!(
                        "question {}: the answer raced another write; retry",
                        answer.question_id
                    ),
                )),
            },
        }
    }

    async fn expire_question(
        &self,
        tenant_id: &str,
        question_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let Some((mut question, stamp)) = self.question_with_stamp(tenant_id, question_id).await?
        else {
            return Ok(false);
        };
        if question.status != QuestionStatus::Open {
            return Ok(false);
        }
        question.status = QuestionStatus::Expired;
        question.expires_at = question.expires_at.min(at);
        match self
            .ddb()
            .put_item()
            .table_name(self.main())
            .set_item(Some(self.question_item(&question, stamp).await?))
            .condition_expression("#st = :open")
            .expression_attribute_names("#st", "status")
            .expression_attribute_values(":open", s(QuestionStatus::Open.as_str()))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if is_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_err("PutItem question", e)),
        }
    }

    async fn account_answers(
        &self,
        tenant_id: &str,
        account_id: &str,
    ) -> StoreResult<Vec<AnswerRecord>> {
        let mut items = self
            .query_partition(
                self.main(),
                &account_pk(tenant_id, account_id),
                Some("ANS#"),
            )
            .await?;
        sort_by_stored(&mut items)?;
        self.bodies("answer", &items).await
    }
}
