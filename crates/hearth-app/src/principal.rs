//! Who is acting, and what they may see and do (F2.6, F2.7). Authorisation lives here, once.

use hearth_domain::{Assignment, Role};
use hearth_store::{Actor, Contact, ContractFilter, ProviderFilter, ServiceFilter, User};

use crate::{App, AppError};

/// What a route or use case needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Any signed-in user.
    SignedIn,
    /// Commissioning staff (any role, read-only included): read the back office.
    BackOfficeRead,
    /// Commissioning staff who may change records.
    BackOfficeWrite,
    /// Administrators: users, settings, audit.
    Administer,
    /// Finance officers: prepare, approve and pay payment runs, holds, the timetable and
    /// contracts' payment terms (issue 12).
    Finance,
    /// Provider users: their own organisation's portal.
    ProviderPortal,
    /// The deployment's own maintenance (the command line): users and imports of any
    /// authority. Only a system principal holds it, and it holds nothing else.
    Maintain,
    /// The host administrator's work: add authorities and their first administrators.
    /// Only a host principal holds it, and it holds nothing else but signing in.
    Host,
}

/// The authenticated user and the scope they act in.
// A provider principal carries its service scope; principals are made once a request, so the
// difference in size costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Principal {
    /// Commissioning staff of one authority.
    Staff {
        user: User,
        role: Role,
        authority_id: i64,
    },
    /// A provider user acting through their contact, in the authority they chose.
    Provider {
        user: User,
        contact: Contact,
        provider_id: i64,
        authority_id: i64,
        /// Under limited access, the only services this contact may see.
        service_scope: Option<Vec<i64>>,
    },
    /// Work no signed-in user does: a maintenance command (`cli:USERNAME`). It holds only
    /// [`Permission::Maintain`] and acts in no authority, so every scoped read finds nothing.
    System { name: String },
    /// A host administrator of a deployment with several authorities (issue 11). Acts in no
    /// authority, like the system principal, so every scoped read finds nothing; holds only
    /// [`Permission::SignedIn`] and [`Permission::Host`].
    Host { user: User },
}

/// The authority id of a principal that acts in none: no authority has it.
const NO_AUTHORITY: i64 = 0;

impl Principal {
    /// The system principal of a maintenance command, named like `cli:USERNAME`.
    pub fn system(name: &str) -> Principal {
        Principal::System {
            name: name.to_string(),
        }
    }

    /// The signed-in user; None for the system principal.
    pub fn user(&self) -> Option<&User> {
        match self {
            Principal::Staff { user, .. }
            | Principal::Provider { user, .. }
            | Principal::Host { user } => Some(user),
            Principal::System { .. } => None,
        }
    }

    /// The signed-in user, or Forbidden for the system principal (which has none).
    pub fn signed_in(&self) -> Result<&User, AppError> {
        self.user().ok_or(AppError::Forbidden)
    }

    /// The signed-in user's id; None for the system principal.
    pub fn user_id(&self) -> Option<i64> {
        self.user().map(|u| u.id)
    }

    pub fn role(&self) -> Role {
        match self {
            Principal::Staff { role, .. } => *role,
            Principal::Provider { .. } => Role::ProviderUser,
            // Holds no role's permissions (see `has`); read-only is the least of them.
            Principal::System { .. } => Role::ReadOnly,
            Principal::Host { .. } => Role::HostAdministrator,
        }
    }

    pub fn authority_id(&self) -> i64 {
        match self {
            Principal::Staff { authority_id, .. } | Principal::Provider { authority_id, .. } => {
                *authority_id
            }
            Principal::System { .. } | Principal::Host { .. } => NO_AUTHORITY,
        }
    }

    pub fn is_system(&self) -> bool {
        matches!(self, Principal::System { .. })
    }

    /// The actor written into audit entries.
    pub fn actor(&self) -> Actor {
        match self {
            Principal::Staff { user, .. } | Principal::Provider { user, .. } => Actor {
                user_id: Some(user.id),
                name: user.username.clone(),
                authority_id: Some(self.authority_id()),
            },
            // The host's writes go to the deployment's own chain, not an authority's.
            Principal::Host { user } => Actor {
                user_id: Some(user.id),
                name: user.username.clone(),
                authority_id: None,
            },
            Principal::System { name } => Actor::system(name),
        }
    }

    /// Whether this principal holds a permission.
    pub fn has(&self, p: Permission) -> bool {
        match (self, p) {
            (Principal::Staff { .. } | Principal::Provider { .. }, Permission::SignedIn) => true,
            (Principal::Staff { .. }, Permission::BackOfficeRead) => true,
            (Principal::Staff { role, .. }, Permission::BackOfficeWrite) => role.can_write(),
            (Principal::Staff { role, .. }, Permission::Administer) => *role == Role::Administrator,
            (Principal::Staff { role, .. }, Permission::Finance) => *role == Role::FinanceOfficer,
            (Principal::Provider { .. }, Permission::ProviderPortal) => true,
            (Principal::System { .. }, Permission::Maintain) => true,
            (Principal::System { .. }, _) => false,
            (Principal::Host { .. }, Permission::SignedIn | Permission::Host) => true,
            (Principal::Host { .. }, _) => false,
            (_, Permission::Host) => false,
            (_, Permission::Maintain) => false,
            _ => false,
        }
    }

