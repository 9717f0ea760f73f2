//! Performance returns (C4, F4.1 and F4.2): quarters of the financial year,
//! the indicators and their formulas, what a provider enters each quarter,
//! and the triggers the SP team sets each year.
//!
//! Sources: the contract management procedures, Part 3.2 "Performance
//! Indicators" (`001_…`, cited as "procedures 3.2"), and the provider portal
//! briefing, section 6 "Submitting Quarterly Performance Returns" (`000_…`,
//! cited as "portal 6"). Where they are silent the national Supporting
//! People indicator definitions they refer to ("these workbooks mirror those
//! used nationally and were developed by CLG", portal 6) decide, and each
//! such choice is written down beside the code.
//!
//! Every formula lives in [`compute`], one arm per indicator. Percentages are
//! rounded half up to one decimal place with integer arithmetic, so the
//! figure compared with a trigger is exactly the figure people see.

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::dates::FinancialYear;
use crate::enums::{EndReason, ServiceType, Term};
use crate::ids::FieldError;

mod choices;
mod figures;
mod formulas;
mod indicators;
mod quarters;
mod triggers;
mod units;

pub use choices::*;
pub use figures::*;
pub use formulas::*;
pub use indicators::*;
pub use quarters::*;
pub use triggers::*;
pub use units::*;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
