use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use revloop_cli::client::ApiClient;
use revloop_proto::v1 as pb;

use super::{ApiError, EXIT_INVALID, print_json};

/// The most one request carries: far below gRPC's 4 MiB message limit, so a file of any size
/// goes as a run of requests under one trace.
pub const CHUNK_BYTES: usize = 1 << 20;

/// The lines of a JSONL file in chunks of at most [`CHUNK_BYTES`] (a longer line goes alone),
/// each with the file's line number of its first line.
pub struct Chunks<R> {
    reader: R,
    next_line: usize,
    carry: Option<String>,
}

impl<R: std::io::BufRead> Chunks<R> {
    pub fn new(reader: R) -> Self {
        Self {
            reader,
            next_line: 1,
            carry: None,
        }
    }
}

impl<R: std::io::BufRead> Iterator for Chunks<R> {
    /// (first line, text, bytes read from the file)
    type Item = std::io::Result<(usize, String, usize)>;

    fn next(&mut self) -> Option<Self::Item> {
        let first_line = self.next_line;
        let (mut text, mut read) = (String::new(), 0);
        if let Some(line) = self.carry.take() {
            read += line.len();
            text.push_str(&line);
            self.next_line += 1;
        }
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Err(e) => return Some(Err(e)),
                Ok(0) => break,
                Ok(_) => {}
            }
            if !line.ends_with('\n') {
                line.push('\n');
            }
            if !text.is_empty() && text.len() + line.len() > CHUNK_BYTES {
                self.carry = Some(line);
                break;
            }
            read += line.len();
            text.push_str(&line);
            self.next_line += 1;
        }
        (!text.is_empty()).then_some(Ok((first_line, text, read)))
    }
}

pub async fn run(
    mut client: ApiClient,
    file: &Path,
    tenant: &str,
    source: Option<&str>,
    json: bool,
) -> anyhow::Result<i32> {
    let source = source.map_or_else(|| file.display().to_string(), str::to_string);
    let opened =
        std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let size = opened.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(indicatif::ProgressStyle::with_template(
            "{bar:40} {bytes}/{total_bytes} {msg} {elapsed}",
        )?);
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut total = pb::IngestRecordsResponse::default();
    let mut workflow_ids = Vec::new();
    let mut evidence_ids = Vec::new();
    // Per chunk with bad lines: its batch, how many, and the file line it starts at.
    let mut quarantined: Vec<(String, u32, usize)> = Vec::new();
    for chunk in Chunks::new(std::io::BufReader::new(opened)) {
        let (first_line, jsonl, read) =
            chunk.with_context(|| format!("reading {}", file.display()))?;
        let request = pb::IngestRecordsRequest {
            tenant_id: tenant.to_string(),
            jsonl,
            source: source.clone(),
            trace_id: total.trace_id.clone(),
            first_line: first_line as u32,
        };
        let response = client
            .ingest
            .ingest_records(request)
            .await
            .map_err(ApiError::from)
            .with_context(|| format!("{}: the chunk from line {first_line}", file.display()))?
            .into_inner();
        if total.trace_id.is_empty() {
            total.trace_id = response.trace_id.clone();
            total.workflow_id = response.workflow_id.clone();
            total.evidence_id = response.evidence_id.clone();
        }
        if !response.workflow_id.is_empty() {
            workflow_ids.push(response.workflow_id.clone());
        }
        evidence_ids.push(response.evidence_id.clone());
        if response.rejected > 0 {
            quarantined.push((response.evidence_id.clone(), response.rejected, first_line));
        }
        total.accepted += response.accepted;
        total.rejected += response.rejected;
        let room = REPORTED_LINES.saturating_sub(total.rejected_lines.len());
        total
            .rejected_lines
            .extend(response.rejected_lines.into_iter().take(room));
        bar.inc(read as u64);
        bar.set_message(format!(
            "{} accepted, {} rejected",
            total.accepted, total.rejected
        ));
    }
    bar.finish_and_clear();
    if total.trace_id.is_empty() {
        anyhow::bail!("{}: the file holds no records", file.display());
    }
    if json {
        print_json(&serde_json::json!({
            "trace_id": total.trace_id,
            "workflow_id": total.workflow_id,
            "workflow_ids": workflow_ids,
            "evidence_id": total.evidence_id,
            "evidence_ids": evidence_ids,
            "accepted": total.accepted,
            "rejected": total.rejected,
            "rejected_lines": total.rejected_lines,
        }))?;
    } else {
        report(&total, &workflow_ids, &evidence_ids, &quarantined);
    }
    Ok(if total.rejected > 0 { EXIT_INVALID } else { 0 })
}

