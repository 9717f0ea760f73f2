//! Actions (F3.8), contract documents and signatures (F3.6), contact maintenance (F3.7).

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

record!(
    /// A contract document without its content.
    ContractDocument {
        id: i64,
        contract_id: i64,
        title: String,
        source: String,
        filename: String,
        content_type: String,
        size_bytes: i64,
        progress: String,
        provider_comments: String,
        created_by_name: String,
        created_at: i64,
        updated_at: i64,
    }
);

record!(
    /// Who signed a document and when.
    Signature {
        id: i64,
        document_id: i64,
        user_id: i64,
        signed_by_name: String,
        signed_at: i64,
    }
);

const DOC_COLUMNS: &str = "id, contract_id, title, source, filename, content_type, size_bytes, progress, provider_comments, created_by_name, created_at, updated_at";

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

    pub async fn contract_documents(
        &self,
        contract_id: i64,
    ) -> Result<Vec<ContractDocument>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {DOC_COLUMNS} FROM contract_documents WHERE contract_id = $1 ORDER BY created_at, id"))
            .bind(contract_id)
            .fetch_all(&self.pool)
            .await?;
        ContractDocument::from_rows(&rows)
    }

    pub async fn contract_document(&self, id: i64) -> Result<Option<ContractDocument>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} FROM contract_documents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ContractDocument::from_row).transpose()
    }

    pub async fn document_content(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT content FROM contract_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get::<Vec<u8>, _>("content")?),
            None => None,
        })
    }

    pub async fn document_signatures(
        &self,
        document_id: i64,
    ) -> Result<Vec<Signature>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM document_signatures WHERE document_id = $1 ORDER BY signed_at, id",
        )
        .bind(document_id)
        .fetch_all(&self.pool)
        .await?;
        Signature::from_rows(&rows)
    }

    /// Documents of a provider's contracts (in an authority) that no one has signed yet.
    pub async fn count_unsigned_documents(
        &self,
        provider_id: i64,
        authority_id: i64,
    ) -> Result<i64, StoreError> {
        crate::accounts::count_of(
            &sqlx::query(
                "SELECT COUNT(*) AS n FROM contract_documents d JOIN contracts c ON c.id = d.contract_id
                 WHERE c.provider_id = $1 AND c.authority_id = $2
                 AND NOT EXISTS (SELECT 1 FROM document_signatures s WHERE s.document_id = d.id)",
            )
            .bind(provider_id)
            .bind(authority_id)
            .fetch_one(&self.pool)
            .await?,
        )
    }

    /// Assignments held by a contact, with what they cover (for the deactivation check).
    pub async fn assignments_of_provider(
        &self,
        provider_id: i64,
    ) -> Result<Vec<crate::ContactAssignment>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.* FROM contact_assignments a JOIN contacts c ON c.id = a.contact_id WHERE c.provider_id = $1 ORDER BY a.id",
        )
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        crate::ContactAssignment::from_rows(&rows)
    }
}

impl WriteTx {
    pub async fn insert_action(&mut self, a: &NewAction) -> Result<Action, StoreError> {
        let by = self.actor().name.clone();
        let row = sqlx::query(
            "INSERT INTO actions (authority_id, provider_id, contact_id, title, description, due_date, priority, status, created_by_name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING *",
        )
        .bind(a.authority_id)
        .bind(a.provider_id)
        .bind(a.contact_id)
        .bind(a.title.clone())
        .bind(a.description.clone())
        .bind(a.due_date.clone())
        .bind(a.priority.clone())
        .bind(by)
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let created = Action::from_row(&row)?;
        self.audit(
            "create",
            "action",
            &created.id.to_string(),
            None,
            Some(&created.to_json()),
        )
        .await?;
        Ok(created)
    }

    /// Marks an open action done with a note.
    pub async fn complete_action(
        &mut self,
        id: i64,
        note: &str,
    ) -> Result<Option<Action>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM actions WHERE id = $1 AND status = 'open'")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Action::from_row(&row)?;
        let by = self.actor().name.clone();
        let row = sqlx::query("UPDATE actions SET status = 'done', done_note = $2, done_by_name = $3, done_at = $4 WHERE id = $1 RETURNING *")
            .bind(id)
            .bind(note)
            .bind(by)
            .bind(self.at())
            .fetch_one(&mut *self.tx)
            .await?;
        let after = Action::from_row(&row)?;
        self.audit(
            "complete",
            "action",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }

