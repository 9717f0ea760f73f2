//! Responsible officers (issue 10, core records): the lead (purchasing) officer and the
//! contract manager of each provider and service. The Derbyshire procedures name both: the
//! purchasing officer checks returns and leads contract management, the contracts manager
//! decides priorities with them, and the workbook's contract page names the contract manager
//! with contact details. A service names its own officers or has its provider's.

use hearth_domain::Role;
pub use hearth_store::Officers;
use hearth_store::Service;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A member of staff who may be named a responsible officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// The officers of a provider or a service, named; for a service, whether each is its
/// provider's (not named on the service itself).
#[derive(Debug, Clone, Default)]
pub struct ResponsibleOfficers {
    pub lead: Option<Officer>,
    pub contract_manager: Option<Officer>,
    pub lead_from_provider: bool,
    pub contract_manager_from_provider: bool,
    /// The ids set on the record itself (for a service, None where it uses its provider's).
    pub own: Officers,
}

/// The roles whose holders lead on providers: officers, contracts managers and administrators
/// (the team's manager); not finance, data clerks or read-only members.
fn may_be_officer(role: &str) -> bool {
    matches!(
        Role::parse(role),
        Ok(Role::Officer | Role::ContractsManager | Role::Administrator)
    )
}

impl App {
    /// The staff of the principal's authority who may be named responsible officers, by name.
    pub async fn officer_choices(&self, who: &Principal) -> Result<Vec<Officer>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let authority = who.authority_id();
        let mut out: Vec<Officer> = self
            .db
            .list_users(Some(authority))
            .await?
            .into_iter()
            .filter(|u| u.authority_id == Some(authority) && u.disabled == 0)
            .filter(|u| may_be_officer(&u.role))
            .map(|u| Officer {
                id: u.id,
                name: u.display_name,
                email: u.email,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    async fn named(&self, ids: Officers) -> Result<(Option<Officer>, Option<Officer>), AppError> {
        let wanted: Vec<i64> = [ids.lead_officer_id, ids.contract_manager_id]
            .into_iter()
            .flatten()
            .collect();
        let names = self.db.user_names(&wanted).await?;
        let officer = |id: Option<i64>| {
            id.and_then(|id| {
                names.get(&id).map(|(name, email)| Officer {
                    id,
                    name: name.clone(),
                    email: email.clone(),
                })
            })
        };
        Ok((
            officer(ids.lead_officer_id),
            officer(ids.contract_manager_id),
        ))
    }

    /// A provider's responsible officers in the principal's authority (its own staff see them
    /// too: they need to know who their contract manager is).
    pub async fn provider_officers(
        &self,
        who: &Principal,
        provider_id: i64,
    ) -> Result<ResponsibleOfficers, AppError> {
        self.provider(who, provider_id).await?;
        let reg = self
            .db
            .provider_officers(provider_id, who.authority_id())
            .await?
            .ok_or(AppError::NotFound)?;
        let own = Officers {
            lead_officer_id: reg.lead_officer_id,
            contract_manager_id: reg.contract_manager_id,
        };
        let (lead, contract_manager) = self.named(own).await?;
        Ok(ResponsibleOfficers {
            lead,
            contract_manager,
            own,
            ..Default::default()
        })
    }

    /// The officers in effect for a service: its own, else its provider's.
    pub async fn service_officers(
        &self,
        who: &Principal,
        service: &Service,
    ) -> Result<ResponsibleOfficers, AppError> {
        self.service(who, service.id).await?;
        let effective = self.db.service_officers(service).await?;
        let (lead, contract_manager) = self.named(effective).await?;
        Ok(ResponsibleOfficers {
            lead,
            contract_manager,
            lead_from_provider: service.lead_officer_id.is_none()
                && effective.lead_officer_id.is_some(),
            contract_manager_from_provider: service.contract_manager_id.is_none()
                && effective.contract_manager_id.is_some(),
            own: Officers {
                lead_officer_id: service.lead_officer_id,
                contract_manager_id: service.contract_manager_id,
            },
        })
    }

    /// Each chosen officer must be one of the authority's [`officer_choices`](Self::officer_choices).
    async fn check_officers(&self, who: &Principal, chosen: Officers) -> Result<(), AppError> {
        let allowed = self.officer_choices(who).await?;
        let mut errors = FieldErrors::new();
        for (field, id) in [
            ("lead_officer", chosen.lead_officer_id),
            ("contract_manager", chosen.contract_manager_id),
        ] {
            if let Some(id) = id {
                if !allowed.iter().any(|o| o.id == id) {
                    errors.add(
                        field,
                        "Select an officer, contracts manager or administrator of this authority",
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(errors))
        }
    }

    /// Names a provider's responsible officers in the principal's authority.
    pub async fn set_provider_officers(
        &self,
        who: &Principal,
        provider_id: i64,
        chosen: Officers,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.provider(who, provider_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        self.check_officers(who, chosen).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_provider_officers(provider_id, who.authority_id(), chosen)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(())
    }

    /// Names a service's own responsible officers (None: its provider's).
    pub async fn set_service_officers(
        &self,
        who: &Principal,
        service_id: i64,
        chosen: Officers,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        self.check_officers(who, chosen).await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_service_officers(service_id, chosen)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(())
    }

    /// How many providers name the signed-in officer (home page: "my providers").
    pub async fn count_my_providers(&self, who: &Principal) -> Result<i64, AppError> {
        let (Principal::Staff { authority_id, .. }, Some(me)) = (who, who.user_id()) else {
            return Err(AppError::NotFound);
        };
        Ok(self
            .db
            .count_providers_of_officer(*authority_id, me)
            .await?)
    }
}
