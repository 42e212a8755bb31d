//! End-to-end tests: each starts its own Temporal dev server, worker and API processes on free
//! loopback ports with a fresh store, and drives revloop through its public surfaces (gRPC, the
//! `revloop` and `temporal` CLIs), checking the store and Temporal histories underneath.

mod converse_server;
mod helpers;
mod mailpit;
mod otlp_receiver;
mod salesforce_org;
mod titan_server;

mod account_continue_as_new;
mod approval_page;
mod approval_revalidation;
mod approval_timers;
mod approval_via_temporal_cli;
mod approvers;
mod aws_backend;
mod bad_input;
mod batch_size;
mod bedrock;
mod clarifications;
mod crm_writeback;
mod decision_replay;
mod durability;
mod email_actions;
mod email_notices;
mod escalations;
mod file_drop;
mod full_loop;
mod generated_tenant;
mod governance;
mod graceful_shutdown;
mod ingest_any_size;
mod ledger_digests;
mod ledger_tampering;
mod mcp;
mod meeting_timer;
mod metrics;
mod next_actions;
mod plans;
mod pull_schedule;
mod push_connector;
mod salesforce_pull;
mod security;
mod security_webhooks;
mod tenant_isolation;
mod traces;
mod world;
