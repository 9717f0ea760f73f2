//! Administration: users, the login-request queue and the audit trail.

use crate::error::ConflictCode;
use hearth_domain::{check_password, AccountRequestClosure, AuthorityCode, Role};
use hearth_store::{AccountRequest, Actor, AuditEntry, AuditQuery, ChainReport, NewUser, User};
use rand::Rng;
use serde::Deserialize;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A new user, from the command line or the administrator's screen.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
    pub role: String,
    /// Commissioning staff: their authority.
    #[serde(default)]
    pub authority_id: Option<i64>,
    /// Provider users: the contact they act through.
    #[serde(default)]
    pub contact_id: Option<i64>,
}

/// A search of the audit trail (always within the administrator's own authority).
#[derive(Debug, Clone, Default)]
pub struct AuditSearch {
    /// The actor's name.
    pub actor: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub action: Option<String>,
    /// From this time (seconds since 1970) ...
    pub from: Option<i64>,
    /// ... to before this one.
    pub to: Option<i64>,
    pub limit: i64,
    pub offset: i64,
}

/// A temporary password: readable, long enough for the UK policy, changed at first use.
pub fn temporary_password() -> String {
    const WORDS: &[&str] = &[
        "amber", "birch", "cedar", "delta", "ember", "fable", "grove", "harbor", "iris", "juniper",
        "kestrel", "lumen", "maple", "nectar", "orchid", "pebble", "quartz", "raven", "sorrel",
        "thistle", "umber", "violet", "willow", "yarrow",
    ];
    let mut rng = rand::thread_rng();
    let w: Vec<&str> = (0..3)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect();
    format!("{}-{}-{}-{}", w[0], w[1], w[2], rng.gen_range(10..100))
}

impl App {
    /// Creates a user. An administrator adds staff of their own authority, or provider users
    /// acting through a contact of a provider registered with it; the system principal (the
    /// command line) adds users of any authority.
    pub async fn create_user(
        &self,
        who: &Principal,
        input: &UserInput,
        password: &str,
        totp_secret: Option<String>,
        must_change: bool,
    ) -> Result<User, AppError> {
        let system = who.has(Permission::Maintain);
        if !system {
            who.require_or_hide(Permission::BackOfficeRead)?;
            who.require(Permission::Administer)?;
            if input.authority_id.is_some_and(|a| a != who.authority_id()) {
                return Err(AppError::Forbidden);
            }
            // The host's role belongs to no authority: only the command line gives it.
            if matches!(Role::parse(&input.role), Ok(Role::HostAdministrator)) {
                return Err(AppError::invalid("role", "Select a role"));
            }
        }
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        if !system {
            if let Some(c) = input.contact_id {
                // The contact must belong to a provider registered with this authority.
                let ok = match self.db.contact(c).await? {
                    Some(ct) => {
                        self.db
                            .provider_in_authority(ct.provider_id, who.authority_id())
                            .await?
                    }
                    None => false,
                };
                if !ok {
                    e.add(
                        "contact_id",
                        "There is no such contact of a provider of this authority",
                    );
                    return Err(AppError::Invalid(e));
                }
            }
        }
        self.create_user_as(&who.actor(), input, password, totp_secret, must_change)
            .await
    }

