-- Hearth core schema. Portable SQL for SQLite and PostgreSQL.
-- {pk} becomes the dialect's auto-increment primary key.
-- Timestamps are BIGINT seconds since the Unix epoch (UTC); dates are TEXT 'YYYY-MM-DD';
-- flags are BIGINT 0/1; money is BIGINT pence.

CREATE TABLE authorities (
    id {pk},
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    password_policy TEXT NOT NULL DEFAULT 'uk',
    provider_totp_required BIGINT NOT NULL DEFAULT 1,
    idle_minutes BIGINT NOT NULL DEFAULT 20,
    created_at BIGINT NOT NULL
);

CREATE TABLE providers (
    id {pk},
    name TEXT NOT NULL,
    reference TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    limited_access BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Which authorities a provider is registered with (it may hold contracts with several).
CREATE TABLE provider_authorities (
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    PRIMARY KEY (provider_id, authority_id)
);
CREATE INDEX provider_authorities_authority ON provider_authorities(authority_id);

CREATE TABLE contacts (
    id {pk},
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    title TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    position_type TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX contacts_provider ON contacts(provider_id);

CREATE TABLE services (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    reference TEXT NOT NULL,
    name TEXT NOT NULL,
    public_name TEXT NOT NULL DEFAULT '',
    service_type TEXT NOT NULL,
    term TEXT NOT NULL,
    client_group TEXT NOT NULL,
    contracted_units BIGINT NOT NULL,
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    available_places BIGINT,
    available_places_updated_at BIGINT,
    languages TEXT NOT NULL DEFAULT '',
    religions TEXT NOT NULL DEFAULT '',
    tenure TEXT NOT NULL DEFAULT '',
    rural_urban TEXT NOT NULL DEFAULT '',
    emergency_referrals BIGINT NOT NULL DEFAULT 0,
    interpreter BIGINT NOT NULL DEFAULT 0,
    impairment_support BIGINT NOT NULL DEFAULT 0,
    waiting_list BIGINT NOT NULL DEFAULT 0,
    support_tasks TEXT NOT NULL DEFAULT '',
    referral_routes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (authority_id, reference)
);
CREATE INDEX services_provider ON services(provider_id);

CREATE TABLE properties (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    service_id BIGINT REFERENCES services(id),
    address_line1 TEXT NOT NULL,
    address_line2 TEXT NOT NULL DEFAULT '',
    town TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL,
    uprn TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX properties_service ON properties(service_id);
CREATE INDEX properties_provider ON properties(provider_id);

CREATE TABLE contracts (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    units BIGINT NOT NULL,
    unit_rate_pence BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (authority_id, reference)
);
CREATE INDEX contracts_provider ON contracts(provider_id);

CREATE TABLE contract_services (
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    PRIMARY KEY (contract_id, service_id)
);
CREATE INDEX contract_services_service ON contract_services(service_id);

-- What a contact is responsible for: the organisation, a contract or a service.
CREATE TABLE contact_assignments (
    id {pk},
    contact_id BIGINT NOT NULL REFERENCES contacts(id),
    assignment TEXT NOT NULL,
    service_id BIGINT REFERENCES services(id),
    contract_id BIGINT REFERENCES contracts(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX contact_assignments_contact ON contact_assignments(contact_id);

CREATE TABLE clients (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    title TEXT NOT NULL DEFAULT '',
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    date_of_birth TEXT,
    ethnicity TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    uprn TEXT,
    ni_number TEXT,
    hb_number TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX clients_ni ON clients(ni_number);

CREATE TABLE client_schedules (
    id {pk},
    client_id BIGINT NOT NULL REFERENCES clients(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    level TEXT NOT NULL DEFAULT '',
    units_per_week BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    end_reason TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX client_schedules_service ON client_schedules(service_id, end_date);
CREATE INDEX client_schedules_client ON client_schedules(client_id);

CREATE TABLE users (
    id {pk},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    authority_id BIGINT REFERENCES authorities(id),
    contact_id BIGINT REFERENCES contacts(id),
    totp_secret TEXT,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    password_changed_at BIGINT NOT NULL,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    stage TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    authority_id BIGINT,
    pending_totp_secret TEXT,
    return_to TEXT,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE account_requests (
    id {pk},
    authority_id BIGINT REFERENCES authorities(id),
    kind TEXT NOT NULL,
    username TEXT NOT NULL DEFAULT '',
    full_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    organisation TEXT NOT NULL DEFAULT '',
    message TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open',
    handled_by BIGINT REFERENCES users(id),
    handled_at BIGINT,
    created_at BIGINT NOT NULL
);

-- Append-only audit trail, chained by a keyed hash.
CREATE TABLE audit_log (
    id {pk},
    at BIGINT NOT NULL,
    actor_id BIGINT,
    actor TEXT NOT NULL,
    authority_id BIGINT,
    action TEXT NOT NULL,
    record_type TEXT NOT NULL,
    record_id TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_record ON audit_log(record_type, record_id);

-- One row: the head of the audit chain. Every write transaction updates it first,
-- which orders writers on both databases and keeps the chain linear.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    last_id BIGINT NOT NULL,
    last_hash TEXT NOT NULL
);
INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, 0, '');

CREATE TABLE outbox (
    id {pk},
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT
);

CREATE TABLE job_locks (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL DEFAULT '',
    locked_until BIGINT NOT NULL DEFAULT 0,
    last_run_at BIGINT NOT NULL DEFAULT 0,
    runs BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
