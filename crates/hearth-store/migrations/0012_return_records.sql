-- Records of performance returns that lived in `settings` (issue 9, section 2) get tables of
-- their own. The settings rows are carried over, and removed, by the migration's Rust step
-- (`returns::carry_over_settings`), which parses their keys the same way on both databases.

-- An authority's local indicators, one row each, in the order defined.
-- service_types: a JSON list of service type codes (empty: every service).
CREATE TABLE local_indicators (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    unit TEXT NOT NULL,
    service_types TEXT NOT NULL,
    higher_is_better BIGINT NOT NULL,
    UNIQUE (authority_id, code)
);

-- One service's extended due date for a quarter (a second grant replaces the first).
CREATE TABLE return_extensions (
    id {pk},
    service_id BIGINT NOT NULL REFERENCES services(id),
    year_start BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    due_date TEXT NOT NULL,
    UNIQUE (service_id, year_start, quarter)
);

-- A reminder queued for a service's quarter (kind: before or after), so it is sent once.
CREATE TABLE return_reminders (
    id {pk},
    service_id BIGINT NOT NULL REFERENCES services(id),
    year_start BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    kind TEXT NOT NULL,
    sent_on TEXT NOT NULL,
    UNIQUE (service_id, year_start, quarter, kind)
);

-- The workbook versions issued for a service's year after V1, one row each.
CREATE TABLE workbook_versions (
    id {pk},
    service_id BIGINT NOT NULL REFERENCES services(id),
    year_start BIGINT NOT NULL,
    version BIGINT NOT NULL,
    from_quarter BIGINT NOT NULL,
    reason TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    UNIQUE (service_id, year_start, version)
);
