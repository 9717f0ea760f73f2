//! Versions of a service's workbook for a year (F4.6).

#[allow(unused_imports)]
use super::*;

/// A version of a service's workbook for a year (F4.6): issued when the contract sheet's data
/// changes mid-year, effective from a quarter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkbookVersion {
    pub version: u32,
    pub from_quarter: u8,
    pub reason: String,
    pub issued_by: String,
    pub issued_on: String,
}

use serde::Serialize;

impl App {
    /// The workbook versions issued for a service's year after the first (V1 is implied).
    pub async fn workbook_versions(
        &self,
        service_id: i64,
        year: FinancialYear,
    ) -> Result<Vec<WorkbookVersion>, AppError> {
        Ok(self
            .db
            .workbook_versions_of(service_id, i64::from(year.start_year))
            .await?
            .into_iter()
            .map(|r| WorkbookVersion {
                version: u32::try_from(r.version).unwrap_or(1),
                from_quarter: u8::try_from(r.from_quarter).unwrap_or(1),
                reason: r.reason,
                issued_by: r.issued_by,
                issued_on: r.issued_on,
            })
            .collect())
    }

    /// The version in force for a quarter (1 unless a later one took effect by then).
    pub async fn workbook_version_for(&self, service_id: i64, q: Quarter) -> Result<u32, AppError> {
        Ok(self
            .workbook_versions(service_id, q.year())
            .await?
            .iter()
            .filter(|v| v.from_quarter <= q.number())
            .map(|v| v.version)
            .max()
            .unwrap_or(1))
    }

    /// The commissioning team issues a new workbook version from a quarter, after the contract
    /// sheet's data changed; the provider is told to use it.
    pub async fn issue_workbook_version(
        &self,
        who: &Principal,
        service_id: i64,
        year: FinancialYear,
        from_quarter: u8,
        reason: &str,
    ) -> Result<WorkbookVersion, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let s = self.service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("reason", reason)?;
        let mut e = FieldErrors::new();
        if !(1..=4).contains(&from_quarter) {
            e.add(
                "from_quarter",
                "Choose the quarter the new version applies from",
            );
        }
        if reason.trim().is_empty() {
            e.add("reason", "Say what changed on the contract sheet");
        }
        e.into_result()?;
        let versions = self.workbook_versions(service_id, year).await?;
        let version = versions.iter().map(|v| v.version).max().unwrap_or(1) + 1;
        let v = WorkbookVersion {
            version,
            from_quarter,
            reason: reason.trim().to_string(),
            issued_by: who.signed_in()?.username.clone(),
            issued_on: self.today().to_string(),
        };
        let provider = self
            .db
            .provider(s.provider_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.insert_workbook_version(&hearth_store::NewWorkbookVersion {
            service_id,
            year_start: i64::from(year.start_year),
            version: i64::from(version),
            from_quarter: i64::from(from_quarter),
            reason: v.reason.clone(),
            issued_by: v.issued_by.clone(),
            issued_on: v.issued_on.clone(),
        })
        .await?;
        if !provider.email.is_empty() {
            tx.queue_mail(
                &provider.email,
                &format!("New workbook for {} {}: version {version}", s.name, year.label()),
                &format!("The contract details of {} changed ({}). From quarter {from_quarter} use version {version} of the {} workbook: download it from Hearth. Earlier quarters keep their accepted figures; the old version is refused for quarter {from_quarter} onwards.", s.name, v.reason, year.label()),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(v)
    }
}
