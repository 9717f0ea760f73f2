//! Log in (password, then TOTP), sessions, idle and absolute timeouts, lockout, password
//! changes and the login / forgotten-password requests (F2.1 to F2.5).

use hearth_domain::{check_password, password_expired, AccountHelpKind, PasswordPolicyKind};
use hearth_store::{now, AccountRequest, Actor, Hits, Session, User};
use rand::RngCore;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

use crate::{App, AppError, FieldErrors, Principal};

/// How long an API token may last, in days; the first is the default.
pub const API_TOKEN_DAYS: [i64; 3] = [90, 30, 365];

/// Session stages.
pub const STAGE_TOTP: &str = "totp";
pub const STAGE_ENROL: &str = "enrol";
pub const STAGE_CHANGE_PASSWORD: &str = "change_password";
pub const STAGE_FULL: &str = "full";

/// What comes after a correct password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Enter the code from the authenticator app.
    Totp,
    /// Set up an authenticator app first.
    Enrol,
    /// A temporary or expired password must be changed.
    ChangePassword,
    /// Signed in.
    Done,
}

/// A new session: the raw token goes in the cookie, only its hash is stored.
#[derive(Debug, Clone)]
pub struct Started {
    pub token: String,
    pub next: NextStep,
    /// The known-device cookie for this browser (see [`App::login_password`]).
    pub device: String,
}

/// A sign-in step done: what comes next, and the session's new token (the session is given a
/// new id at every change of privilege, so the cookie must be replaced).
#[derive(Debug, Clone)]
pub struct Stepped {
    pub next: NextStep,
    pub token: String,
}

/// Why a session is no longer valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    Idle,
    Absolute,
    Gone,
}

/// A live session and, once fully signed in, its principal.
#[derive(Debug, Clone)]
pub struct LiveSession {
    pub session: Session,
    pub user: User,
    pub principal: Option<Principal>,
    /// The name of the authority the principal acts in, for the page header; read with the
    /// authority's idle time, so it costs no extra query.
    pub authority_name: Option<String>,
}

impl App {
    /// The authorities a provider user may act in (their provider is registered with); none
    /// for staff, who act in their own.
    pub async fn my_authorities(
        &self,
        who: &Principal,
    ) -> Result<Vec<hearth_store::Authority>, AppError> {
        match who {
            Principal::Provider { provider_id, .. } => {
                Ok(self.db.provider_authorities(*provider_id).await?)
            }
            _ => Ok(Vec::new()),
        }
    }
}

impl HelpRequest {
    /// The request as it would be queued, without saving it (the answer to one asked too
    /// often, which must look like any other).
    fn unsaved(self, kind: AccountHelpKind) -> AccountRequest {
        AccountRequest {
            id: 0,
            authority_id: self.authority_id,
            kind: kind.as_str().to_string(),
            username: self.username,
            full_name: self.full_name,
            email: self.email,
            organisation: self.organisation,
            message: self.message,
            status: "open".into(),
            handled_by: None,
            handled_at: None,
            created_at: 0,
        }
    }
}

impl LiveSession {
    /// The session an API token's request acts in: fully signed in, with no stored session
    /// behind it (so no CSRF token and nothing to advance). None for the system principal.
    pub fn for_token(p: &Principal) -> Option<LiveSession> {
        let user = p.user()?.clone();
        let now = now();
        Some(LiveSession {
            session: Session {
                id_hash: String::new(),
                user_id: user.id,
                stage: STAGE_FULL.into(),
                csrf_token: String::new(),
                authority_id: Some(p.authority_id()),
                pending_totp_secret: None,
                return_to: None,
                created_at: now,
                last_seen_at: now,
                expires_at: now,
            },
            user,
            principal: Some(p.clone()),
            authority_name: None,
        })
    }
}

/// Hash of a session token, as stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// A new random TOTP secret, base32.
pub fn new_totp_secret() -> String {
    let mut b = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut b);
    Secret::Raw(b).to_encoded().to_string()
}

fn totp_for(secret_b32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok()
}

/// The TOTP code of `secret_b32` at `unix_seconds` (for tests and the demo's helper).
pub fn totp_code(secret_b32: &str, unix_seconds: u64) -> Option<String> {
    totp_for(secret_b32).map(|t| t.generate(unix_seconds))
}

