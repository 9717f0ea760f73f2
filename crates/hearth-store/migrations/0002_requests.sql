-- Provider submissions that change nothing until the commissioning team approves them (F3.4).
CREATE TABLE requests (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    service_id BIGINT REFERENCES services(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    summary TEXT NOT NULL,
    -- What the request would set, and the values it was made against (for conflict checks).
    payload_json TEXT NOT NULL,
    base_json TEXT,
    comment TEXT NOT NULL DEFAULT '',
    remarks TEXT NOT NULL DEFAULT '',
    submitted_by BIGINT REFERENCES users(id),
    submitted_by_name TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_by_name TEXT,
    decided_at BIGINT,
    result_record TEXT
);
CREATE INDEX requests_queue ON requests(authority_id, status, submitted_at);
CREATE INDEX requests_provider ON requests(provider_id, submitted_at);
CREATE INDEX requests_service ON requests(service_id, status);

-- Fields of the source's schedule form not yet held.
ALTER TABLE clients ADD COLUMN address2 TEXT NOT NULL DEFAULT '';
ALTER TABLE clients ADD COLUMN town TEXT NOT NULL DEFAULT '';
ALTER TABLE client_schedules ADD COLUMN tenancy_reference TEXT NOT NULL DEFAULT '';
ALTER TABLE client_schedules ADD COLUMN property_id BIGINT REFERENCES properties(id);
