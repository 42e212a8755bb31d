//! The ten canonical record types and their enumerations (DESIGN §6.1).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::AccountId;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
    /// Annual recurring revenue in whole currency units.
    #[serde(default)]
    pub arr: Option<i64>,
    #[serde(default)]
    pub industry: Option<String>,
    #[serde(default)]
    pub territory: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactRole {
    Champion,
    EconomicBuyer,
    DecisionMaker,
    User,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    pub role: ContactRole,
    #[serde(default)]
    pub is_primary: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpportunityStage {
    Prospecting,
    Discovery,
    Proposal,
    Negotiation,
    ClosedWon,
    ClosedLost,
}

impl OpportunityStage {
    pub fn is_open(self) -> bool {
        !matches!(self, Self::ClosedWon | Self::ClosedLost)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Opportunity {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub name: String,
    pub stage: OpportunityStage,
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub close_date: Option<NaiveDate>,
    #[serde(default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contract {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    #[serde(default)]
    pub arr: Option<i64>,
    #[serde(default)]
    pub auto_renew: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    Open,
    Pending,
    Solved,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub subject: String,
    /// 1 is the most severe, 4 the least.
    pub severity: u8,
    pub status: TicketStatus,
    pub opened_at: DateTime<Utc>,
    #[serde(default)]
    pub escalated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub date: NaiveDate,
    pub metric: String,
    pub value: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingStatus {
    Scheduled,
    Held,
    Cancelled,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    pub status: MeetingStatus,
    #[serde(default)]
    pub attendee_ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActivityKind {
    Email,
    Call,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub kind: ActivityKind,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub contact_id: Option<String>,
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NewsKind {
    Funding,
    Partnership,
    ExecutiveChange,
    Acquisition,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct News {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub kind: NewsKind,
    pub published_at: DateTime<Utc>,
    pub headline: String,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub account_id: AccountId,
    pub updated_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub author: Option<String>,
    pub text: String,
}
