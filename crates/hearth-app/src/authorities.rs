//! Setting up an authority in a deployment: adding one with safe default settings, and
//! listing them (issue 11, "Going live"). The command line acts as the system principal.

use hearth_domain::calendar::Region;
use hearth_domain::AuthorityCode;
use serde::{Deserialize, Serialize};

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A new authority, from the command line (or, later, the host administrator's form).
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
        who.require(Permission::Maintain)?;
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
        who.require(Permission::Maintain)?;
        let mut out = Vec::new();
        for a in self.db.authorities().await? {
            let (staff, providers) = self.db.authority_counts(a.id).await?;
            out.push(AuthoritySummary {
                id: a.id,
                region: region_of(&a.region),
                code: a.code,
                name: a.name,
                staff,
                providers,
                created_at: a.created_at,
            });
        }
        Ok(out)
    }
}
