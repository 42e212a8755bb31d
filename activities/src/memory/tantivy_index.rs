//! BM25 memory on a tantivy index in a directory. The worker writes (one writer per batch,
//! released after its commit); the API and others read, through one reader per process that
//! catches up with the latest commit before each search. Every document carries its tenant, and
//! every search requires it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use revloop_domain::world::memory::Chunk;
use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{BooleanQuery, Occur, Query, QueryParser, TermQuery};
use tantivy::schema::{Field, IndexRecordOption, STORED, STRING, Schema, TEXT, Value};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};

use super::{MemoryError, MemoryHit, MemoryIndex};

#[derive(Clone, Copy)]
struct Fields {
    key: Field,
    tenant: Field,
    account: Field,
    chunk_id: Field,
    kind: Field,
    evidence_ref: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        key: b.add_text_field("key", STRING),
        tenant: b.add_text_field("tenant", STRING | STORED),
        account: b.add_text_field("account", STRING | STORED),
        chunk_id: b.add_text_field("chunk_id", STRING | STORED),
        kind: b.add_text_field("kind", STRING | STORED),
        evidence_ref: b.add_text_field("evidence_ref", STORED),
        text: b.add_text_field("text", TEXT | STORED),
    };
    (b.build(), fields)
}

fn err(e: impl std::fmt::Display) -> MemoryError {
    MemoryError(e.to_string())
}

/// The opened index and a reader over it, kept for the life of the process.
struct Opened {
    index: Index,
    fields: Fields,
    reader: IndexReader,
}

pub struct TantivyMemory {
    dir: PathBuf,
    opened: Mutex<Option<Arc<Opened>>>,
    /// One writer at a time in this process: concurrent batches would otherwise contend for
    /// the index's writer lock and fail.
    writing: Mutex<()>,
}

impl TantivyMemory {
    /// Uses (and creates, on first write) the index in `dir`.
    pub fn new(dir: impl AsRef<Path>) -> Self {
        Self {
            dir: dir.as_ref().to_path_buf(),
            opened: Mutex::new(None),
            writing: Mutex::new(()),
        }
    }

    /// The index, opened once; `None` while nothing was ever written and `create` is false.
    fn open(&self, create: bool) -> Result<Option<Arc<Opened>>, MemoryError> {
        let mut opened = self.opened.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(o) = opened.as_ref() {
            return Ok(Some(o.clone()));
        }
        let (schema, fields) = schema();
        if !create && !self.dir.join("meta.json").exists() {
            return Ok(None);
        }
        std::fs::create_dir_all(&self.dir).map_err(err)?;
        let directory = MmapDirectory::open(&self.dir).map_err(err)?;
        let index = Index::open_or_create(directory, schema).map_err(err)?;
        // Reloaded by hand before each search: another process (the worker) writes, and a
        // search must see every commit made before it.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(err)?;
        let o = Arc::new(Opened {
            index,
            fields,
            reader,
        });
        *opened = Some(o.clone());
        Ok(Some(o))
    }
}

#[async_trait::async_trait]
impl MemoryIndex for TantivyMemory {
    async fn index(&self, tenant_id: &str, chunks: &[Chunk]) -> Result<(), MemoryError> {
        if chunks.is_empty() {
            return Ok(());
        }
        let Some(opened) = self.open(true)? else {
            return Ok(());
        };
        let f = opened.fields;
        let _writing = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        // A writer per batch: the index lock is held only while writing, so a restarted or
        // second process can write next.
        let mut writer: IndexWriter = opened.index.writer(20_000_000).map_err(err)?;
        // Chunks past the new count of each record are what a shrunk text leaves behind.
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for c in chunks {
            *counts.entry(super::record_of(&c.chunk_id)).or_default() += 1;
        }
        opened.reader.reload().map_err(err)?;
        let searcher = opened.reader.searcher();
        for (record, count) in counts {
            for n in count.. {
                let stale = Term::from_field_text(f.key, &format!("{tenant_id}/{record}#{n}"));
                if searcher.doc_freq(&stale).map_err(err)? == 0 {
                    break;
                }
                writer.delete_term(stale);
            }
        }
        for c in chunks {
            let key = format!("{tenant_id}/{}", c.chunk_id);
            writer.delete_term(Term::from_field_text(f.key, &key));
            writer
                .add_document(doc!(
                    f.key => key,
                    f.tenant => tenant_id,
                    f.account => c.account_id.as_str(),
                    f.chunk_id => c.chunk_id.as_str(),
                    f.kind => c.kind.as_str(),
                    f.evidence_ref => c.evidence_ref.as_str(),
                    f.text => c.text.as_str(),
                ))
                .map_err(err)?;
        }
        writer.commit().map_err(err)?;
        opened.reader.reload().map_err(err)?;
        Ok(())
    }

    async fn search(
        &self,
        tenant_id: &str,
        account_id: Option<&str>,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MemoryHit>, MemoryError> {
        let Some(opened) = self.open(false)? else {
            return Ok(Vec::new());
        };
        let f = opened.fields;
        opened.reader.reload().map_err(err)?;
        let searcher = opened.reader.searcher();
        let (text_query, _) =
            QueryParser::for_index(&opened.index, vec![f.text]).parse_query_lenient(query);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.tenant, tenant_id),
                    IndexRecordOption::Basic,
                )),
            ),
            (Occur::Must, text_query),
        ];
        if let Some(account) = account_id {
            clauses.push((
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.account, account),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let top = searcher
            .search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(limit.max(1)),
            )
            .map_err(err)?;
        let text = |d: &TantivyDocument, field: Field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        top.into_iter()
            .map(|(score, address)| {
                let d: TantivyDocument = searcher.doc(address).map_err(err)?;
                Ok(MemoryHit {
                    chunk: Chunk {
                        chunk_id: text(&d, f.chunk_id),
                        account_id: text(&d, f.account),
                        kind: text(&d, f.kind),
                        text: text(&d, f.text),
                        evidence_ref: text(&d, f.evidence_ref),
                    },
                    score,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passes_the_memory_checks_and_searches_bad_syntax_leniently() {
        let dir = tempfile::tempdir().unwrap();
        let memory = TantivyMemory::new(dir.path().join("memory"));
        crate::memory::conformance::check_memory(&memory).await;
        assert!(
            memory.search("t1", None, "\"unbalanced", 10).await.is_ok(),
            "bad syntax is searched leniently"
        );
    }
}
