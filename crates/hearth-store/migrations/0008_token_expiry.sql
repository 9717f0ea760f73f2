-- Review finding: tokens made before tokens expired were given 90 days from when they were
-- made, so a token older than 90 days stopped at once on upgrade, and the rest ran out on a
-- date nobody was told. They now run for 90 days from the upgrade that introduced expiry.
UPDATE api_tokens
   SET expires_at = (SELECT applied_at FROM schema_migrations WHERE version = 7) + 7776000
 WHERE expires_at IS NULL;