    /// Err(Forbidden) unless the principal holds `p`.
    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.has(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Err(NotFound) unless the principal holds `p`: used where even knowing a record exists
    /// would say too much (a provider user reaching into the back office).
    pub fn require_or_hide(&self, p: Permission) -> Result<(), AppError> {
        if self.has(p) {
            Ok(())
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn is_staff(&self) -> bool {
        matches!(self, Principal::Staff { .. })
    }

    /// Scope of provider lists.
    pub fn provider_filter(&self) -> ProviderFilter {
        match self {
            Principal::Staff { authority_id, .. } => ProviderFilter {
                authority_id: Some(*authority_id),
                ..Default::default()
            },
            Principal::Provider { provider_id, .. } => ProviderFilter {
                provider_id: Some(*provider_id),
                ..Default::default()
            },
            Principal::System { .. } | Principal::Host { .. } => ProviderFilter {
                authority_id: Some(NO_AUTHORITY),
                ..Default::default()
            },
        }
    }

    /// Scope of service and property lists.
    pub fn service_filter(&self) -> ServiceFilter {
        match self {
            Principal::Staff { authority_id, .. } => ServiceFilter {
                authority_id: Some(*authority_id),
                ..Default::default()
            },
            Principal::Provider {
                provider_id,
                authority_id,
                service_scope,
                ..
            } => ServiceFilter {
                authority_id: Some(*authority_id),
                provider_id: Some(*provider_id),
                only_ids: service_scope.clone(),
                ..Default::default()
            },
            Principal::System { .. } | Principal::Host { .. } => ServiceFilter {
                authority_id: Some(NO_AUTHORITY),
                only_ids: Some(Vec::new()),
                ..Default::default()
            },
        }
    }

    /// Scope of contract lists.
    pub fn contract_filter(&self) -> ContractFilter {
        match self {
            Principal::Staff { authority_id, .. } => ContractFilter {
                authority_id: Some(*authority_id),
                ..Default::default()
            },
            Principal::Provider {
                provider_id,
                authority_id,
                ..
            } => ContractFilter {
                authority_id: Some(*authority_id),
                provider_id: Some(*provider_id),
                ..Default::default()
            },
            Principal::System { .. } | Principal::Host { .. } => ContractFilter {
                authority_id: Some(NO_AUTHORITY),
                ..Default::default()
            },
        }
    }

    /// Whether a service of (authority, provider, id) is inside this principal's scope.
    pub fn can_see_service(&self, authority_id: i64, provider_id: i64, service_id: i64) -> bool {
        match self {
            Principal::Staff {
                authority_id: a, ..
            } => *a == authority_id,
            Principal::Provider {
                provider_id: p,
                authority_id: a,
                service_scope,
                ..
            } => {
                *p == provider_id
                    && *a == authority_id
                    && service_scope
                        .as_ref()
                        .is_none_or(|ids| ids.contains(&service_id))
            }
            Principal::System { .. } | Principal::Host { .. } => false,
        }
    }

    /// Whether a record owned by (authority, provider) is inside this principal's scope.
    pub fn can_see_owned(&self, authority_id: i64, provider_id: i64) -> bool {
        match self {
            Principal::Staff {
                authority_id: a, ..
            } => *a == authority_id,
            Principal::Provider {
                provider_id: p,
                authority_id: a,
                ..
            } => *p == provider_id && *a == authority_id,
            Principal::System { .. } | Principal::Host { .. } => false,
        }
    }
}

impl App {
    /// Builds the principal for a user acting in `authority_id` (a provider user's choice of
    /// authority; staff always act in their own). None when the user may not act at all.
    pub async fn principal_for(
        &self,
        user: User,
        chosen_authority: Option<i64>,
    ) -> Result<Option<Principal>, AppError> {
        if user.disabled != 0 {
            return Ok(None);
        }
        let Ok(role) = Role::parse(&user.role) else {
            return Ok(None);
        };
        if role == Role::HostAdministrator {
            // Belongs to no authority, whatever the row says.
            return Ok(Some(Principal::Host { user }));
        }
        if role != Role::ProviderUser {
            let Some(authority_id) = user.authority_id else {
                return Ok(None);
            };
            return Ok(Some(Principal::Staff {
                user,
                role,
                authority_id,
            }));
        }
        let Some(contact_id) = user.contact_id else {
            return Ok(None);
        };
        let Some(contact) = self.db.contact(contact_id).await? else {
            return Ok(None);
        };
        if contact.active == 0 {
            return Ok(None);
        }
        let Some(provider) = self.db.provider(contact.provider_id).await? else {
            return Ok(None);
        };
        let authorities = self.db.provider_authorities(provider.id).await?;
        let authority_id = match chosen_authority {
            Some(a) if authorities.iter().any(|x| x.id == a) => a,
            _ => match authorities.first() {
                Some(a) => a.id,
                None => return Ok(None),
            },
        };
        let service_scope = if provider.limited_access != 0 {
            let assignments = self.db.contact_assignments(contact.id).await?;
            let sees_all = assignments.iter().any(|a| {
                a.assignment == Assignment::OrganisationContact.as_str()
                    || a.assignment == Assignment::AccreditationContact.as_str()
            });
            if sees_all {
                None
            } else {
                Some(self.db.assigned_service_ids(contact.id).await?)
            }
        } else {
            None
        };
        Ok(Some(Principal::Provider {
            user,
            provider_id: provider.id,
            contact,
            authority_id,
            service_scope,
        }))
    }
}
