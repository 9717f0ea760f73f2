-- Day activities (C7, issue 13): people's service lines at day services, the provider's
-- weeks of actuals and their sessions, the access points alerts go to by client group, and
-- the alerts the absence rules raised (each once).

-- Whether a day service opens on bank holidays (a planned session on one at a service that
-- does not is "service closed (bank holiday)" and not paid).
ALTER TABLE services ADD COLUMN opens_on_bank_holidays BIGINT NOT NULL DEFAULT 0;

-- A person's planned sessions at a day service, agreed by a social worker.
CREATE TABLE day_lines (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    -- The person's client group, which decides their access point.
    client_group TEXT NOT NULL,
    -- Days of the week, codes separated by commas: mon,wed.
    days TEXT NOT NULL,
    session_type TEXT NOT NULL,
    rate_pence BIGINT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    route TEXT NOT NULL,
    social_worker_name TEXT NOT NULL DEFAULT '',
    social_worker_team TEXT NOT NULL DEFAULT '',
    social_worker_email TEXT NOT NULL DEFAULT '',
    social_worker_phone TEXT NOT NULL DEFAULT '',
    created_by_name TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE INDEX day_lines_service ON day_lines(service_id, start_date);
CREATE INDEX day_lines_authority ON day_lines(authority_id, service_id);

-- A service's week (Monday to Sunday): open while the provider records it, then confirmed.
CREATE TABLE day_weeks (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    week_start TEXT NOT NULL,
    status TEXT NOT NULL,
    -- When it had to be confirmed by (UTC seconds).
    deadline_at BIGINT NOT NULL,
    confirmed_by_name TEXT,
    confirmed_at BIGINT,
    UNIQUE (service_id, week_start)
);
CREATE INDEX day_weeks_authority ON day_weeks(authority_id, week_start);

-- What happened at one planned session.
CREATE TABLE day_sessions (
    id {pk},
    line_id BIGINT NOT NULL REFERENCES day_lines(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    session_date TEXT NOT NULL,
    outcome TEXT NOT NULL,
    -- An absence's reason (day_activities::AbsenceReason), else ''.
    reason TEXT NOT NULL DEFAULT '',
    -- An absence notified less than 24 hours before the session.
    short_notice BIGINT NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    -- A planned absence: the first day the person is expected back.
    expected_back TEXT,
    -- The first day of an unplanned absence: who contacted the family, when, and what they
    -- said about the person's whereabouts and safety.
    family_contact TEXT NOT NULL DEFAULT '',
    -- The provider flagged an immediate concern.
    concern BIGINT NOT NULL DEFAULT 0,
    recorded_by_name TEXT NOT NULL DEFAULT '',
    recorded_at BIGINT NOT NULL,
    UNIQUE (line_id, session_date)
);
CREATE INDEX day_sessions_service ON day_sessions(service_id, session_date);

-- Where alerts go for a client group when the person has no allocated social worker.
CREATE TABLE access_points (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    client_group TEXT NOT NULL,
    name TEXT NOT NULL,
    -- E-mail addresses separated by commas: every one is told.
    emails TEXT NOT NULL,
    UNIQUE (authority_id, client_group)
);

-- An alert the absence rules raised, once for its key (kind, line and first day).
CREATE TABLE day_alerts (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    line_id BIGINT NOT NULL REFERENCES day_lines(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    client_id BIGINT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    alert_key TEXT NOT NULL,
    details TEXT NOT NULL,
    -- Who was told, separated by commas.
    told TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    acknowledged_by_name TEXT,
    acknowledged_at BIGINT,
    outcome TEXT NOT NULL DEFAULT '',
    UNIQUE (authority_id, alert_key)
);
CREATE INDEX day_alerts_open ON day_alerts(authority_id, acknowledged_at);

-- A reminder sent to a day service's provider for a week not confirmed, once per kind
-- ('first': the working day after the week; 'noon': noon of the deadline's day).
CREATE TABLE day_reminders (
    id {pk},
    service_id BIGINT NOT NULL REFERENCES services(id),
    week_start TEXT NOT NULL,
    kind TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    UNIQUE (service_id, week_start, kind)
);

-- A payment line of actual sessions names its service line (the week is its first date's).
ALTER TABLE payment_run_lines ADD COLUMN day_line_id BIGINT;
ALTER TABLE payment_lines ADD COLUMN day_line_id BIGINT;
