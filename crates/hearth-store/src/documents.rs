//! Contract documents and their signatures (F3.6).

use crate::{record, Db, StoreError, WriteTx};

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
        document_type: String = "contract_document".to_string(),
        authority_comments: String = String::new(),
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

const DOC_COLUMNS: &str = "id, contract_id, title, source, filename, content_type, size_bytes, progress, provider_comments, created_by_name, created_at, updated_at, document_type, authority_comments";

impl Db {
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
}

/// A new contract document (in draft).
#[derive(Debug, Clone)]
pub struct NewDocument<'a> {
    pub contract_id: i64,
    /// A `DocumentType` code.
    pub document_type: &'a str,
    pub title: &'a str,
    /// "uploaded" or "generated".
    pub source: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub content: &'a [u8],
}

impl WriteTx {
    pub async fn insert_document(
        &mut self,
        doc: &NewDocument<'_>,
    ) -> Result<ContractDocument, StoreError> {
        let NewDocument {
            contract_id,
            document_type,
            title,
            source,
            filename,
            content_type,
            content,
        } = *doc;
        let by = self.actor().name.clone();
        let row = sqlx::query(&format!(
            "INSERT INTO contract_documents (contract_id, title, source, filename, content_type, content, size_bytes, progress, created_by_name, created_at, updated_at, document_type)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $9, $9, $10) RETURNING {DOC_COLUMNS}"
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
        .bind(document_type)
        .fetch_one(&mut *self.tx)
        .await?;
        let d = ContractDocument::from_row(&row)?;
        self.audit(
            "create",
            crate::RecordType::ContractDocument,
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
        authority_comments: Option<&str>,
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
            "UPDATE contract_documents SET progress = $2, provider_comments = $3, updated_at = $4, authority_comments = $5 WHERE id = $1 RETURNING {DOC_COLUMNS}"
        ))
        .bind(id)
        .bind(progress.unwrap_or(&before.progress))
        .bind(provider_comments.unwrap_or(&before.provider_comments))
        .bind(self.at())
        .bind(authority_comments.unwrap_or(&before.authority_comments))
        .fetch_one(&mut *self.tx)
        .await?;
        let after = ContractDocument::from_row(&row)?;
        self.audit(
            "update",
            crate::RecordType::ContractDocument,
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
            crate::RecordType::ContractDocument,
            &document_id.to_string(),
            None,
            Some(&after),
        )
        .await?;
        Ok(s)
    }
}