/// The time step (30-second window) that `code` matches, allowing one step of clock drift.
pub fn totp_matching_step(secret_b32: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let totp = totp_for(secret_b32)?;
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let step = unix_seconds / 30;
    for s in [step.saturating_sub(1), step, step + 1] {
        if totp.generate(s * 30) == code {
            return i64::try_from(s).ok();
        }
    }
    None
}

/// otpauth URI for QR enrolment.
pub fn otpauth_uri(issuer: &str, username: &str, secret_b32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        enc(issuer),
        enc(username),
        secret_b32,
        enc(issuer)
    )
}

impl App {
    /// Hashes a password with argon2id, at most `max_concurrent_hashes` at once, each in a
    /// reused working buffer (`hashing.rs`).
    pub async fn hash_password(&self, password: &str) -> Result<String, AppError> {
        self.hashing
            .hash(password)
            .await
            .map_err(AppError::Internal)
    }

    async fn verify_password(&self, password: &str, hash: &str) -> Result<bool, AppError> {
        self.hashing
            .verify(password, hash)
            .await
            .map_err(AppError::Internal)
    }

    /// Whether `password` is the user's (signing documents asks for it again).
    pub async fn password_matches(&self, user: &User, password: &str) -> Result<bool, AppError> {
        self.verify_password(password, user.password_hash.expose())
            .await
    }

    /// The authority a user belongs to: staff's own, or the first authority of a provider
    /// user's organisation.
    pub async fn authority_of_user(&self, user: &User) -> Result<Option<i64>, AppError> {
        Ok(match user.authority_id {
            Some(a) => Some(a),
            None => match user.contact_id {
                Some(c) => match self.db.contact(c).await? {
                    Some(contact) => self
                        .db
                        .provider_authorities(contact.provider_id)
                        .await?
                        .first()
                        .map(|a| a.id),
                    None => None,
                },
                None => None,
            },
        })
    }

    /// The actor for a user's own account changes (locks, enrolment, password changes).
    async fn account_actor(&self, user: &User) -> Result<Actor, AppError> {
        Ok(Actor {
            user_id: Some(user.id),
            name: user.username.clone(),
            authority_id: self.authority_of_user(user).await?,
        })
    }

    /// The password policy that applies to a user (their authority's setting).
    pub async fn policy_for(&self, user: &User) -> Result<PasswordPolicyKind, AppError> {
        let authority_id = self.authority_of_user(user).await?;
        let policy = match authority_id {
            Some(a) => self.db.authority(a).await?.map(|a| a.password_policy),
            None => None,
        };
        Ok(policy
            .and_then(|p| PasswordPolicyKind::parse(&p).ok())
            .unwrap_or(hearth_domain::authority::DEFAULT_PASSWORD_POLICY))
    }

    /// Every account uses the second factor: every role, provider users included, can see
    /// client data (security review 5), so no authority setting switches it off.
    async fn totp_required(&self, _user: &User) -> Result<bool, AppError> {
        Ok(true)
    }

    fn locked_message(until: i64) -> String {
        let when = hearth_domain::clock::display_clock(until);
        format!("Your account is locked. Try again after {when}, or ask the commissioning team to unlock it.")
    }

    /// The hash an unknown username's password is checked against: made once, with the same
    /// parameters as every real hash, so both take the same time.
    async fn dummy_hash(&self) -> Result<String, AppError> {
        self.dummy_hash
            .get_or_try_init(|| async { self.hash_password(&random_hex(16)).await })
            .await
            .cloned()
    }