    /// Creates a user for `actor`, authorised by the caller (the demo loader, or
    /// [`App::create_user`]).
    pub(crate) async fn create_user_as(
        &self,
        actor: &Actor,
        input: &UserInput,
        password: &str,
        totp_secret: Option<String>,
        must_change: bool,
    ) -> Result<User, AppError> {
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let username = input.username.trim().to_lowercase();
        if username.len() < 3
            || !username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_')
        {
            e.add("username", "Username must be at least 3 characters: letters, numbers, dots, hyphens or underscores");
        }
        if input.display_name.trim().is_empty() {
            e.add("display_name", "Enter the person's name");
        }
        let role = e.check("role", Role::parse(&input.role));
        match role {
            Some(Role::ProviderUser) => match input.contact_id {
                Some(c) if self.db.contact(c).await?.is_some() => {}
                _ => e.add("contact_id", "A provider user acts through a contact of their organisation: give the contact"),
            },
            // Of the deployment, not of an authority.
            Some(Role::HostAdministrator) => {}
            Some(_) => match input.authority_id {
                Some(a) if self.db.authority(a).await?.is_some() => {}
                _ => e.add("authority_id", "Commissioning staff belong to an authority: give the authority"),
            },
            None => {}
        }
        if let Err(err) = check_password(
            hearth_domain::authority::DEFAULT_PASSWORD_POLICY,
            password,
            &username,
        ) {
            e.add("password", err.message);
        }
        e.into_result()?;
        if self.db.user_by_username(&username).await?.is_some() {
            return Err(AppError::invalid(
                "username",
                "That username is already taken",
            ));
        }
        let hash = self.hash_password(password).await?;
        let mut tx = self.begin_write(actor).await?;
        let user = tx
            .insert_user(&NewUser {
                username,
                display_name: input.display_name.trim().to_string(),
                email: input.email.trim().to_string(),
                password_hash: hash,
                role: role.map(|r| r.as_str().to_string()).unwrap_or_default(),
                authority_id: if matches!(role, Some(Role::ProviderUser | Role::HostAdministrator))
                {
                    None
                } else {
                    input.authority_id
                },
                contact_id: if role == Some(Role::ProviderUser) {
                    input.contact_id
                } else {
                    None
                },
                totp_secret,
                must_change_password: must_change,
            })
            .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Users the administrator may manage: their authority's staff and its providers' users.
    /// The system principal manages every user.
    pub async fn list_users(&self, who: &Principal) -> Result<Vec<User>, AppError> {
        if who.has(Permission::Maintain) {
            return Ok(self.db.list_users(None).await?);
        }
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        Ok(self.db.list_users(Some(who.authority_id())).await?)
    }

    /// A user the principal may manage: for an administrator, one of their authority's
    /// (anyone else's is "not found"); for the system principal, anyone.
    async fn managed_user(&self, who: &Principal, id: i64) -> Result<User, AppError> {
        if who.has(Permission::Maintain) {
            return self.db.user_by_id(id).await?.ok_or(AppError::NotFound);
        }
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        self.list_users(who)
            .await?
            .into_iter()
            .find(|u| u.id == id)
            .ok_or(AppError::NotFound)
    }

    /// A user by username, for the command line (system principal only).
    pub async fn user_named(&self, who: &Principal, username: &str) -> Result<User, AppError> {
        who.require(Permission::Maintain)?;
        self.db
            .user_by_username(username)
            .await?
            .ok_or(AppError::NotFound)
    }

    /// The id of the authority with this code (any case), for the command line (system
    /// principal only).
    pub async fn authority_by_code(
        &self,
        who: &Principal,
        code: &AuthorityCode,
    ) -> Result<Option<i64>, AppError> {
        who.require(Permission::Maintain)?;
        Ok(self
            .db
            .authorities()
            .await?
            .into_iter()
            .find(|a| code.matches(&a.code))
            .map(|a| a.id))
    }

    /// Resets a password to a temporary one that must be changed at first use; returns it.
    /// Ends the user's sessions. For an administrator of the user's authority, or the system
    /// principal.
    pub async fn reset_password(&self, who: &Principal, user_id: i64) -> Result<String, AppError> {
        self.managed_user(who, user_id).await?;
        let temp = temporary_password();
        let hash = self.hash_password(&temp).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.update_user(user_id, "reset_password", |u| {
            u.password_hash = hearth_store::Secret::new(hash);
            u.must_change_password = 1;
            u.failed_logins = 0;
            u.locked_until = None;
        })
        .await?
        .ok_or(AppError::NotFound)?;
        tx.end_user_access(user_id).await?;
        tx.commit().await?;
        Ok(temp)
    }

    /// Unlocks an account locked by failed sign-ins. For an administrator of the user's
    /// authority, or the system principal.
    pub async fn unlock_user(&self, who: &Principal, user_id: i64) -> Result<User, AppError> {
        self.managed_user(who, user_id).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let u = tx
            .update_user(user_id, "unlock", |u| {
                u.failed_logins = 0;
                u.locked_until = None;
            })
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        // Every source's wait on this account ends too.
        let name = crate::limits::key_part(&u.username);
        self.db
            .rate_clear(&format!("signin:user-addr:{name}|"))
            .await?;
        self.db.rate_forget(&format!("signin:user:{name}")).await?;
        self.db
            .rate_clear(&format!("code:user-addr:{}|", u.id))
            .await?;
        self.db.rate_forget(&format!("code:user:{}", u.id)).await?;
        self.db.rate_forget(&format!("sign:user:{}", u.id)).await?;
        Ok(u)
    }

    /// Disables (ending their sessions) or enables an account. For an administrator of the
    /// user's authority, who may not disable their own account, or the system principal.
    pub async fn set_user_disabled(
        &self,
        who: &Principal,
        user_id: i64,
        disabled: bool,
    ) -> Result<User, AppError> {
        self.managed_user(who, user_id).await?;
        if disabled && who.user_id() == Some(user_id) {
            return Err(AppError::Conflict(
                ConflictCode::Other,
                "You cannot disable your own account".into(),
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let u = tx
            .update_user(user_id, if disabled { "disable" } else { "enable" }, |u| {
                u.disabled = i64::from(disabled)
            })
            .await?
            .ok_or(AppError::NotFound)?;
        if disabled {
            tx.end_user_access(user_id).await?;
        }
        tx.commit().await?;
        Ok(u)
    }

    /// Removes a user's authenticator so they enrol again at next login. For an
    /// administrator of the user's authority, or the system principal.
    pub async fn reset_totp(&self, who: &Principal, user_id: i64) -> Result<User, AppError> {
        self.managed_user(who, user_id).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let u = tx
            .update_user(user_id, "reset_totp", |u| {
                u.totp_secret = None;
                u.totp_last_step = 0;
            })
            .await?
            .ok_or(AppError::NotFound)?;
        tx.end_user_access(user_id).await?;
        tx.commit().await?;
        Ok(u)
    }

    /// A password reset that also returns the user (for the confirmation page).
    pub async fn admin_reset_password(
        &self,
        who: &Principal,
        user_id: i64,
    ) -> Result<(User, String), AppError> {
        let u = self.managed_user(who, user_id).await?;
        let temp = self.reset_password(who, user_id).await?;
        Ok((u, temp))
    }

    pub async fn admin_unlock(&self, who: &Principal, user_id: i64) -> Result<User, AppError> {
        self.unlock_user(who, user_id).await
    }

    pub async fn admin_set_disabled(
        &self,
        who: &Principal,
        user_id: i64,
        disabled: bool,
    ) -> Result<User, AppError> {
        self.set_user_disabled(who, user_id, disabled).await
    }

    pub async fn admin_user(&self, who: &Principal, user_id: i64) -> Result<User, AppError> {
        self.managed_user(who, user_id).await
    }

    /// The commissioning team's queue of login and forgotten-password requests.
    pub async fn account_requests(
        &self,
        who: &Principal,
        open_only: bool,
    ) -> Result<Vec<AccountRequest>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        Ok(self
            .db
            .list_account_requests(Some(who.authority_id()), open_only)
            .await?)
    }

    /// Closes a request (done or declined).
    pub async fn close_account_request(
        &self,
        who: &Principal,
        id: i64,
        closure: AccountRequestClosure,
    ) -> Result<AccountRequest, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::BackOfficeWrite)?;
        let visible = self
            .account_requests(who, false)
            .await?
            .iter()
            .any(|r| r.id == id);
        if !visible {
            return Err(AppError::NotFound);
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .close_account_request(id, closure.as_str(), who.signed_in()?.id)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(r)
    }

    /// Searches the audit trail of the administrator's authority.
    pub async fn audit_search(
        &self,
        who: &Principal,
        q: AuditSearch,
    ) -> Result<Vec<AuditEntry>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        let q = AuditQuery {
            authority_id: Some(who.authority_id()),
            actor: q.actor,
            record_type: q.record_type,
            record_id: q.record_id,
            action: q.action,
            from: q.from,
            to: q.to,
            limit: q.limit,
            offset: q.offset,
        };
        Ok(self.db.audit_search(&q).await?)
    }

    pub async fn audit_verify(&self) -> Result<ChainReport, AppError> {
        Ok(self.db.audit_verify().await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_pass_the_uk_policy() {
        for _ in 0..50 {
            let p = temporary_password();
            assert!(
                check_password(hearth_domain::PasswordPolicyKind::Uk, &p, "someone").is_ok(),
                "{p}"
            );
        }
    }
}

/// The authority settings form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct SettingsInput {
    #[serde(default)]
    pub password_policy: String,
    #[serde(default)]
    pub provider_totp_required: Option<String>,
    #[serde(default)]
    pub idle_minutes: String,
    /// A `Region` code; empty keeps the authority's region.
    #[serde(default)]
    pub region: String,
}

impl App {
    pub async fn authority_settings(
        &self,
        who: &Principal,
    ) -> Result<hearth_store::Authority, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        self.db
            .authority(who.authority_id())
            .await?
            .ok_or(AppError::NotFound)
    }

    pub async fn update_authority_settings(
        &self,
        who: &Principal,
        input: &SettingsInput,
    ) -> Result<hearth_store::Authority, AppError> {
        self.authority_settings(who).await?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let policy = e.check(
            "password_policy",
            hearth_domain::PasswordPolicyKind::parse(&input.password_policy),
        );
        let idle = match input.idle_minutes.trim().parse::<i64>() {
            Ok(n) if (5..=240).contains(&n) => n,
            _ => {
                e.add(
                    "idle_minutes",
                    "Enter the idle time as a whole number of minutes from 5 to 240",
                );
                0
            }
        };
        let region = if input.region.trim().is_empty() {
            None
        } else {
            e.check(
                "region",
                hearth_domain::calendar::Region::parse_field(&input.region),
            )
        };
        e.into_result()?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let a = tx
            .update_authority_settings(
                who.authority_id(),
                policy.map(|p| p.as_str()).unwrap_or("uk"),
                // The second factor cannot be switched off (every role sees client data).
                true,
                idle,
                region.map(|r| r.as_str()),
            )
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(a)
    }
}
