-- Day activities requests (C7, issue 13): what a provider asks the team for, since planned
-- delivery and confirmed weeks change only by the team's authorisation. A change of need
-- (to the social worker or access point), a session that was not planned, a change to a
-- confirmed week, or a service line agreed by a social worker and missing from the portal
-- for four weeks or more (to the support options team, with its correspondence).
CREATE TABLE day_requests (
    id {pk},
    authority_id BIGINT NOT NULL REFERENCES authorities(id),
    service_id BIGINT NOT NULL REFERENCES services(id),
    kind TEXT NOT NULL,
    -- The person's service line (every kind but a missing line).
    line_id BIGINT REFERENCES day_lines(id),
    -- A session not planned, or the confirmed session to change.
    session_date TEXT,
    -- A change to a confirmed session: what happened and, for an absence, why.
    outcome TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    -- Why the provider asks (a change of need's reason, what happened).
    details TEXT NOT NULL,
    -- A missing service line as the social worker agreed it.
    person_name TEXT NOT NULL DEFAULT '',
    days TEXT NOT NULL DEFAULT '',
    session_type TEXT NOT NULL DEFAULT '',
    agreed_start TEXT,
    social_worker_name TEXT NOT NULL DEFAULT '',
    social_worker_email TEXT NOT NULL DEFAULT '',
    -- The correspondence with the social worker (a missing line), kept in the database so
    -- every node reads it.
    filename TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT '',
    content {blob},
    size_bytes BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    -- Who was e-mailed when it was raised, separated by commas.
    told TEXT NOT NULL DEFAULT '',
    raised_by_name TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    referred_to TEXT NOT NULL DEFAULT '',
    referred_by_name TEXT,
    referred_at BIGINT,
    decided_by_name TEXT,
    decided_at BIGINT,
    -- The team's note: whose authorisation, or why it was declined.
    decision_note TEXT NOT NULL DEFAULT '',
    -- What the authorisation changed, in words.
    decision_change TEXT NOT NULL DEFAULT ''
);
CREATE INDEX day_requests_authority ON day_requests(authority_id, status, raised_at);
CREATE INDEX day_requests_service ON day_requests(service_id, raised_at);

-- The nightly evaluation reads the alerts already raised for a service's lines.
CREATE INDEX day_alerts_line ON day_alerts(line_id);