    /// After a failed sign-in (already counted against its source before it was tried):
    /// counts it for the username from anywhere, audits the moment a source of a real account
    /// is throttled, and answers after the same time whatever happened: the floor, plus the
    /// slowing of a username under attack from many places.
    async fn failed_sign_in(
        &self,
        username: &str,
        source: &Hits,
        source_name: &str,
        user: Option<&User>,
        started: std::time::Instant,
    ) -> Result<(), AppError> {
        use hearth_domain::throttle::*;
        let name = crate::limits::key_part(username);
        let all = self
            .limit_hit(&format!("signin:user:{name}"), SIGN_IN_PER_USER_SLOWED)
            .await?;
        if let Some(user) = user {
            if source.hits == SIGN_IN_PER_USER_AND_ADDRESS.max {
                let mut actor = self.account_actor(user).await?;
                actor.user_id = None;
                actor.name = "login".into();
                let until = source.window_start + SIGN_IN_PER_USER_AND_ADDRESS.window_secs;
                let mut tx = self.begin_write(&actor).await?;
                tx.audit(
                    "throttle",
                    hearth_store::RecordType::User,
                    &user.id.to_string(),
                    None,
                    Some(&serde_json::json!({"source": source_name, "failures": source.hits, "until": until})),
                )
                .await?;
                tx.commit().await?;
            }
        }
        let floor =
            std::time::Duration::from_millis(FAILED_SIGN_IN_FLOOR_MS + slowed_by_ms(all.hits));
        if let Some(rest) = floor.checked_sub(started.elapsed()) {
            tokio::time::sleep(rest).await;
        }
        Ok(())
    }

    /// Counts a password given to sign a document or make a token before it is checked, and
    /// refuses it while the signer has given too many wrong ones (they are signed in, so this
    /// slows only them). Returns the bucket to give the attempt back to if it was right.
    pub(crate) async fn signature_attempt(&self, user: &User) -> Result<String, AppError> {
        use hearth_domain::throttle::SIGN_IN_PER_USER_AND_ADDRESS;
        let bucket = format!("sign:user:{}", user.id);
        self.limit_take(&bucket, SIGN_IN_PER_USER_AND_ADDRESS)
            .await?;
        Ok(bucket)
    }

