-- Rate limits and throttles (security review 4): one counter per bucket ("signin:addr:…",
-- "signin:user-addr:…", "help:addr:…", "public:addr:…"), so every node sees the same counts.
CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits(window_start);

-- API tokens expire (90 days by default, chosen when made); tokens made before this have
-- 90 days from now.
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
