-- Payments (C6, issue 12): how each contract is paid, rates with effective dates, clients'
-- housing benefit statuses and fairer charging assessments, holds, the payment timetable,
-- payment runs with their previewed lines, and the committed lines (never changed after
-- their run's commit, sealed as one audited batch per run).
ALTER TABLE contracts ADD COLUMN payment_basis TEXT NOT NULL DEFAULT 'per_client';

-- A contract's weekly unit rate from a date, until the next row's date. A contract with no
-- rows is paid at its own unit rate from its start.
CREATE TABLE contract_rates (
    id {pk},
    contract_id BIGINT NOT NULL REFERENCES contracts(id),
    from_date TEXT NOT NULL,
    weekly_unit_rate_pence BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_by_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (contract_id, from_date)
);

-- A client's housing benefit status from a date.
CREATE TABLE client_benefits (
    id {pk},
    client_id BIGINT NOT NULL REFERENCES clients(id),
    from_date TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, from_date)
);

-- A fairer charging assessment from a date: nil, a weekly amount, or full cost.
CREATE TABLE client_charges (
    id {pk},
    client_id BIGINT NOT NULL REFERENCES clients(id),
    from_date TEXT NOT NULL,
    kind TEXT NOT NULL,
    weekly_charge_pence BIGINT NOT NULL DEFAULT 0,
    created_by_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    UNIQUE (client_id, from_date)
);

-- A hold on a provider's payments (service_id NULL) or one service's.
CREATE TABLE payment_holds (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    service_id BIGINT REFERENCES services(id),
    reason TEXT NOT NULL,
    placed_by_name TEXT NOT NULL,
    placed_at BIGINT NOT NULL,
    lifted_by_name TEXT,
    lifted_at BIGINT
);
CREATE INDEX payment_holds_authority ON payment_holds(authority_id, lifted_at);

-- The run and pay dates an authority set for a period (otherwise the defaults).
CREATE TABLE payment_timetable (
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    period_start TEXT NOT NULL,
    run_date TEXT NOT NULL,
    pay_date TEXT NOT NULL,
    PRIMARY KEY (authority_id, period_start)
);

CREATE TABLE payment_runs (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    period_start TEXT NOT NULL,
    period_name TEXT NOT NULL,
    status TEXT NOT NULL,
    job_run_id BIGINT,
    prepared_by BIGINT,
    prepared_by_name TEXT NOT NULL,
    prepared_at BIGINT NOT NULL,
    approved_by BIGINT,
    approved_by_name TEXT,
    approved_at BIGINT,
    committed_by_name TEXT,
    committed_at BIGINT,
    -- The digest of every line as prepared: approval and commit work the lines out again
    -- and refuse (stale) when the digest differs.
    digest TEXT NOT NULL DEFAULT '',
    lines_count BIGINT NOT NULL DEFAULT 0,
    payable_pence BIGINT NOT NULL DEFAULT 0,
    held_pence BIGINT NOT NULL DEFAULT 0,
    exceptions_count BIGINT NOT NULL DEFAULT 0,
    pay_date TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_runs_authority ON payment_runs(authority_id, period_start);
-- At most one committed run per authority and period.
CREATE UNIQUE INDEX payment_runs_committed ON payment_runs(authority_id, period_start)
    WHERE status = 'committed';

-- A run's lines as prepared (the preview): payable, held, or an exception.
CREATE TABLE payment_run_lines (
    id {pk},
    run_id BIGINT NOT NULL REFERENCES payment_runs(id),
    provider_id BIGINT NOT NULL,
    service_id BIGINT,
    contract_id BIGINT,
    schedule_id BIGINT,
    client_id BIGINT,
    period_start TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_date TEXT NOT NULL,
    last_date TEXT NOT NULL,
    days BIGINT NOT NULL,
    units BIGINT NOT NULL,
    rate_pence BIGINT NOT NULL,
    due_pence BIGINT NOT NULL,
    charge_pence BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    -- '' payable; 'held' (a hold's reason in reason); or an exception's code.
    state TEXT NOT NULL DEFAULT ''
);
CREATE INDEX payment_run_lines_run ON payment_run_lines(run_id, provider_id);

-- What was paid: a committed run's payable lines, never changed, each sealed, with one
-- audit entry per run.
CREATE TABLE payment_lines (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    run_id BIGINT NOT NULL REFERENCES payment_runs(id),
    provider_id BIGINT NOT NULL,
    service_id BIGINT,
    contract_id BIGINT,
    schedule_id BIGINT,
    client_id BIGINT,
    period_start TEXT NOT NULL,
    kind TEXT NOT NULL,
    first_date TEXT NOT NULL,
    last_date TEXT NOT NULL,
    days BIGINT NOT NULL,
    units BIGINT NOT NULL,
    rate_pence BIGINT NOT NULL,
    due_pence BIGINT NOT NULL,
    charge_pence BIGINT NOT NULL,
    amount_pence BIGINT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    audit_mac TEXT NOT NULL
);
CREATE INDEX payment_lines_run ON payment_lines(run_id, provider_id);
CREATE INDEX payment_lines_schedule ON payment_lines(schedule_id, period_start);
CREATE INDEX payment_lines_authority ON payment_lines(authority_id, period_start);