    /// The nonce of a known-device cookie that `user` was given by an earlier sign-in in this
    /// browser, if `cookie` is one (a MAC under the deployment's key, so it cannot be made up).
    fn known_device(&self, user: &User, cookie: &str) -> Result<Option<String>, AppError> {
        if cookie.len() != 96 || !cookie.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let (nonce, mac) = cookie.split_at(32);
        let expected = self
            .db
            .keyed_mac("known-device", &format!("{}|{nonce}", user.id))?;
        let same = expected.len() == mac.len()
            && expected
                .bytes()
                .zip(mac.to_ascii_lowercase().bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
        Ok(same.then(|| nonce.to_ascii_lowercase()))
    }

    /// Step one: username and password, from the client address `from`, with the browser's
    /// known-device cookie if it has one. Every attempt is counted before it is tried (so
    /// parallel attempts cannot slip past a limit) per address and per username and address;
    /// a right password gives its attempt back, so only failures add up. A browser that has
    /// signed in to the account before is counted on its own instead (OWASP's device cookies),
    /// so an attack from a busy shared address does not keep out the people who work there.
    /// Failures are also counted per username from anywhere, which slows, never refuses.
    /// Unknown usernames and wrong passwords take the same time.
    pub async fn login_password(
        &self,
        username: &str,
        password: &str,
        return_to: Option<&str>,
        from: &str,
        device: Option<&str>,
    ) -> Result<Started, AppError> {
        use hearth_domain::throttle::*;
        let started = std::time::Instant::now();
        let bad = || AppError::invalid("username", "Enter a correct username and password");
        let name = crate::limits::key_part(username);
        let source = crate::limits::key_part(from);
        let user = if username.len() > 200 {
            None
        } else {
            self.db.user_by_username(username.trim()).await?
        };
        let known = match (&user, device) {
            (Some(u), Some(d)) => self.known_device(u, d)?,
            _ => None,
        };
        // Each bucket counted, with whether a right password clears it (the source's count
        // for this account) or only gives its attempt back (the address's count).
        let (buckets, source_hits) = match &known {
            Some(nonce) => {
                let b = format!("signin:device:{nonce}");
                let h = self.limit_take(&b, SIGN_IN_PER_DEVICE).await?;
                (vec![(b, true)], h)
            }
            None => {
                let addr = format!("signin:addr:{source}");
                let pair = format!("signin:user-addr:{name}|{source}");
                self.limit_take(&addr, SIGN_IN_PER_ADDRESS).await?;
                let h = self.limit_take(&pair, SIGN_IN_PER_USER_AND_ADDRESS).await?;
                (vec![(addr, false), (pair, true)], h)
            }
        };
        let hash = match &user {
            Some(u) => u.password_hash.expose().to_string(),
            None => self.dummy_hash().await?,
        };
        // A password longer than any policy allows is wrong without hashing it (bounded work).
        let password_ok = password.chars().count() <= hearth_domain::MAX_PASSWORD_CHARS
            && self.verify_password(password, &hash).await?
            && user.is_some();
        if !password_ok {
            self.failed_sign_in(username, &source_hits, &source, user.as_ref(), started)
                .await?;
            return Err(bad());
        }
        let Some(user) = user else {
            return Err(bad());
        };
        // The right password: its attempt is given back, and this source's count for the
        // account starts again.
        for (b, clear) in &buckets {
            if *clear {
                self.db.rate_forget(b).await?;
            } else {
                self.limit_give_back(b).await?;
            }
        }
        let t = self.now();
        // Whether an account is locked or disabled is told only to someone who knows its password.
        if let Some(until) = user.locked_until.filter(|u| *u > t) {
            return Err(AppError::invalid("username", Self::locked_message(until)));
        }
        if user.disabled != 0 {
            return Err(AppError::invalid(
                "username",
                "This account has been disabled. Contact the commissioning team.",
            ));
        }
        let nonce = known.unwrap_or_else(|| random_hex(16));
        let device = format!(
            "{nonce}{}",
            self.db
                .keyed_mac("known-device", &format!("{}|{nonce}", user.id))?
        );
        let next = if user.totp_secret.is_some() {
            NextStep::Totp
        } else if self.totp_required(&user).await? {
            NextStep::Enrol
        } else {
            self.after_second_factor(&user).await?
        };
        let token = random_hex(32);
        let stage = match next {
            NextStep::Totp => STAGE_TOTP,
            NextStep::Enrol => STAGE_ENROL,
            NextStep::ChangePassword => STAGE_CHANGE_PASSWORD,
            NextStep::Done => STAGE_FULL,
        };
        if next == NextStep::Done {
            self.db.reset_login_failures(user.id).await?;
        }
        self.db
            .create_session(&Session {
                id_hash: token_hash(&token),
                user_id: user.id,
                stage: stage.to_string(),
                csrf_token: random_hex(16),
                authority_id: None,
                pending_totp_secret: None,
                return_to: return_to.filter(|r| safe_return(r)).map(String::from),
                created_at: t,
                last_seen_at: t,
                expires_at: t + self.config.absolute_hours * 3600,
            })
            .await?;
        Ok(Started {
            token,
            next,
            device,
        })
    }

    async fn after_second_factor(&self, user: &User) -> Result<NextStep, AppError> {
        let policy = self.policy_for(user).await?;
        let changed = hearth_domain::clock::uk_time_of(user.password_changed_at)
            .map(|d| d.date())
            .unwrap_or_else(|| self.today());
        if user.must_change_password != 0 || password_expired(policy, changed, self.today()) {
            Ok(NextStep::ChangePassword)
        } else {
            Ok(NextStep::Done)
        }
    }

    fn stage_for(next: &NextStep) -> &'static str {
        match next {
            NextStep::ChangePassword => STAGE_CHANGE_PASSWORD,
            _ => STAGE_FULL,
        }
    }

