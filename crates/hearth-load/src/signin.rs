//! Demo accounts and signing a session in: password, then the current TOTP code.

use crate::html;
use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;
use totp_rs::{Algorithm, Secret, TOTP};

pub struct Account {
    pub role: String,
    pub username: String,
    pub password: String,
    pub secret: String,
}

/// Reads the accounts file: one line per account, tab-separated
/// `role, username, password, base32 TOTP secret`; blank lines and `#` comments skipped.
pub fn read_accounts(path: &Path) -> Result<Vec<Account>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the accounts file {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 4 {
            bail!(
                "{} line {}: expected 4 tab-separated fields (role, username, password, TOTP secret), found {}",
                path.display(),
                n + 1,
                f.len()
            );
        }
        out.push(Account {
            role: f[0].to_string(),
            username: f[1].to_string(),
            password: f[2].to_string(),
            secret: f[3].to_string(),
        });
    }
    Ok(out)
}

/// The 6-digit code of a base32 secret (SHA1, 30-second step) `ahead` steps from now, as an
/// authenticator app shows it (`ahead` 0).
pub fn totp_code(secret_b32: &str, ahead: u64) -> Result<String> {
    let bytes = Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|e| anyhow!("the TOTP secret is not valid base32: {e:?}"))?;
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes)
        .map_err(|e| anyhow!("unusable TOTP secret: {e:?}"))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| anyhow!("system clock: {e}"))?
        .as_secs();
    Ok(totp.generate(now + 30 * ahead))
}

async fn csrf_of(client: &reqwest::Client, url: &str) -> Result<String> {
    let r = client
        .get(url)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = r.status();
    let body = r.text().await.with_context(|| format!("reading {url}"))?;
    if !status.is_success() {
        bail!("GET {url} answered {status}");
    }
    html::field_value(&body, "csrf").ok_or_else(|| anyhow!("no csrf field on {url}"))
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// Signs `client` in as `a`. Returns where the server sent it (normally `/home`).
pub async fn sign_in(client: &reqwest::Client, base: &str, a: &Account) -> Result<String> {
    let csrf = csrf_of(client, &format!("{base}/login")).await?;
    let r = client
        .post(format!("{base}/login"))
        .form(&[
            ("username", a.username.as_str()),
            ("password", a.password.as_str()),
            ("next", ""),
            ("csrf", csrf.as_str()),
        ])
        .send()
        .await
        .context("POST /login")?;
    let to = location(&r);
    if r.status().as_u16() != 303 || to != "/login/code" {
        bail!(
            "password step: expected 303 to /login/code, got {} {}",
            r.status(),
            if to.is_empty() { "(no Location)" } else { &to }
        );
    }
    let mut csrf = csrf_of(client, &format!("{base}/login/code")).await?;
    let mut ahead = 0;
    let r = loop {
        let code = totp_code(&a.secret, ahead)?;
        let r = client
            .post(format!("{base}/login/code"))
            .form(&[("code", code.as_str()), ("csrf", csrf.as_str())])
            .send()
            .await
            .context("POST /login/code")?;
        // A code is accepted once: if this account signed in during this 30-second step
        // already (an earlier run), the server refuses the current code but accepts the next
        // step's (it allows a step of clock drift). Try that once.
        if r.status().as_u16() == 422 && ahead == 0 {
            let body = r.text().await.context("reading the code page")?;
            csrf = html::field_value(&body, "csrf")
                .ok_or_else(|| anyhow!("no csrf field on the refused code page"))?;
            ahead = 1;
            continue;
        }
        break r;
    };
    let to = location(&r);
    let to = to.strip_prefix(base).unwrap_or(&to).to_string();
    if r.status().as_u16() != 303 {
        bail!(
            "code step: expected 303, got {}{}",
            r.status(),
            if ahead > 0 {
                " for this step's code and the next (the account signed in within the last 30 seconds, or the secret or clock is wrong)"
            } else {
                ""
            }
        );
    }
    if to.starts_with("/account/password") {
        bail!("code step: the server asks for a password change (303 to {to})");
    }
    if !to.starts_with('/') || to.starts_with("/login") {
        bail!("code step: unexpected redirect to {to:?}");
    }
    Ok(to)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn totp_codes_are_six_digits() {
        let code = totp_code("OPSPQUKBFTJGZHHVXI2YYVZEYSXSYP7C", 0).unwrap();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert!(totp_code("not base32!", 0).is_err());
    }
}