    pub async fn insert_document(
        &mut self,
        contract_id: i64,
        title: &str,
        source: &str,
        filename: &str,
        content_type: &str,
        content: &[u8],
    ) -> Result<ContractDocument, StoreError> {
        let by = self.actor().name.clone();
        let row = sqlx::query(&format!(
            "INSERT INTO contract_documents (contract_id, title, source, filename, content_type, content, size_bytes, progress, created_by_name, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9) RETURNING {DOC_COLUMNS}"
        ))
        .bind(contract_id)
        .bind(title)
        .bind(source)
        .bind(filename)
        .bind(content_type)
        .bind(content.to_vec())
        .bind(content.len() as i64)
        .bind(by)
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let d = ContractDocument::from_row(&row)?;
        self.audit(
            "create",
            "contract_document",
            &d.id.to_string(),
            None,
            Some(&d.to_json()),
        )
        .await?;
        Ok(d)
    }

    /// Sets a document's progress (commissioning team) or provider comments (provider).
    pub async fn update_document(
        &mut self,
        id: i64,
        progress: Option<&str>,
        provider_comments: Option<&str>,
    ) -> Result<Option<ContractDocument>, StoreError> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {DOC_COLUMNS} FROM contract_documents WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?
        else {
            return Ok(None);
        };
        let before = ContractDocument::from_row(&row)?;
        let row = sqlx::query(&format!(
            "UPDATE contract_documents SET progress = $2, provider_comments = $3, updated_at = $4 WHERE id = $1 RETURNING {DOC_COLUMNS}"
        ))
        .bind(id)
        .bind(progress.unwrap_or(&before.progress))
        .bind(provider_comments.unwrap_or(&before.provider_comments))
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = ContractDocument::from_row(&row)?;
        self.audit(
            "update",
            "contract_document",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }

    /// Records a signature. The document's progress is not touched.
    /// `content_sha256` of the file signed goes into the audit entry, tying the signature to it.
    pub async fn sign_document(
        &mut self,
        document_id: i64,
        user_id: i64,
        name: &str,
        content_sha256: &str,
    ) -> Result<Signature, StoreError> {
        let row = sqlx::query("INSERT INTO document_signatures (document_id, user_id, signed_by_name, signed_at) VALUES ($1, $2, $3, $4) RETURNING *")
            .bind(document_id)
            .bind(user_id)
            .bind(name)
            .bind(self.at())
            .fetch_one(&mut *self.tx)
            .await?;
        let s = Signature::from_row(&row)?;
        let mut after = s.to_json();
        after["content_sha256"] = serde_json::json!(content_sha256);
        self.audit(
            "sign",
            "contract_document",
            &document_id.to_string(),
            None,
            Some(&after),
        )
        .await?;
        Ok(s)
    }

    /// Edits a contact.
    pub async fn update_contact(
        &mut self,
        id: i64,
        f: &crate::ContactFields,
        active: bool,
    ) -> Result<Option<crate::Contact>, StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM contacts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = crate::Contact::from_row(&row)?;
        let row = sqlx::query(
            "UPDATE contacts SET title = $2, first_name = $3, last_name = $4, position_type = $5, email = $6, phone = $7, active = $8, updated_at = $9
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(f.title.clone())
        .bind(f.first_name.clone())
        .bind(f.last_name.clone())
        .bind(f.position_type.clone())
        .bind(f.email.clone())
        .bind(f.phone.clone())
        .bind(i64::from(active))
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = crate::Contact::from_row(&row)?;
        self.audit(
            "update",
            "contact",
            &id.to_string(),
            Some(&before.to_json()),
            Some(&after.to_json()),
        )
        .await?;
        Ok(Some(after))
    }

    pub async fn delete_assignment(&mut self, id: i64) -> Result<(), StoreError> {
        let Some(row) = sqlx::query("SELECT * FROM contact_assignments WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(());
        };
        let before = crate::ContactAssignment::from_row(&row)?;
        sqlx::query("DELETE FROM contact_assignments WHERE id = $1")
            .bind(id)
            .execute(&mut *self.tx)
            .await?;
        self.audit(
            "delete",
            "contact_assignment",
            &id.to_string(),
            Some(&before.to_json()),
            None,
        )
        .await
    }
}
