//! Contract documents (F3.6): uploads with progress and comments, and their signatures.

use hearth_docs::pdf::{self, Block, Report, Table};
use hearth_domain::{DocumentProgress, DocumentType};
use hearth_store::{AuditEntry, AuditQuery, ContractDocument, Signature};
use sha2::Digest;

use crate::{App, AppError, Permission, Principal};

/// A contract document and who has signed it.
#[derive(Debug, Clone)]
pub struct DocumentWithSignatures {
    pub document: hearth_store::ContractDocument,
    pub signatures: Vec<hearth_store::Signature>,
}

/// Largest document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

impl App {
    /// Adds a contract document (of type "contract document"); see [`App::add_document_of`].
    pub async fn add_document(
        &self,
        who: &Principal,
        contract_id: i64,
        title: &str,
        upload: Option<(String, Vec<u8>)>,
    ) -> Result<ContractDocument, AppError> {
        self.add_document_of(
            who,
            contract_id,
            DocumentType::ContractDocument,
            title,
            upload,
        )
        .await
    }

    /// Adds a document of a type to a contract: an uploaded PDF, or one generated from the
    /// contract.
    pub async fn add_document_of(
        &self,
        who: &Principal,
        contract_id: i64,
        document_type: DocumentType,
        title: &str,
        upload: Option<(String, Vec<u8>)>,
    ) -> Result<ContractDocument, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        let contract = self.contract(who, contract_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("title", title)?;
        let title = title.trim();
        if title.is_empty() {
            return Err(AppError::invalid("title", "Enter the document's title"));
        }
        let (filename, bytes, source) = match upload {
            Some((name, bytes)) => {
                if bytes.is_empty() {
                    return Err(AppError::invalid("file", "The selected file is empty"));
                }
                if bytes.len() > MAX_DOCUMENT_BYTES {
                    return Err(AppError::invalid(
                        "file",
                        "The selected file must be smaller than 10 MB",
                    ));
                }
                if !bytes.starts_with(b"%PDF-") {
                    return Err(AppError::invalid("file", "The selected file must be a PDF"));
                }
                let safe: String = name
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
                    .collect();
                (
                    if safe.trim().is_empty() {
                        "document.pdf".to_string()
                    } else {
                        safe
                    },
                    bytes,
                    "uploaded",
                )
            }
            None => {
                let provider = self
                    .db
                    .provider(contract.provider_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let authority = self
                    .db
                    .authority(contract.authority_id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                let services = self.contract_services(who, &contract).await?;
                let report = Report {
                    title: title.to_string(),
                    author: authority.name.clone(),
                    blocks: vec![
                        Block::Paragraph(format!("Contract reference: {}", contract.reference)),
                        Block::Paragraph(format!(
                            "Between {} (the Authority) and {} (the Provider).",
                            authority.name, provider.name
                        )),
                        Block::Heading("Term".into()),
                        Block::Paragraph(format!(
                            "From {} to {}. Status: {}.",
                            contract.start_date,
                            contract.end_date,
                            contract.status.replace('_', " ")
                        )),
                        Block::Heading("Units and price".into()),
                        Block::Paragraph(format!(
                            "{} at {} per unit per week.",
                            hearth_domain::text::plural(contract.units, "unit", "units"),
                            hearth_domain::Pence(contract.unit_rate_pence)
                        )),
                        Block::Heading("Services".into()),
                        Block::Table(Table {
                            header: vec![
                                "Reference".into(),
                                "Service".into(),
                                "Contracted units".into(),
                            ],
                            rows: services
                                .iter()
                                .map(|s| {
                                    vec![
                                        s.reference.clone(),
                                        s.name.clone(),
                                        s.contracted_units.to_string(),
                                    ]
                                })
                                .collect(),
                            widths: vec![1.0, 3.0, 1.2],
                        }),
                        Block::Heading("Signature".into()),
                        Block::Paragraph("Signed for the Provider in Hearth by the person and at the time recorded against this document.".into()),
                    ],
                };
                let pdf = pdf::render(&report).map_err(|e| AppError::Internal(e.to_string()))?;
                let name: String = format!("{}-{}", contract.reference, title)
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                            c
                        } else {
                            '-'
                        }
                    })
                    .collect();
                (format!("{name}.pdf"), pdf, "generated")
            }
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        let d = tx
            .insert_document(&hearth_store::NewDocument {
                contract_id,
                document_type: document_type.as_str(),
                title,
                source,
                filename: &filename,
                content_type: "application/pdf",
                content: &bytes,
            })
            .await?;
        tx.commit().await?;
        Ok(d)
    }