    /// Step two: the code from the authenticator app, from the client address `from`. Each
    /// code is accepted once; wrong codes are counted per account and address and per account.
    pub async fn login_totp(
        &self,
        live: &LiveSession,
        code: &str,
        from: &str,
    ) -> Result<Stepped, AppError> {
        use hearth_domain::throttle::*;
        if live.session.stage != STAGE_TOTP {
            return Err(AppError::NotFound);
        }
        let Some(secret) = live
            .user
            .totp_secret
            .as_ref()
            .map(hearth_store::Secret::expose)
        else {
            return Err(AppError::NotFound);
        };
        let t = self.now();
        if let Some(until) = live.user.locked_until {
            if until > t {
                return Err(AppError::invalid("code", Self::locked_message(until)));
            }
        }
        let source = crate::limits::key_part(from);
        let pair = format!("code:user-addr:{}|{source}", live.user.id);
        let all = format!("code:user:{}", live.user.id);
        // Counted before the code is tried, so parallel guesses cannot slip past the limit.
        self.limit_take(&pair, CODE_PER_USER_AND_ADDRESS).await?;
        let h = self.limit_take(&all, CODE_PER_USER).await?;
        let ok = match totp_matching_step(secret, code, u64::try_from(t).unwrap_or(0)) {
            Some(step) => self.db.consume_totp_step(live.user.id, step).await?,
            None => false,
        };
        if !ok {
            if h.hits == CODE_PER_USER.max {
                let mut tx = self
                    .begin_write(&self.account_actor(&live.user).await?)
                    .await?;
                tx.audit(
                    "throttle",
                    hearth_store::RecordType::User,
                    &live.user.id.to_string(),
                    None,
                    Some(
                        &serde_json::json!({"step": "code", "source": source, "failures": h.hits}),
                    ),
                )
                .await?;
                tx.commit().await?;
            }
            return Err(AppError::invalid(
                "code",
                "Enter the 6-digit code shown in your authenticator app now (each code can be used once)",
            ));
        }
        self.limit_give_back(&all).await?;
        self.db.rate_forget(&pair).await?;
        self.db.reset_login_failures(live.user.id).await?;
        let next = self.after_second_factor(&live.user).await?;
        let token = self.advance_session(live, Self::stage_for(&next)).await?;
        Ok(Stepped { next, token })
    }

    /// Gives the session a new id and CSRF token at `stage`; returns the new raw token.
    async fn advance_session(&self, live: &LiveSession, stage: &str) -> Result<String, AppError> {
        let token = random_hex(32);
        if !self
            .db
            .advance_session(
                &live.session.id_hash,
                &token_hash(&token),
                &random_hex(16),
                stage,
            )
            .await?
        {
            return Err(AppError::Unauthenticated);
        }
        Ok(token)
    }

    /// The secret being enrolled in this session (made on first ask).
    pub async fn enrolment_secret(&self, live: &LiveSession) -> Result<String, AppError> {
        if live.session.stage != STAGE_ENROL {
            return Err(AppError::NotFound);
        }
        if let Some(s) = &live.session.pending_totp_secret {
            return Ok(s.expose().to_string());
        }
        let secret = new_totp_secret();
        self.db
            .set_session_pending_totp(&live.session.id_hash, Some(&secret))
            .await?;
        Ok(secret)
    }

    /// Confirms enrolment with a first code, which stores the secret on the account.
    pub async fn confirm_enrolment(
        &self,
        live: &LiveSession,
        code: &str,
    ) -> Result<Stepped, AppError> {
        if live.session.stage != STAGE_ENROL {
            return Err(AppError::NotFound);
        }
        let Some(secret) = live
            .session
            .pending_totp_secret
            .as_ref()
            .map(|s| s.expose().to_string())
        else {
            return Err(AppError::invalid("code", "Scan the QR code first"));
        };
        let t = u64::try_from(self.now()).unwrap_or(0);
        let Some(step) = totp_matching_step(&secret, code, t) else {
            return Err(AppError::invalid(
                "code",
                "Enter the 6-digit code shown in your authenticator app",
            ));
        };
        let mut tx = self
            .begin_write(&self.account_actor(&live.user).await?)
            .await?;
        tx.update_user(live.user.id, "enrol_totp", |u| {
            u.totp_secret = Some(hearth_store::Secret::new(secret.clone()));
            u.totp_last_step = step;
        })
        .await?;
        tx.commit().await?;
        self.db
            .set_session_pending_totp(&live.session.id_hash, None)
            .await?;
        let next = self.after_second_factor(&live.user).await?;
        let token = self.advance_session(live, Self::stage_for(&next)).await?;
        Ok(Stepped { next, token })
    }

