-- Job runs (issue 9, section 4): long work kept in the database, so every node sees it, a
-- run whose node died is taken over from its checkpoint, and people can follow its progress.
-- status: queued, running, done, failed, cancelled (hearth_domain::runs::RunStatus).
-- parameters, checkpoint and result are JSON text. A running run is held by lease_owner (a
-- node) until lease_until; the holder moves lease_until on with each heartbeat.
CREATE TABLE job_runs (
    id {pk},
    kind TEXT NOT NULL,
    parameters TEXT NOT NULL,
    authority_id BIGINT REFERENCES authorities(id),
    requested_by_id BIGINT,
    requested_by TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL DEFAULT 3,
    -- 1 when its changes are audited (a run someone asked for); 0 for the scheduler's periodic
    -- runs, whose bookkeeping is not (they are pruned a day after they finish).
    audited BIGINT NOT NULL DEFAULT 1,
    progress_done BIGINT NOT NULL DEFAULT 0,
    progress_total BIGINT,
    step TEXT,
    checkpoint TEXT,
    result TEXT,
    error TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    heartbeat_at BIGINT,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX job_runs_status_kind ON job_runs(status, kind);
CREATE INDEX job_runs_authority ON job_runs(authority_id, id);