    /// A document, if the principal may see its contract.
    pub async fn document(&self, who: &Principal, id: i64) -> Result<ContractDocument, AppError> {
        let d = self
            .db
            .contract_document(id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.contract(who, d.contract_id).await?;
        Ok(d)
    }

    pub async fn document_file(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<(ContractDocument, Vec<u8>), AppError> {
        let d = self.document(who, id).await?;
        let bytes = self
            .db
            .document_content(id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((d, bytes))
    }

    /// Who signed, and the document's history from the audit trail.
    pub async fn document_history(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<(Vec<Signature>, Vec<AuditEntry>), AppError> {
        self.document(who, id).await?;
        let sigs = self.db.document_signatures(id).await?;
        let history = self
            .db
            .audit_search(&AuditQuery {
                record_type: Some("contract_document".into()),
                record_id: Some(id.to_string()),
                limit: 200,
                ..Default::default()
            })
            .await?;
        Ok((sigs, history))
    }

    /// The commissioning team moves a document's progress (draft, agreed, signed).
    pub async fn set_document_progress(
        &self,
        who: &Principal,
        id: i64,
        progress: DocumentProgress,
    ) -> Result<ContractDocument, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.document(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let d = tx
            .update_document(id, Some(progress.as_str()), None, None)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(d)
    }

    /// The commissioning team's comments on a document, which the provider sees beside their
    /// own.
    pub async fn set_document_team_comments(
        &self,
        who: &Principal,
        id: i64,
        comments: &str,
    ) -> Result<ContractDocument, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.document(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("authority_comments", comments)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let d = tx
            .update_document(id, None, None, Some(comments.trim()))
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(d)
    }

    /// The provider edits their comments on a document.
    pub async fn set_document_comments(
        &self,
        who: &Principal,
        id: i64,
        comments: &str,
    ) -> Result<ContractDocument, AppError> {
        self.document(who, id).await?;
        who.require_or_hide(Permission::ProviderPortal)?;
        if comments.len() > 10_000 {
            return Err(AppError::invalid(
                "provider_comments",
                "Comments must be 10,000 characters or fewer",
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let d = tx
            .update_document(id, None, Some(comments.trim()), None)
            .await?
            .ok_or(AppError::NotFound)?;
        tx.commit().await?;
        Ok(d)
    }

    /// The provider signs, re-entering their password. Signing records who and when and never
    /// changes the document's progress.
    pub async fn sign_document(
        &self,
        who: &Principal,
        id: i64,
        password: &str,
    ) -> Result<Signature, AppError> {
        self.document(who, id).await?;
        who.require_or_hide(Permission::ProviderPortal)?;
        let user = who.signed_in()?;
        if user.locked_until.is_some_and(|t| t > self.now()) {
            return Err(AppError::invalid(
                "password",
                "Your account is locked after too many failed attempts. Try again later.",
            ));
        }
        // Every attempt is counted before the password is checked, and the signer made to wait
        // after a few wrong ones; a right one is given back.
        let attempt = self.signature_attempt(user).await?;
        if !self.password_matches(user, password).await? {
            return Err(AppError::invalid(
                "password",
                "Enter your password correctly to sign",
            ));
        }
        self.limit_give_back(&attempt).await?;
        let content = self
            .db
            .document_content(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let digest = hex::encode(sha2::Sha256::digest(&content));
        let mut tx = self.begin_write(&who.actor()).await?;
        let s = tx
            .sign_document(id, user.id, &user.display_name, &digest)
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    pub async fn count_unsigned_documents(&self, who: &Principal) -> Result<i64, AppError> {
        match who {
            // Under limited access, only documents of contracts the user may see.
            Principal::Provider {
                service_scope: Some(_),
                ..
            } => {
                let mut n = 0;
                for c in self.list_contracts(who, &Default::default()).await?.items {
                    for d in self.db.contract_documents(c.id).await? {
                        if self.db.document_signatures(d.id).await?.is_empty() {
                            n += 1;
                        }
                    }
                }
                Ok(n)
            }
            Principal::Provider {
                provider_id,
                authority_id,
                ..
            } => Ok(self
                .db
                .count_unsigned_documents(*provider_id, *authority_id)
                .await?),
            Principal::Staff { .. } | Principal::System { .. } | Principal::Host { .. } => Ok(0),
        }
    }

    /// The documents of a contract with their signatures, if the principal may see the
    /// contract.
    pub async fn contract_documents_of(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Vec<DocumentWithSignatures>, AppError> {
        self.contract(who, contract_id).await?;
        let mut out = Vec::new();
        for document in self.db.contract_documents(contract_id).await? {
            let signatures = self.db.document_signatures(document.id).await?;
            out.push(DocumentWithSignatures {
                document,
                signatures,
            });
        }
        Ok(out)
    }
}