    /// Looks up a session by its raw token and applies the idle and absolute limits.
    /// Each valid use moves the idle clock on.
    pub async fn session(&self, token: &str) -> Result<Result<LiveSession, Ended>, AppError> {
        let hash = token_hash(token);
        let Some(session) = self.db.session(&hash).await? else {
            return Ok(Err(Ended::Gone));
        };
        let t = self.now();
        if t >= session.expires_at {
            self.db.delete_session(&hash).await?;
            return Ok(Err(Ended::Absolute));
        }
        let Some(user) = self.db.user_by_id(session.user_id).await? else {
            self.db.delete_session(&hash).await?;
            return Ok(Err(Ended::Gone));
        };
        let principal = if session.stage == STAGE_FULL {
            match self
                .principal_for(user.clone(), session.authority_id)
                .await?
            {
                Some(p) => Some(p),
                None => {
                    self.db.delete_session(&hash).await?;
                    return Ok(Err(Ended::Gone));
                }
            }
        } else {
            None
        };
        let authority = match &principal {
            Some(p) => self.db.authority(p.authority_id()).await?,
            None => None,
        };
        let idle_minutes = authority
            .as_ref()
            .map(|a| a.idle_minutes)
            .unwrap_or(self.config.idle_minutes);
        if t - session.last_seen_at > idle_minutes * 60 {
            self.db.delete_session(&hash).await?;
            return Ok(Err(Ended::Idle));
        }
        // Writing on every request would be wasteful: the idle clock has a minute's grain.
        if t - session.last_seen_at >= 30 {
            self.db.touch_session(&hash, t).await?;
        }
        Ok(Ok(LiveSession {
            session,
            user,
            principal,
            authority_name: authority.map(|a| a.name),
        }))
    }

    /// Ends this session.
    pub async fn logout(&self, token: &str) -> Result<(), AppError> {
        self.db.delete_session(&token_hash(token)).await?;
        Ok(())
    }

    /// Ends every session of the user, on every node.
    pub async fn logout_everywhere(&self, user: &User) -> Result<u64, AppError> {
        let mut tx = self.begin_write(&self.account_actor(user).await?).await?;
        let (sessions, tokens) = tx.end_user_access(user.id).await?;
        tx.audit(
            "sign_out_everywhere",
            hearth_store::RecordType::User,
            &user.id.to_string(),
            None,
            Some(&serde_json::json!({"sessions_ended": sessions, "tokens_revoked": tokens})),
        )
        .await?;
        tx.commit().await?;
        Ok(sessions)
    }

    /// A provider user working with several authorities switches between them.
    pub async fn switch_authority(
        &self,
        live: &LiveSession,
        authority_id: i64,
    ) -> Result<(), AppError> {
        let Some(Principal::Provider { provider_id, .. }) = &live.principal else {
            return Err(AppError::NotFound);
        };
        if !self
            .db
            .provider_in_authority(*provider_id, authority_id)
            .await?
        {
            return Err(AppError::NotFound);
        }
        self.db
            .set_session_authority(&live.session.id_hash, authority_id)
            .await?;
        Ok(())
    }

    /// Changes the signed-in user's password (also completes a forced change).
    pub async fn change_password(
        &self,
        live: &LiveSession,
        current: &str,
        new: &str,
        confirm: &str,
    ) -> Result<String, AppError> {
        let mut errors = FieldErrors::new();
        if !self
            .verify_password(current, live.user.password_hash.expose())
            .await?
        {
            errors.add("current_password", "Enter your current password correctly");
        }
        let policy = self.policy_for(&live.user).await?;
        if let Err(e) = check_password(policy, new, &live.user.username) {
            errors.add("new_password", e.message);
        } else if new != confirm {
            errors.add("confirm_password", "The passwords do not match");
        } else if new == current {
            errors.add(
                "new_password",
                "Choose a password different from your current one",
            );
        }
        errors.into_result()?;
        let hash = self.hash_password(new).await?;
        let mut tx = self
            .begin_write(&self.account_actor(&live.user).await?)
            .await?;
        tx.update_user(live.user.id, "change_password", |u| {
            u.password_hash = hearth_store::Secret::new(hash);
            u.must_change_password = 0;
            u.password_changed_at = self.now();
        })
        .await?;
        tx.commit().await?;
        // A new password is a change of privilege: the session gets a new id.
        let stage = if live.session.stage == STAGE_CHANGE_PASSWORD {
            STAGE_FULL
        } else {
            live.session.stage.as_str()
        };
        self.advance_session(live, stage).await
    }

