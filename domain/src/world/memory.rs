//! What semantic memory holds: the text records carry (notes, meeting titles, ticket subjects,
//! news headlines), cut into chunks small enough to rank, each citing the record version it
//! came from.

use serde::{Deserialize, Serialize};

use crate::records::Record;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    /// `{record type}:{record id}#{n}`: stable, so re-indexing a record replaces its chunks.
    pub chunk_id: String,
    pub account_id: String,
    /// `note`, `meeting`, `ticket` or `news`.
    pub kind: String,
    pub text: String,
    pub evidence_ref: String,
}

/// Chunks hold at most this many characters, cut at a sentence or word boundary.
pub const CHUNK_CHARS: usize = 600;

/// Splits text into chunks of at most `max` characters, preferring sentence ends, then spaces.
pub fn split_text(text: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if rest.chars().count() <= max {
            out.push(rest.to_string());
            break;
        }
        let limit = rest.char_indices().nth(max).map_or(rest.len(), |(i, _)| i);
        let window = &rest[..limit];
        // A sentence may end exactly at the limit: look one character further for its space.
        let reach = rest
            .char_indices()
            .nth(max + 1)
            .map_or(rest.len(), |(i, _)| i);
        let cut = rest[..reach]
            .rfind(". ")
            .map(|i| i + 1)
            .or_else(|| window.rfind(' '))
            .filter(|&i| i > 0)
            .unwrap_or(limit);
        out.push(rest[..cut].trim().to_string());
        rest = rest[cut..].trim_start();
    }
    out
}

/// The chunks of one record version (none for records without text).
pub fn chunks_of(record: &Record, evidence_ref: &str) -> Vec<Chunk> {
    let (kind, text) = match record {
        Record::Note(n) => ("note", n.text.clone()),
        Record::Meeting(m) => ("meeting", m.title.clone()),
        Record::Ticket(t) => ("ticket", t.subject.clone()),
        Record::News(n) => ("news", n.headline.clone()),
        _ => return Vec::new(),
    };
    split_text(&text, CHUNK_CHARS)
        .into_iter()
        .enumerate()
        .map(|(n, text)| Chunk {
            chunk_id: format!("{}:{}#{n}", record.record_type(), record.id()),
            account_id: record.account_id().to_string(),
            kind: kind.to_string(),
            text,
            evidence_ref: evidence_ref.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::parse_line;

    #[test]
    fn long_text_is_cut_at_sentence_ends_and_nothing_is_lost() {
        let text = "First sentence here. Second one is a little longer. Third.";
        let parts = split_text(text, 30);
        assert_eq!(
            parts,
            [
                "First sentence here.",
                "Second one is a little longer.",
                "Third."
            ]
        );
        let words = "alpha beta gamma delta epsilon";
        assert_eq!(
            split_text(words, 12),
            ["alpha beta", "gamma delta", "epsilon"]
        );
        assert_eq!(split_text("", 10), Vec::<String>::new());
    }

    #[test]
    fn notes_become_chunks_citing_their_version() {
        let note = parse_line(
            1,
            r#"{"type":"note","id":"n1","account_id":"acme","updated_at":"2026-11-01T00:00:00Z","at":"2026-11-01T00:00:00Z","text":"Rivalsoft pitched them a discount."}"#,
        )
        .unwrap();
        let chunks = chunks_of(&note, "rec:note:n1@abc");
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].chunk_id, "note:n1#0");
        assert_eq!(chunks[0].evidence_ref, "rec:note:n1@abc");
        let account = parse_line(
            1,
            r#"{"type":"account","id":"acme","updated_at":"2026-11-01T00:00:00Z","name":"Acme"}"#,
        )
        .unwrap();
        assert!(chunks_of(&account, "rec:account:acme@1").is_empty());
    }
}
