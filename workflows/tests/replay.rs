//! Replays the recorded histories in `tests/histories/` against the current workflow code.
//! A failure means a change would break running workflows: guard it with `ctx.patched(..)`.
//! Record new histories with `REVLOOP_RECORD_HISTORIES=$PWD/workflows/tests/histories` while
//! running the end-to-end test `full_loop`.

use temporalio_client::WorkflowHistory;

#[tokio::test]
async fn recorded_histories_replay_deterministically() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/histories");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/histories exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let kinds: Vec<String> = files
        .iter()
        .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().to_string()))
        .collect();
    for kind in [
        "perception",
        "account",
        "decision",
        "approval",
        "action",
        "clarification",
        "undo",
        "plan",
        "decision-agent",
        "ledger-digest",
    ] {
        assert!(
            kinds.iter().any(|k| k.starts_with(kind)),
            "a recorded {kind} history is missing: {kinds:?}"
        );
    }
    let replayer = revloop_workflows::replay::replayer().expect("replayer");
    for file in &files {
        let history = WorkflowHistory::from_json(&std::fs::read(file).expect("readable history"))
            .expect("a history in the SDK's JSON layout");
        replayer
            .replay_workflow(history)
            .await
            .unwrap_or_else(|e| panic!("{} no longer replays: {e}", file.display()));
    }
}
