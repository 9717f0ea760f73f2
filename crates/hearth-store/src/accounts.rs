//! Users, sessions and account requests.

use sqlx::Row;

use crate::write::{audited, Changes};
use crate::{record, Db, StoreError, WriteTx};

record!(
    /// A person who signs in.
    User {
        id: i64,
        username: String,
        display_name: String,
        email: String,
        password_hash: crate::Secret,
        role: String,
        authority_id: Option<i64>,
        contact_id: Option<i64>,
        totp_secret: Option<crate::Secret>,
        totp_last_step: i64,
        must_change_password: i64,
        password_changed_at: i64,
        failed_logins: i64,
        locked_until: Option<i64>,
        disabled: i64,
        created_at: i64,
        updated_at: i64,
    }
);

impl User {
    /// The user as recorded in the audit trail: never the password hash or TOTP secret.
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id, "username": self.username, "display_name": self.display_name,
            "email": self.email, "role": self.role, "authority_id": self.authority_id,
            "contact_id": self.contact_id, "totp_enrolled": self.totp_secret.is_some(),
            "must_change_password": self.must_change_password != 0,
            "failed_logins": self.failed_logins, "locked_until": self.locked_until,
            "disabled": self.disabled != 0,
        })
    }
}

/// Fields of a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password_hash: String,
    pub role: String,
    pub authority_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub totp_secret: Option<String>,
    pub must_change_password: bool,
}

record!(
    /// A signed-in (or half signed-in) browser session; the id is stored only as a hash.
    Session {
        id_hash: String,
        user_id: i64,
        stage: String,
        csrf_token: String,
        authority_id: Option<i64>,
        pending_totp_secret: Option<crate::Secret>,
        return_to: Option<String>,
        created_at: i64,
        last_seen_at: i64,
        expires_at: i64,
    }
);

record!(
    /// A forgotten-password or login request from the login pages.
    AccountRequest {
        id: i64,
        authority_id: Option<i64>,
        kind: String,
        username: String,
        full_name: String,
        email: String,
        organisation: String,
        message: String,
        status: String,
        handled_by: Option<i64>,
        handled_at: Option<i64>,
        created_at: i64,
    }
);

