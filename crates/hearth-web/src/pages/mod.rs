//! HTML pages, by business area.

mod accounts;
mod admin;
mod contracting;
mod day_activities;
mod day_requests;
mod directory;
mod home;
mod host;
mod imports;
mod info;
mod payments;
mod records;
mod requests;
mod returns;
mod runs;

use crate::routes::RouteTable;

pub fn register(t: &mut RouteTable) {
    accounts::register(t);
    contracting::register(t);
    directory::register(t);
    home::register(t);
    host::register(t);
    info::register(t);
    requests::register(t);
    records::register(t);
    returns::register(t);
    runs::register(t);
    admin::register(t);
    imports::register(t);
    payments::register(t);
    day_activities::register(t);
    day_requests::register(t);
}

/// A submitted form read as its name and value pairs, where a checkbox group repeats its
/// name: what the pages that take such forms read their fields with.
pub(crate) struct Pairs<'a>(pub &'a [(String, String)]);

impl Pairs<'_> {
    /// The first value of a field, trimmed; empty when it was not sent.
    pub(crate) fn one(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    }

    /// Every non-empty value of a repeated field, trimmed and joined with commas.
    pub(crate) fn many(&self, name: &str) -> String {
        self.0
            .iter()
            .filter(|(n, v)| n == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_string())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Whether a checkbox was sent at all.
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n == name)
    }
}
