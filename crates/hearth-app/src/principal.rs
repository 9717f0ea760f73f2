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
    /// Provider users: their own organisation's portal.
    ProviderPortal,
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
}

impl Principal {
    pub fn user(&self) -> &User {
        match self {
            Principal::Staff { user, .. } | Principal::Provider { user, .. } => user,
        }
    }

    pub fn role(&self) -> Role {
        match self {
            Principal::Staff { role, .. } => *role,
            Principal::Provider { .. } => Role::ProviderUser,
        }
    }

    pub fn authority_id(&self) -> i64 {
        match self {
            Principal::Staff { authority_id, .. } | Principal::Provider { authority_id, .. } => {
                *authority_id
            }
        }
    }

    /// The actor written into audit entries.
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user().id),
            name: self.user().username.clone(),
            authority_id: Some(self.authority_id()),
        }
    }

    /// Whether this principal holds a permission.
    pub fn has(&self, p: Permission) -> bool {
        match (self, p) {
            (_, Permission::SignedIn) => true,
            (Principal::Staff { .. }, Permission::BackOfficeRead) => true,
            (Principal::Staff { role, .. }, Permission::BackOfficeWrite) => role.can_write(),
            (Principal::Staff { role, .. }, Permission::Administer) => *role == Role::Administrator,
            (Principal::Provider { .. }, Permission::ProviderPortal) => true,
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
