-- Quarterly performance returns (C4) and the triggers the commissioning team sets.
CREATE TABLE performance_returns (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    year_start BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    status TEXT NOT NULL,
    source TEXT NOT NULL,
    figures_json TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    explanation TEXT NOT NULL DEFAULT '',
    replaces_id BIGINT,
    submitted_by_name TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    check_due TEXT NOT NULL,
    checked_by_name TEXT,
    checked_at BIGINT,
    check_remarks TEXT NOT NULL DEFAULT ''
);
CREATE INDEX performance_returns_service ON performance_returns(service_id, year_start, quarter);
CREATE INDEX performance_returns_queue ON performance_returns(authority_id, status, submitted_at);

CREATE TABLE performance_triggers (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    year_start BIGINT NOT NULL,
    indicator TEXT NOT NULL,
    service_type TEXT,
    kind TEXT NOT NULL,
    value DOUBLE PRECISION NOT NULL
);
CREATE INDEX performance_triggers_year ON performance_triggers(authority_id, year_start);