    /// "Forgotten your password?" or "Request a login": lands in the commissioning team's queue.
    pub async fn request_account_help(
        &self,
        kind: AccountHelpKind,
        r: HelpRequest,
        from: &str,
    ) -> Result<AccountRequest, AppError> {
        use hearth_domain::throttle::{HELP_PER_ADDRESS, HELP_PER_USERNAME};
        let mut errors = FieldErrors::new();
        for (field, value, label, max) in [
            ("username", &r.username, "Username", 100),
            ("full_name", &r.full_name, "Full name", 200),
            ("email", &r.email, "Email address", 254),
            ("organisation", &r.organisation, "Organisation", 200),
            ("message", &r.message, "Message", 2_000),
        ] {
            if let Err(e) = hearth_domain::text::bounded(label, value, max) {
                errors.add(field, e.message);
            }
        }
        if kind == AccountHelpKind::ForgottenPassword && r.username.trim().is_empty() {
            errors.add("username", "Enter your username");
        }
        if kind == AccountHelpKind::LoginRequest {
            if r.full_name.trim().is_empty() {
                errors.add("full_name", "Enter your full name");
            }
            if r.organisation.trim().is_empty() {
                errors.add("organisation", "Enter the name of your organisation");
            }
            if r.email.trim().is_empty() {
                errors.add("email", "Enter your email address");
            }
        }
        if !r.email.trim().is_empty() && !r.email.contains('@') {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        errors.into_result()?;
        // Each address may ask a few times an hour, and each username a few times, so the
        // administrators' mailboxes cannot be flooded.
        let source = crate::limits::key_part(from);
        self.limit_take(&format!("help:addr:{source}"), HELP_PER_ADDRESS)
            .await?;
        if kind == AccountHelpKind::ForgottenPassword {
            // A username asked about too often gets the usual confirmation and no more
            // e-mails: a refusal here would only tell the asker that someone else has asked.
            let name = crate::limits::key_part(&r.username);
            match self
                .limit_take(&format!("help:user:{name}"), HELP_PER_USERNAME)
                .await
            {
                Err(AppError::TooMany { .. }) => return Ok(r.unsaved(kind)),
                other => {
                    other?;
                }
            }
        }
        // A forgotten-password request is routed to the user's authority where we know it;
        // the reply never says whether the username exists.
        let authority_id = if kind == AccountHelpKind::ForgottenPassword {
            match self.db.user_by_username(r.username.trim()).await? {
                Some(u) => self.authority_of_user(&u).await?,
                None => None,
            }
        } else {
            r.authority_id
        };
        // Tell the authority's administrators (all administrators when the authority is unknown).
        let admins: Vec<User> = self
            .db
            .list_users(None)
            .await?
            .into_iter()
            .filter(|u| u.role == "administrator" && u.disabled == 0 && !u.email.is_empty())
            .filter(|u| authority_id.is_none() || u.authority_id == authority_id)
            .collect();
        let mut tx = self
            .begin_write(&Actor {
                user_id: None,
                name: "public".into(),
                authority_id,
            })
            .await?;
        let (subject, what) = if kind == AccountHelpKind::ForgottenPassword {
            (
                "Hearth: a forgotten password request",
                "A user has asked for their password to be reset.",
            )
        } else {
            (
                "Hearth: a request for a login",
                "Someone has asked for a login.",
            )
        };
        for admin in &admins {
            tx.queue_mail(
                &admin.email,
                subject,
                &format!("{what}\n\nOpen Hearth and go to Login requests to deal with it. No personal details are sent by e-mail."),
            )
            .await?;
        }
        let created = tx
            .insert_account_request(&AccountRequest {
                kind: kind.as_str().to_string(),
                authority_id,
                username: r.username.trim().to_string(),
                full_name: r.full_name.trim().to_string(),
                email: r.email.trim().to_string(),
                organisation: r.organisation.trim().to_string(),
                message: r.message.trim().to_string(),
                id: 0,
                status: "open".into(),
                handled_by: None,
                handled_at: None,
                created_at: 0,
            })
            .await?;
        tx.commit().await?;
        Ok(created)
    }
}

/// What someone asking for a login or a password reset tells the commissioning team.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct HelpRequest {
    /// The authority a login is asked of, when the asker's route says (a forgotten password
    /// goes to the user's own authority whatever this says).
    #[serde(default)]
    pub authority_id: Option<i64>,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub message: String,
}

