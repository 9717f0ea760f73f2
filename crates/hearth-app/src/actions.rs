//! Actions (F3.8): what the commissioning team asks of a provider, with a due date and
//! priority, and their completion.

use crate::error::ConflictCode;
use hearth_domain::parse_date;
use hearth_store::{Action, NewAction};
use serde::Deserialize;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// Provider and contact names for a list of actions: (id, name) pairs.
#[derive(Debug, Clone, Default)]
pub struct ActionNames {
    pub providers: Vec<(i64, String)>,
    pub contacts: Vec<(i64, String)>,
}

impl ActionNames {
    pub fn provider(&self, id: i64) -> Option<&str> {
        self.providers
            .iter()
            .find(|(p, _)| *p == id)
            .map(|(_, n)| n.as_str())
    }

    pub fn contact(&self, id: i64) -> Option<&str> {
        self.contacts
            .iter()
            .find(|(c, _)| *c == id)
            .map(|(_, n)| n.as_str())
    }
}

pub const PRIORITIES: &[(&str, &str)] = &[("high", "High"), ("medium", "Medium"), ("low", "Low")];

/// The action form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ActionInput {
    #[serde(default)]
    pub contact_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub due_date: String,
    #[serde(default)]
    pub priority: String,
}

impl App {
    pub async fn create_action(
        &self,
        who: &Principal,
        provider_id: i64,
        input: &ActionInput,
    ) -> Result<Action, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let provider = self.provider(who, provider_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        if input.title.trim().is_empty() {
            e.add("title", "Enter what needs to be done");
        }
        let due = e.check("due_date", parse_date(&input.due_date));
        if !PRIORITIES.iter().any(|(p, _)| *p == input.priority) {
            e.add("priority", "Select the priority");
        }
        let contact_id = match input.contact_id.trim() {
            "" => None,
            c => match c.parse::<i64>() {
                Ok(id)
                    if self
                        .db
                        .contact(id)
                        .await?
                        .is_some_and(|c| c.provider_id == provider.id && c.active != 0) =>
                {
                    Some(id)
                }
                _ => {
                    e.add(
                        "contact_id",
                        "Select a current contact of this provider, or the whole organisation",
                    );
                    None
                }
            },
        };
        e.into_result()?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let a = tx
            .insert_action(&NewAction {
                authority_id: who.authority_id(),
                provider_id,
                contact_id,
                title: input.title.trim().to_string(),
                description: input.description.trim().to_string(),
                due_date: due.map(|d| d.to_string()).unwrap_or_default(),
                priority: input.priority.clone(),
            })
            .await?;
        tx.commit().await?;
        Ok(a)
    }

    /// Actions the principal may see: the provider's (all, or only those set for their
    /// contact), or the authority's with an optional provider filter.
    pub async fn list_actions(
        &self,
        who: &Principal,
        mine_only: bool,
        provider: Option<i64>,
    ) -> Result<Vec<Action>, AppError> {
        match who {
            Principal::Provider {
                provider_id,
                authority_id,
                contact,
                ..
            } => {
                let all = self
                    .db
                    .list_actions(*authority_id, Some(*provider_id), false)
                    .await?;
                Ok(all
                    .into_iter()
                    .filter(|a| !mine_only || a.contact_id == Some(contact.id))
                    .collect())
            }
            Principal::Staff { authority_id, .. } => {
                Ok(self.db.list_actions(*authority_id, provider, false).await?)
            }
            Principal::System { .. } | Principal::Host { .. } => Err(AppError::NotFound),
        }
    }

    pub async fn action(&self, who: &Principal, id: i64) -> Result<Action, AppError> {
        match self.db.action(id).await? {
            Some(a) if who.can_see_owned(a.authority_id, a.provider_id) => Ok(a),
            _ => Err(AppError::NotFound),
        }
    }

    /// A provider marks an action done with a note.
    pub async fn complete_action(
        &self,
        who: &Principal,
        id: i64,
        note: &str,
    ) -> Result<Action, AppError> {
        let a = self.action(who, id).await?;
        who.require_or_hide(Permission::ProviderPortal)?;
        crate::text::check_text("note", note)?;
        if note.trim().is_empty() {
            return Err(AppError::invalid(
                "note",
                "Enter a note saying what was done",
            ));
        }
        if a.status != "open" {
            return Err(AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This action is already done.".into(),
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let done = tx.complete_action(id, note.trim()).await?.ok_or_else(|| {
            AppError::Conflict(
                ConflictCode::AlreadyDecided,
                "This action is already done.".into(),
            )
        })?;
        tx.commit().await?;
        Ok(done)
    }

    /// Open actions of the provider that are due within a week or overdue (home page).
    pub async fn count_actions_due(&self, who: &Principal) -> Result<i64, AppError> {
        let soon = (self.today() + chrono::Duration::days(7)).to_string();
        Ok(self
            .list_actions(who, false, None)
            .await?
            .iter()
            .filter(|a| a.status == "open" && a.due_date <= soon)
            .count() as i64)
    }

    /// The names of the providers and contacts a list of actions is for, as far as the
    /// principal may see them (actions from [`App::list_actions`]).
    pub async fn action_names(
        &self,
        who: &Principal,
        actions: &[Action],
    ) -> Result<ActionNames, AppError> {
        let mut names = ActionNames::default();
        for a in actions {
            if !who.can_see_owned(a.authority_id, a.provider_id) {
                continue;
            }
            if !names.providers.iter().any(|(id, _)| *id == a.provider_id) {
                if let Some(p) = self.db.provider(a.provider_id).await? {
                    names.providers.push((p.id, p.name));
                }
            }
            if let Some(c) = a
                .contact_id
                .filter(|c| !names.contacts.iter().any(|(id, _)| id == c))
            {
                if let Some(ct) = self.db.contact(c).await? {
                    names.contacts.push((ct.id, ct.full_name()));
                }
            }
        }
        Ok(names)
    }
}
