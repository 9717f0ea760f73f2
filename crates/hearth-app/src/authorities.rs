//! Setting up an authority in a deployment: adding one with safe default settings, listing
//! them, and giving each its first administrators (issue 11, "Going live"). The command line
//! acts as the system principal; in the browser, the host administrator of a deployment that
//! hosts several authorities does the same, and sees none of any authority's records.

use hearth_domain::calendar::Region;
use hearth_domain::AuthorityCode;
use serde::{Deserialize, Serialize};

use crate::admin::{temporary_password, UserInput};
use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A new authority, from the command line or the host administrator's form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewAuthority {
    /// Its short code, e.g. "BRK" (any case).
    pub code: String,
    /// Its name as people see it, e.g. "Brackenshire County Council".
    pub name: String,
    /// A region code ("england-and-wales", "scotland", "northern-ireland"); empty means
    /// England and Wales.
    #[serde(default)]
    pub region: String,
}

/// An authority as an operator sees it: who it is, where, and how many staff it has.
#[derive(Debug, Clone)]
pub struct AuthoritySummary {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub region: Region,
    /// Accounts of its commissioning staff.
    pub staff: i64,
    /// Providers registered with it.
    pub providers: i64,
    pub created_at: i64,
}

/// A first (or further) administrator of an authority, from the host administrator's form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct NewAdministrator {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub email: String,
}

/// An authority's administrator as the host sees them: who, and whether they have set up
/// their account yet (the temporary password changed and the authenticator enrolled).
#[derive(Debug, Clone)]
pub struct AdministratorSummary {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub set_up: bool,
    pub disabled: bool,
    pub created_at: i64,
}

/// Only the command line (system) or the host administrator sets up authorities.
fn require_host(who: &Principal) -> Result<(), AppError> {
    if who.has(Permission::Maintain) || who.has(Permission::Host) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn region_of(code: &str) -> Region {
    // The column is written only from a parsed Region; an unknown value (a hand edit) is
    // read as the default region rather than hiding the authority.
    Region::parse(code).unwrap_or(Region::EnglandAndWales)
}

impl App {
    /// Adds an authority with the default settings (UK password policy, a second factor
    /// for everyone, sessions ending after 20 idle minutes). Its first administrator is
    /// then added with `hearth user add --role administrator --authority CODE`.
    pub async fn add_authority(
        &self,
        who: &Principal,
        input: &NewAuthority,
    ) -> Result<AuthoritySummary, AppError> {
        require_host(who)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let code = e.check("code", AuthorityCode::parse(&input.code));
        let name = input.name.trim();
        if name.is_empty() {
            e.add("name", "Enter the authority's name");
        }
        let region = if input.region.trim().is_empty() {
            Some(Region::EnglandAndWales)
        } else {
            e.check("region", Region::parse_field(&input.region))
        };
        if let Some(code) = &code {
            let taken = self
                .db
                .authorities()
                .await?
                .into_iter()
                .any(|a| code.matches(&a.code));
            if taken {
                e.add(
                    "code",
                    format!("There is already an authority with code {code}"),
                );
            }
        }
        e.into_result()?;
        let (Some(code), Some(region)) = (code, region) else {
            return Err(AppError::invalid("code", "Enter the authority's code"));
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        // A real authority: the database no longer holds only a demo, so `hearth demo` will
        // not replace it.
        if self.db.setting(crate::demo::DEMO_MARK).await?.is_some() {
            tx.set_setting(crate::demo::DEMO_MARK, "").await?;
        }
        let added = tx
            .insert_authority_in(name, code.as_str(), region.as_str())
            .await;
        let a = match added {
            Ok(a) => a,
            // Another operator added the same code at the same moment.
            Err(err) if err.is_unique_violation() => {
                return Err(AppError::invalid(
                    "code",
                    format!("There is already an authority with code {code}"),
                ))
            }
            Err(err) => return Err(err.into()),
        };
        tx.commit().await?;
        Ok(AuthoritySummary {
            id: a.id,
            code: a.code,
            name: a.name,
            region,
            staff: 0,
            providers: 0,
            created_at: a.created_at,
        })
    }

    /// Every authority in the deployment, by name, with its staff and provider counts.
    pub async fn list_authorities(
        &self,
        who: &Principal,
    ) -> Result<Vec<AuthoritySummary>, AppError> {
        require_host(who)?;
        let mut out = Vec::new();
        for a in self.db.authorities().await? {
            out.push(self.summary_of(a).await?);
        }
        Ok(out)
    }

    /// One authority, as the host sees it.
    pub async fn authority_summary(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<AuthoritySummary, AppError> {
        require_host(who)?;
        let a = self.db.authority(id).await?.ok_or(AppError::NotFound)?;
        self.summary_of(a).await
    }

    /// An authority with its staff and provider counts.
    async fn summary_of(&self, a: hearth_store::Authority) -> Result<AuthoritySummary, AppError> {
        let (staff, providers) = self.db.authority_counts(a.id).await?;
        Ok(AuthoritySummary {
            id: a.id,
            region: region_of(&a.region),
            code: a.code,
            name: a.name,
            staff,
            providers,
            created_at: a.created_at,
        })
    }

    /// The administrators of an authority (no other account, and nothing else of its
    /// records), for the host administrator.
    pub async fn authority_administrators(
        &self,
        who: &Principal,
        authority_id: i64,
    ) -> Result<Vec<AdministratorSummary>, AppError> {
        require_host(who)?;
        self.db
            .authority(authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(self
            .db
            .list_users(Some(authority_id))
            .await?
            .into_iter()
            .filter(|u| {
                u.authority_id == Some(authority_id)
                    && u.role == hearth_domain::Role::Administrator.as_str()
            })
            .map(|u| AdministratorSummary {
                id: u.id,
                set_up: u.must_change_password == 0 && u.totp_secret.is_some(),
                disabled: u.disabled != 0,
                username: u.username,
                display_name: u.display_name,
                email: u.email,
                created_at: u.created_at,
            })
            .collect())
    }

    /// Adds an administrator to an authority with a temporary password (returned, shown
    /// once), which they change when they first sign in, enrolling their authenticator at
    /// the same time. From there the authority's administrator adds its own staff.
    pub async fn add_authority_administrator(
        &self,
        who: &Principal,
        authority_id: i64,
        input: &NewAdministrator,
    ) -> Result<(hearth_store::User, String), AppError> {
        require_host(who)?;
        self.db
            .authority(authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let temp = temporary_password();
        let user = self
            .create_user_as(
                &who.actor(),
                &UserInput {
                    username: input.username.clone(),
                    display_name: input.display_name.clone(),
                    email: input.email.clone(),
                    role: hearth_domain::Role::Administrator.as_str().to_string(),
                    authority_id: Some(authority_id),
                    contact_id: None,
                },
                &temp,
                None,
                true,
            )
            .await?;
        Ok((user, temp))
    }
}