/// A return address after login must be a path on this site (the rule is the domain's).
pub use hearth_domain::paths::safe_return;

impl App {
    /// Creates an API token for the signed-in user, who gives their password again; it lasts
    /// `days` (30, 90 or 365; 90 by default). The secret is shown once.
    pub async fn create_api_token(
        &self,
        who: &Principal,
        name: &str,
        password: &str,
        days: i64,
    ) -> Result<(String, i64), AppError> {
        let name = name.trim();
        let mut errors = FieldErrors::new();
        if name.is_empty() {
            errors.add(
                "token_name",
                "Enter a name for the token, like the system that will use it",
            );
        } else if name.chars().count() > 100 {
            errors.add("token_name", "Token name must be 100 characters or fewer");
        }
        if !API_TOKEN_DAYS.contains(&days) {
            errors.add("days", "Choose how long the token lasts");
        }
        // Making a token is a change of access: the password is asked for again.
        let attempt = self.signature_attempt(who.signed_in()?).await?;
        if password.is_empty() || !self.password_matches(who.signed_in()?, password).await? {
            errors.add("password", "Enter your password correctly");
        } else {
            self.limit_give_back(&attempt).await?;
        }
        errors.into_result()?;
        let secret = format!("hearth_{}", random_hex(24));
        let expires_at = self.now() + days * 86_400;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.insert_api_token(
            who.signed_in()?.id,
            name,
            &token_hash(&secret),
            Some(who.authority_id()),
            expires_at,
        )
        .await?;
        tx.commit().await?;
        Ok((secret, expires_at))
    }

    pub async fn api_tokens(
        &self,
        who: &Principal,
    ) -> Result<Vec<hearth_store::ApiToken>, AppError> {
        Ok(self.db.api_tokens_of(who.signed_in()?.id).await?)
    }

    pub async fn revoke_api_token(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        let mut tx = self.begin_write(&who.actor()).await?;
        if !tx.revoke_api_token(id, who.signed_in()?.id).await? {
            return Err(AppError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// The principal behind a bearer token, under the same rules as a session.
    pub async fn principal_for_token(&self, secret: &str) -> Result<Option<Principal>, AppError> {
        let Some(t) = self.db.api_token_by_hash(&token_hash(secret)).await? else {
            return Ok(None);
        };
        if t.expires_on() <= self.now() {
            return Ok(None);
        }
        let Some(user) = self.db.user_by_id(t.user_id).await? else {
            return Ok(None);
        };
        let p = self.principal_for(user, t.authority_id).await?;
        if p.is_some() {
            self.db.touch_api_token(t.id, self.now()).await?;
        }
        Ok(p)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc6238_and_tolerates_one_step_of_drift() {
        // RFC 6238 test secret "12345678901234567890" (SHA1), 8 digits 94287082 at T=59 -> 6 digits 287082.
        let secret = Secret::Raw(b"12345678901234567890".to_vec())
            .to_encoded()
            .to_string();
        assert_eq!(totp_code(&secret, 59).unwrap(), "287082");
        assert_eq!(totp_matching_step(&secret, "287082", 59), Some(1));
        assert_eq!(
            totp_matching_step(&secret, "287 082", 75),
            Some(1),
            "previous step accepted"
        );
        assert_eq!(totp_matching_step(&secret, "287082", 200), None, "too old");
        assert_eq!(totp_matching_step(&secret, "abcdef", 59), None);
    }

    #[test]
    fn return_addresses_stay_on_site() {
        assert!(safe_return("/providers/3"));
        assert!(!safe_return("//evil.example"));
        assert!(!safe_return("https://evil.example"));
        assert!(!safe_return("/login"));
    }

    #[test]
    fn otpauth_uri_is_escaped() {
        let u = otpauth_uri("Hearth", "a b", "ABC");
        assert_eq!(u, "otpauth://totp/Hearth:a%20b?secret=ABC&issuer=Hearth&algorithm=SHA1&digits=6&period=30");
    }
}