/// How many bad lines the answer shows; `revloop quarantine` lists the rest.
const REPORTED_LINES: usize = 100;

/// What was accepted, then every reported bad line with its line number and field, and how to
/// list the ones the answer left out.
fn report(
    response: &pb::IngestRecordsResponse,
    workflow_ids: &[String],
    evidence_ids: &[String],
    quarantined: &[(String, u32, usize)],
) {
    match workflow_ids {
        [one] => println!(
            "accepted {} record(s); perception {one} (trace {})",
            response.accepted, response.trace_id
        ),
        _ => println!(
            "accepted {} record(s) in {} chunk(s); perception {} … (trace {})",
            response.accepted,
            evidence_ids.len(),
            workflow_ids.first().map(String::as_str).unwrap_or("none"),
            response.trace_id
        ),
    }
    if response.rejected == 0 {
        return;
    }
    eprintln!(
        "{} line(s) rejected, {} accepted and processed; the rejected lines are kept in quarantine:",
        response.rejected, response.accepted
    );
    for line in &response.rejected_lines {
        match line.field.as_str() {
            "" => eprintln!("  line {}: {}", line.line, line.message),
            field => eprintln!("  line {}: {field}: {}", line.line, line.message),
        }
    }
    let more = response.rejected as usize - response.rejected_lines.len();
    match quarantined {
        _ if more == 0 => {}
        [(evidence_id, _, _)] => {
            eprintln!("  … and {more} more: revloop quarantine {evidence_id}")
        }
        // Each chunk is its own batch, and keeps its own bad lines.
        chunks => {
            eprintln!("  … and {more} more, kept by chunk:");
            for (evidence_id, count, first_line) in chunks {
                eprintln!(
                    "    revloop quarantine {evidence_id}   ({count} line(s), the chunk from line {first_line})"
                );
            }
        }
    }
}

/// Every quarantined line of one batch, a page at a time.
pub async fn quarantine(
    mut client: ApiClient,
    evidence_id: &str,
    json: bool,
) -> anyhow::Result<i32> {
    let mut token = String::new();
    loop {
        let page = client
            .ingest
            .list_quarantined(pb::ListQuarantinedRequest {
                tenant_id: String::new(),
                evidence_id: evidence_id.to_string(),
                page_size: 1000,
                page_token: token.clone(),
            })
            .await
            .map_err(ApiError::from)?
            .into_inner();
        for line in &page.lines {
            if json {
                println!("{}", serde_json::to_string(line)?);
            } else if line.field.is_empty() {
                println!("line {}: {}", line.line, line.message);
            } else {
                println!("line {}: {}: {}", line.line, line.field, line.message);
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(0);
        }
        token = page.next_page_token;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunks(text: &str) -> Vec<(usize, String, usize)> {
        Chunks::new(std::io::Cursor::new(text.as_bytes().to_vec()))
            .map(|c| c.unwrap())
            .collect()
    }

    #[test]
    fn chunks_stay_under_the_limit_and_keep_the_files_line_numbers() {
        let line = format!("{{\"pad\":\"{}\"}}\n", "x".repeat(1000));
        let text = line.repeat(3000);
        let parts = chunks(&text);
        assert!(parts.len() >= 3, "{} chunks", parts.len());
        let mut next = 1;
        for (first, part, read) in &parts {
            assert!(part.len() <= CHUNK_BYTES, "{}", part.len());
            assert_eq!(*first, next, "numbered as in the file");
            assert_eq!(*read, part.len());
            next += part.lines().count();
        }
        assert_eq!(next, 3001);
        let joined: String = parts.iter().map(|(_, p, _)| p.as_str()).collect();
        assert_eq!(joined, text, "nothing lost or repeated");
    }

    #[test]
    fn a_line_longer_than_a_chunk_goes_alone_and_a_last_line_without_newline_counts() {
        let long = "y".repeat(CHUNK_BYTES + 10);
        let text = format!("a\n{long}\nb");
        let parts = chunks(&text);
        let firsts: Vec<usize> = parts.iter().map(|p| p.0).collect();
        assert_eq!(firsts, [1, 2, 3]);
        assert_eq!(parts[1].1.len(), long.len() + 1);
        assert_eq!(parts[2].1, "b\n");
        assert!(chunks("").is_empty());
    }
}
