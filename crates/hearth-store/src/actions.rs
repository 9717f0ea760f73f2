//! Actions (F3.8): time-bound tasks the commissioning team sets for a provider or one of its
//! contacts, and their completion.

use crate::write::{audited, Changes};
use crate::{record, Db, StoreError, WriteTx};

record!(
    /// A time-bound task set for a provider or one of its contacts.
    Action {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        contact_id: Option<i64>,
        title: String,
        description: String,
        due_date: String,
        priority: String,
        status: String,
        done_note: String,
        done_by_name: Option<String>,
        done_at: Option<i64>,
        created_by_name: String,
        created_at: i64,
    }
);

/// Fields of a new action.
#[derive(Debug, Clone, Default)]
pub struct NewAction {
    pub authority_id: i64,
    pub provider_id: i64,
    pub contact_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub due_date: String,
    pub priority: String,
}

impl Db {
    pub async fn action(&self, id: i64) -> Result<Option<Action>, StoreError> {
        let row = sqlx::query("SELECT * FROM actions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Action::from_row).transpose()
    }

    /// Actions of an authority, optionally of one provider, optionally only open ones.
    pub async fn list_actions(
        &self,
        authority_id: i64,
        provider_id: Option<i64>,
        open_only: bool,
    ) -> Result<Vec<Action>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM actions WHERE authority_id = $1 AND ($2 = 0 OR provider_id = $3) AND ($4 = 0 OR status = 'open')
             ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, due_date, id",
        )
        .bind(authority_id)
        .bind(i64::from(provider_id.is_some()))
        .bind(provider_id.unwrap_or(0))
        .bind(i64::from(open_only))
        .fetch_all(&self.pool)
        .await?;
        Action::from_rows(&rows)
    }
}

audited!(Action, Action, "actions");

impl WriteTx {
    pub async fn insert_action(&mut self, a: &NewAction) -> Result<Action, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("authority_id", a.authority_id)
                .set("provider_id", a.provider_id)
                .set("contact_id", a.contact_id)
                .set("title", a.title.clone())
                .set("description", a.description.clone())
                .set("due_date", a.due_date.clone())
                .set("priority", a.priority.clone())
                .set("status", "open")
                .set("created_by_name", by)
                .set("created_at", at),
        )
        .await
    }

    /// Marks an open action done with a note.
    pub async fn complete_action(
        &mut self,
        id: i64,
        note: &str,
    ) -> Result<Option<Action>, StoreError> {
        match self.current::<Action>(id).await? {
            Some(a) if a.status == "open" => {}
            _ => return Ok(None),
        }
        let values = Changes::new()
            .set("status", "done")
            .set("done_note", note)
            .set("done_by_name", self.actor().name.clone())
            .set("done_at", self.at());
        self.change(id, "complete", values).await
    }
}
