-- Tokens for providers' own systems to use the JSON API as a user (stored only as a hash).
CREATE TABLE api_tokens (
    id {pk},
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    authority_id BIGINT REFERENCES authorities(id),
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
