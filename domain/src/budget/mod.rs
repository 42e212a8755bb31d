//! Budgets: cost classes, caps by scope and period, and the precedence that turns counter
//! values into a verdict. Reservation itself (atomic, all-or-nothing over every counter a
//! request touches) is the store's job; this module decides which counters and what they mean.

mod caps;
mod decision;

pub use caps::{BudgetCap, BudgetRequest, CostClass, CounterKey, Period, Scope};
pub use decision::{BudgetDecision, CapResult, decide};