impl Db {
    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE LOWER(username) = LOWER($1)")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    pub async fn list_users(&self, authority_id: Option<i64>) -> Result<Vec<User>, StoreError> {
        let rows = match authority_id {
            Some(a) => sqlx::query("SELECT u.* FROM users u LEFT JOIN contacts c ON c.id = u.contact_id WHERE u.authority_id = $1 OR c.provider_id IN (SELECT provider_id FROM provider_authorities WHERE authority_id = $1) ORDER BY u.username")
                .bind(a)
                .fetch_all(&self.pool)
                .await?,
            None => sqlx::query("SELECT * FROM users ORDER BY username").fetch_all(&self.pool).await?,
        };
        User::from_rows(&rows)
    }

    pub async fn reset_login_failures(&self, user_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET failed_logins = 0 WHERE id = $1 AND failed_logins <> 0")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Accepts a TOTP time step once: true only if `step` is newer than the last one used.
    pub async fn consume_totp_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE users SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2",
        )
        .bind(user_id)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    // ---- sessions ----

    pub async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, stage, csrf_token, authority_id, pending_totp_secret, return_to, created_at, last_seen_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(s.id_hash.clone())
        .bind(s.user_id)
        .bind(s.stage.clone())
        .bind(s.csrf_token.clone())
        .bind(s.authority_id)
        .bind(s.pending_totp_secret.clone())
        .bind(s.return_to.clone())
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Session::from_row).transpose()
    }

    pub async fn touch_session(&self, id_hash: &str, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Moves a session to `stage` under a new id and CSRF token (at every change of privilege,
    /// so a token seen before it is worth nothing after). False if the session has gone.
    pub async fn advance_session(
        &self,
        old_hash: &str,
        new_hash: &str,
        new_csrf: &str,
        stage: &str,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE sessions SET id_hash = $2, csrf_token = $3, stage = $4 WHERE id_hash = $1",
        )
        .bind(old_hash)
        .bind(new_hash)
        .bind(new_csrf)
        .bind(stage)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_session_stage(&self, id_hash: &str, stage: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET stage = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(stage)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_session_pending_totp(
        &self,
        id_hash: &str,
        secret: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET pending_totp_secret = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(secret)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn set_session_authority(
        &self,
        id_hash: &str,
        authority_id: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET authority_id = $2 WHERE id_hash = $1")
            .bind(id_hash)
            .bind(authority_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Revokes every API token of a user (password or authenticator reset, disabling, sign
    /// out everywhere).
    pub async fn revoke_user_tokens(&self, user_id: i64) -> Result<u64, StoreError> {
        let r = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(crate::now())
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }

    /// Ends every session of a user ("log out everywhere"). Returns how many.
    pub async fn delete_user_sessions(&self, user_id: i64) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    pub async fn delete_expired_sessions(
        &self,
        idle_cutoff: i64,
        at: i64,
    ) -> Result<u64, StoreError> {
        let r = sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR last_seen_at < $2")
            .bind(at)
            .bind(idle_cutoff)
            .execute(&self.pool)
            .await?;
        Ok(r.rows_affected())
    }

    // ---- account requests (anonymous, so written without an actor) ----

    pub async fn list_account_requests(
        &self,
        authority_id: Option<i64>,
        open_only: bool,
    ) -> Result<Vec<AccountRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM account_requests WHERE ($1 IS NULL OR authority_id = $1 OR authority_id IS NULL)
             AND ($2 = 0 OR status = 'open') ORDER BY created_at DESC, id DESC",
        )
        .bind(authority_id)
        .bind(i64::from(open_only))
        .fetch_all(&self.pool)
        .await?;
        AccountRequest::from_rows(&rows)
    }

    pub async fn account_request(&self, id: i64) -> Result<Option<AccountRequest>, StoreError> {
        let row = sqlx::query("SELECT * FROM account_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(AccountRequest::from_row).transpose()
    }
}

impl WriteTx {
    pub async fn insert_user(&mut self, u: &NewUser) -> Result<User, StoreError> {
        let t = self.at();
        let row = sqlx::query(
            "INSERT INTO users (username, display_name, email, password_hash, role, authority_id, contact_id, totp_secret,
                must_change_password, password_changed_at, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING *",
        )
        .bind(u.username.clone())
        .bind(u.display_name.clone())
        .bind(u.email.clone())
        .bind(u.password_hash.clone())
        .bind(u.role.clone())
        .bind(u.authority_id)
        .bind(u.contact_id)
        .bind(u.totp_secret.clone())
        .bind(i64::from(u.must_change_password))
        .bind(t)
        .fetch_one(&mut *self.tx)
        .await?;
        let user = User::from_row(&row)?;
        self.audit(
            "create",
            crate::RecordType::User,
            &user.id.to_string(),
            None,
            Some(&user.audit_json()),
        )
        .await?;
        Ok(user)
    }

    async fn user_for_update(&mut self, id: i64) -> Result<Option<User>, StoreError> {
        let sql = format!("SELECT * FROM users WHERE id = $1{}", self.lock_clause());
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(User::from_row).transpose()
    }

    /// Applies `change` to a user, writes it and audits before and after under `action`.
    pub async fn update_user(
        &mut self,
        id: i64,
        action: &str,
        change: impl FnOnce(&mut User),
    ) -> Result<Option<User>, StoreError> {
        let Some(before) = self.user_for_update(id).await? else {
            return Ok(None);
        };
        let mut after = before.clone();
        change(&mut after);
        after.updated_at = self.at();
        sqlx::query(
            "UPDATE users SET display_name = $2, email = $3, password_hash = $4, role = $5, authority_id = $6, contact_id = $7,
                totp_secret = $8, totp_last_step = $9, must_change_password = $10, password_changed_at = $11,
                failed_logins = $12, locked_until = $13, disabled = $14, updated_at = $15
             WHERE id = $1",
        )
        .bind(id)
        .bind(after.display_name.clone())
        .bind(after.email.clone())
        .bind(after.password_hash.clone())
        .bind(after.role.clone())
        .bind(after.authority_id)
        .bind(after.contact_id)
        .bind(after.totp_secret.clone())
        .bind(after.totp_last_step)
        .bind(after.must_change_password)
        .bind(after.password_changed_at)
        .bind(after.failed_logins)
        .bind(after.locked_until)
        .bind(after.disabled)
        .bind(after.updated_at)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            action,
            crate::RecordType::User,
            &id.to_string(),
            Some(&before.audit_json()),
            Some(&after.audit_json()),
        )
        .await?;
        Ok(Some(after))
    }

    pub async fn insert_account_request(
        &mut self,
        r: &AccountRequest,
    ) -> Result<AccountRequest, StoreError> {
        let values = Changes::new()
            .set("authority_id", r.authority_id)
            .set("kind", r.kind.clone())
            .set("username", r.username.clone())
            .set("full_name", r.full_name.clone())
            .set("email", r.email.clone())
            .set("organisation", r.organisation.clone())
            .set("message", r.message.clone())
            .set("status", "open")
            .set("created_at", self.at());
        self.create(values).await
    }

    pub async fn close_account_request(
        &mut self,
        id: i64,
        status: &str,
        by: i64,
    ) -> Result<Option<AccountRequest>, StoreError> {
        let values = Changes::new()
            .set("status", status)
            .set("handled_by", by)
            .set("handled_at", self.at());
        self.change(id, "update", values).await
    }
}

/// Counts rows of a query that returns one BIGINT column named `n`.
pub(crate) fn count_of(row: &sqlx::any::AnyRow) -> Result<i64, StoreError> {
    Ok(row.try_get::<i64, _>("n")?)
}

audited!(AccountRequest, AccountRequest, "account_requests");

record!(
    /// An API token (its secret is never stored, only its hash).
    ApiToken {
        id: i64,
        user_id: i64,
        name: String,
        token_hash: String,
        authority_id: Option<i64>,
        created_at: i64,
        last_used_at: Option<i64>,
        revoked_at: Option<i64>,
        expires_at: Option<i64>,
    }
);

impl ApiToken {
    /// When the token stops working: its own expiry, or 90 days after it was made for tokens
    /// made before tokens expired.
    pub fn expires_on(&self) -> i64 {
        self.expires_at.unwrap_or(self.created_at + 90 * 86_400)
    }
}

impl Db {
    pub async fn api_token_by_hash(&self, hash: &str) -> Result<Option<ApiToken>, StoreError> {
        let row =
            sqlx::query("SELECT * FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(hash)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(ApiToken::from_row).transpose()
    }

    pub async fn api_tokens_of(&self, user_id: i64) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query("SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?;
        ApiToken::from_rows(&rows)
    }

    pub async fn touch_api_token(&self, id: i64, at: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE api_tokens SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $3)")
            .bind(id)
            .bind(at)
            .bind(at - 60)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl WriteTx {
    /// Ends every session of a user and revokes their API tokens, inside this transaction (so
    /// a password reset, a disabling or a deactivation and the end of access commit together).
    /// Returns the sessions ended and the tokens revoked.
    pub async fn end_user_access(&mut self, user_id: i64) -> Result<(u64, u64), StoreError> {
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected();
        let tokens = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL",
        )
        .bind(user_id)
        .bind(self.at())
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        Ok((sessions, tokens))
    }

    pub async fn insert_api_token(
        &mut self,
        user_id: i64,
        name: &str,
        hash: &str,
        authority_id: Option<i64>,
        expires_at: i64,
    ) -> Result<ApiToken, StoreError> {
        let row = sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash, authority_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *")
            .bind(user_id)
            .bind(name)
            .bind(hash)
            .bind(authority_id)
            .bind(self.at())
            .bind(expires_at)
            .fetch_one(&mut *self.tx)
            .await?;
        let t = ApiToken::from_row(&row)?;
        let v = serde_json::json!({"id": t.id, "user_id": user_id, "name": name, "expires_at": expires_at});
        self.audit(
            "create",
            crate::RecordType::ApiToken,
            &t.id.to_string(),
            None,
            Some(&v),
        )
        .await?;
        Ok(t)
    }

    pub async fn revoke_api_token(&mut self, id: i64, user_id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query("UPDATE api_tokens SET revoked_at = $3 WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL")
            .bind(id)
            .bind(user_id)
            .bind(self.at())
            .execute(&mut *self.tx)
            .await?;
        if r.rows_affected() == 1 {
            self.audit(
                "revoke",
                crate::RecordType::ApiToken,
                &id.to_string(),
                None,
                None,
            )
            .await?;
        }
        Ok(r.rows_affected() == 1)
    }
}
