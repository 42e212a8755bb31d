//! What every revloop process (worker, API, CLI) sets up the same way, so that a deployment
//! configures them once: the Temporal connection (address, namespace, TLS or API key), logs and
//! OpenTelemetry traces, and stopping on SIGTERM.

pub mod shutdown;
pub mod store_args;
pub mod telemetry;
pub mod temporal;
