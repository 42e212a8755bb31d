//! Per-tenant detector thresholds (DESIGN §6.2 defaults).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignalConfig {
    pub competitors: Vec<String>,
    pub renewal_window_days: i64,
    pub sev2_aging_days: i64,
    pub usage_drop_pct: f64,
    pub usage_spike_pct: f64,
    pub no_meeting_days: i64,
    pub champion_drop_pct: f64,
    pub meeting_upcoming_hours: i64,
}

impl Default for SignalConfig {
    fn default() -> Self {
        Self {
            competitors: Vec::new(),
            renewal_window_days: 90,
            sev2_aging_days: 5,
            usage_drop_pct: 30.0,
            usage_spike_pct: 150.0,
            no_meeting_days: 21,
            champion_drop_pct: 50.0,
            meeting_upcoming_hours: 48,
        }
    }
}
