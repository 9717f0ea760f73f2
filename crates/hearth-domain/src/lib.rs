#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
//! Hearth's types and rules, with no I/O: identifiers as parsed newtypes,
//! money in pence, dates and financial years, the closed lists stored as
//! codes, password policy and the authority's default settings.
//!
//! Parse, don't validate: every constructor from user input returns a
//! [`FieldError`] with a stable code and a GOV.UK style message.

pub mod authority;
pub mod calendar;
pub mod clients;
pub mod clock;
pub mod dates;
pub mod day_activities;
pub mod directory;
pub mod enums;
pub mod ids;
pub mod paging;
pub mod password;
pub mod paths;
pub mod payments;
pub mod performance;
pub mod runs;
pub mod text;
pub mod throttle;
pub mod workflow;

pub use authority::{DEFAULT_ABSOLUTE_HOURS, DEFAULT_IDLE_MINUTES, DEFAULT_PASSWORD_POLICY};
pub use dates::{parse_date, parse_date_parts, parse_date_parts_for, FinancialYear};
pub use enums::{
    AccountHelpKind, AccountRequestClosure, Assignment, ClientGroup, ContractStatus,
    DocumentProgress, DocumentType, EndReason, PasswordPolicyKind, PositionType, RequestKind, Role,
    ServiceType, Term,
};
pub use ids::{
    AuthorityCode, FieldError, HousingBenefitNumber, NiNumber, Pence, PhoneNumber, Postcode, Uprn,
    Usrn,
};
pub use paging::MAX_SEARCH_CHARS;
pub use password::{
    check_password, is_common_password, password_expired, password_expires_on,
    LEGACY_PASSWORD_MAX_AGE_DAYS, MAX_PASSWORD_CHARS,
};
