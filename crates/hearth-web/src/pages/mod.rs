//! HTML pages, by business area.

mod accounts;
mod admin;
mod contracting;
mod day_activities;
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
}
