//! Actions (F3.8), contract documents with signatures (F3.6) and contacts with assignments
//! (F3.7; their changes and login requests go through requests, F3.4).

use crate::error::ConflictCode;
use hearth_docs::pdf::{self, Block, Report, Table};
use hearth_domain::{parse_date, Assignment, PositionType};
use hearth_store::{
    Action, AuditEntry, AuditQuery, Contact, ContactFields, ContractDocument, NewAction,
    NewRequest, Request, Signature,
};
use serde::Deserialize;
use serde_json::json;
use sha2::Digest;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// A contract document and who has signed it.
#[derive(Debug, Clone)]
pub struct DocumentWithSignatures {
    pub document: hearth_store::ContractDocument,
    pub signatures: Vec<hearth_store::Signature>,
}

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
pub const PROGRESS: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("agreed", "Agreed"),
    ("signed", "Signed"),
];
/// Largest document accepted (bytes).
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

pub const KIND_CONTACT_ADD: &str = "contact_add";
pub const KIND_CONTACT_EDIT: &str = "contact_edit";
pub const KIND_CONTACT_DEACTIVATE: &str = "contact_deactivate";
pub const KIND_ASSIGNMENT_ADD: &str = "assignment_add";
pub const KIND_ASSIGNMENT_REMOVE: &str = "assignment_remove";
pub const KIND_LOGIN_REQUEST: &str = "login_request";

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

/// The contact form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct ContactInput {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub position_type: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub comment: String,
}

impl ContactInput {
    pub fn of(c: &Contact) -> ContactInput {
        ContactInput {
            title: c.title.clone(),
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            position_type: c.position_type.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            comment: String::new(),
        }
    }

    fn parse(&self) -> Result<ContactFields, AppError> {
        let mut e = FieldErrors::new();
        if self.first_name.trim().is_empty() {
            e.add("first_name", "Enter the contact's first name");
        }
        if self.last_name.trim().is_empty() {
            e.add("last_name", "Enter the contact's last name");
        }
        let pos = e.check(
            "position_type",
            PositionType::parse(&self.position_type).map_err(|_| {
                hearth_domain::FieldError::new("position_type", "Select the position type")
            }),
        );
        let email = self.email.trim();
        if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
            e.add(
                "email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        e.into_result()?;
        Ok(ContactFields {
            title: self.title.trim().to_string(),
            first_name: self.first_name.trim().to_string(),
            last_name: self.last_name.trim().to_string(),
            position_type: pos.map(|p| p.as_str().to_string()).unwrap_or_default(),
            email: email.to_string(),
            phone: self.phone.trim().to_string(),
        })
    }
}

/// The assignment form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct AssignmentInput {
    #[serde(default)]
    pub assignment: String,
    /// "service:ID", "contract:ID" or "" (the organisation).
    #[serde(default)]
    pub scope: String,
}

impl App {
    // ---------------- actions ----------------

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
            Principal::System { .. } => Err(AppError::NotFound),
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

    // ---------------- contract documents ----------------

    /// Adds a document to a contract: an uploaded PDF, or one generated from the contract.
    pub async fn add_document(
        &self,
        who: &Principal,
        contract_id: i64,
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
                            "{} units at {} per unit per week.",
                            contract.units,
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
            .insert_document(
                contract_id,
                title,
                source,
                &filename,
                "application/pdf",
                &bytes,
            )
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
        progress: &str,
    ) -> Result<ContractDocument, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.document(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        if !PROGRESS.iter().any(|(p, _)| *p == progress) {
            return Err(AppError::invalid(
                "progress",
                "Select draft, agreed or signed",
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let d = tx
            .update_document(id, Some(progress), None)
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
            .update_document(id, None, Some(comments.trim()))
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
            Principal::Staff { .. } | Principal::System { .. } => Ok(0),
        }
    }

    // ---------------- contacts (F3.7) ----------------

    /// The provider's contacts and all assignments.
    pub async fn contacts(
        &self,
        who: &Principal,
        provider_id: i64,
    ) -> Result<(Vec<Contact>, Vec<hearth_store::ContactAssignment>), AppError> {
        self.provider(who, provider_id).await?;
        Ok((
            self.db.provider_contacts(provider_id).await?,
            self.db.assignments_of_provider(provider_id).await?,
        ))
    }

    /// The assignments a contact holds, if the principal may see the contact.
    pub async fn contact_assignments_of(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<Vec<hearth_store::ContactAssignment>, AppError> {
        self.contact_of(who, id).await?;
        Ok(self.db.contact_assignments(id).await?)
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

    pub async fn contact_of(&self, who: &Principal, id: i64) -> Result<Contact, AppError> {
        let c = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
        self.provider(who, c.provider_id).await?;
        Ok(c)
    }

    async fn contact_request(
        &self,
        who: &Principal,
        kind: &str,
        summary: String,
        payload: serde_json::Value,
        base: Option<serde_json::Value>,
        comment: &str,
    ) -> Result<Request, AppError> {
        crate::text::check_text("comment", comment)?;
        let Principal::Provider {
            provider_id,
            authority_id,
            ..
        } = who
        else {
            return Err(AppError::NotFound);
        };
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .insert_request(&NewRequest {
                authority_id: *authority_id,
                provider_id: *provider_id,
                service_id: None,
                kind: kind.into(),
                summary,
                payload,
                base,
                comment: comment.trim().to_string(),
            })
            .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn request_contact_add(
        &self,
        who: &Principal,
        input: &ContactInput,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        crate::text::check_lengths(input)?;
        let f = input.parse()?;
        let payload = json!({"title": f.title, "first_name": f.first_name, "last_name": f.last_name, "position_type": f.position_type, "email": f.email, "phone": f.phone});
        self.contact_request(
            who,
            KIND_CONTACT_ADD,
            format!("Add contact {} {}", f.first_name, f.last_name),
            payload,
            None,
            &input.comment,
        )
        .await
    }

    pub async fn request_contact_edit(
        &self,
        who: &Principal,
        id: i64,
        input: &ContactInput,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let c = self.contact_of(who, id).await?;
        crate::text::check_lengths(input)?;
        let f = input.parse()?;
        let payload = json!({"contact_id": id, "title": f.title, "first_name": f.first_name, "last_name": f.last_name, "position_type": f.position_type, "email": f.email, "phone": f.phone});
        let base = json!({"contact_id": id, "title": c.title, "first_name": c.first_name, "last_name": c.last_name, "position_type": c.position_type, "email": c.email, "phone": c.phone});
        if payload == base {
            return Err(AppError::invalid("first_name", "Nothing has changed"));
        }
        self.contact_request(
            who,
            KIND_CONTACT_EDIT,
            format!("Change contact {}", c.full_name()),
            payload,
            Some(base),
            &input.comment,
        )
        .await
    }

    /// Deactivation is refused while the contact holds an assignment, saying which.
    pub async fn request_contact_deactivate(
        &self,
        who: &Principal,
        id: i64,
        comment: &str,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let c = self.contact_of(who, id).await?;
        crate::text::check_text("comment", comment)?;
        if c.active == 0 {
            return Err(AppError::Conflict(
                ConflictCode::WrongState,
                "This contact is already inactive.".into(),
            ));
        }
        let held = self.db.contact_assignments(id).await?;
        if !held.is_empty() {
            let mut list = Vec::new();
            for a in &held {
                list.push(self.assignment_text(a).await?);
            }
            return Err(AppError::Conflict(ConflictCode::WrongState, format!(
                "{} cannot be deactivated while they hold these assignments: {}. Hand them over to another contact first.",
                c.full_name(),
                list.join("; ")
            )));
        }
        self.contact_request(
            who,
            KIND_CONTACT_DEACTIVATE,
            format!("Deactivate contact {}", c.full_name()),
            json!({"contact_id": id}),
            Some(json!({"active": 1})),
            comment,
        )
        .await
    }

    /// "Service manager for Acorn House", "Organisation contact", ...
    pub async fn assignment_text(
        &self,
        a: &hearth_store::ContactAssignment,
    ) -> Result<String, AppError> {
        let label = Assignment::parse(&a.assignment)
            .map(|x| x.label().to_string())
            .unwrap_or_else(|_| a.assignment.clone());
        Ok(match (a.service_id, a.contract_id) {
            (Some(s), _) => format!(
                "{label} for {}",
                self.db
                    .service(s)
                    .await?
                    .map(|s| s.name)
                    .unwrap_or_default()
            ),
            (None, Some(c)) => format!(
                "{label} for contract {}",
                self.db
                    .contract(c)
                    .await?
                    .map(|c| c.reference)
                    .unwrap_or_default()
            ),
            _ => label,
        })
    }

    async fn check_assignment_free(
        &self,
        provider_id: i64,
        assignment: Assignment,
        service_id: Option<i64>,
        contract_id: Option<i64>,
        except_contact: Option<i64>,
    ) -> Result<(), AppError> {
        if !assignment.one_per_service() {
            return Ok(());
        }
        for a in self.db.assignments_of_provider(provider_id).await? {
            if a.assignment == assignment.as_str()
                && a.service_id == service_id
                && a.contract_id == contract_id
                && Some(a.contact_id) != except_contact
            {
                let holder = self
                    .db
                    .contact(a.contact_id)
                    .await?
                    .map(|c| c.full_name())
                    .unwrap_or_default();
                return Err(AppError::invalid("assignment", format!("{holder} already holds this assignment: only one contact may hold it. Remove theirs first.")));
            }
        }
        Ok(())
    }

    fn parse_assignment(
        &self,
        input: &AssignmentInput,
    ) -> Result<(Assignment, Option<i64>, Option<i64>), AppError> {
        let assignment = Assignment::parse(&input.assignment)
            .map_err(|_| AppError::invalid("assignment", "Select the assignment"))?;
        let (service_id, contract_id) = match input.scope.split_once(':') {
            Some(("service", id)) => (id.parse::<i64>().ok(), None),
            Some(("contract", id)) => (None, id.parse::<i64>().ok()),
            _ => (None, None),
        };
        let needs_service = matches!(
            assignment,
            Assignment::ServiceManager
                | Assignment::EmergencyContact
                | Assignment::SelfReferralOfficeHours
                | Assignment::SelfReferralOutOfHours
        );
        if needs_service && service_id.is_none() {
            return Err(AppError::invalid(
                "scope",
                "Select the service this assignment is for",
            ));
        }
        if assignment == Assignment::ContractContact && contract_id.is_none() {
            return Err(AppError::invalid(
                "scope",
                "Select the contract this assignment is for",
            ));
        }
        Ok((assignment, service_id, contract_id))
    }

    pub async fn request_assignment_add(
        &self,
        who: &Principal,
        contact_id: i64,
        input: &AssignmentInput,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let c = self.contact_of(who, contact_id).await?;
        let (assignment, service_id, contract_id) = self.parse_assignment(input)?;
        if let Some(s) = service_id {
            self.service(who, s)
                .await
                .map_err(|_| AppError::invalid("scope", "Select one of your services"))?;
        }
        if let Some(k) = contract_id {
            self.contract(who, k)
                .await
                .map_err(|_| AppError::invalid("scope", "Select one of your contracts"))?;
        }
        self.check_assignment_free(c.provider_id, assignment, service_id, contract_id, None)
            .await?;
        let a = hearth_store::ContactAssignment {
            id: 0,
            contact_id,
            assignment: assignment.as_str().into(),
            service_id,
            contract_id,
            created_at: 0,
        };
        let text = self.assignment_text(&a).await?;
        self.contact_request(
            who,
            KIND_ASSIGNMENT_ADD,
            format!("{}: {text}", c.full_name()),
            json!({"contact_id": contact_id, "assignment": assignment.as_str(), "service_id": service_id, "contract_id": contract_id, "text": text}),
            None,
            "",
        )
        .await
    }

    pub async fn request_assignment_remove(
        &self,
        who: &Principal,
        contact_id: i64,
        assignment_id: i64,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let c = self.contact_of(who, contact_id).await?;
        let a = self
            .db
            .contact_assignments(contact_id)
            .await?
            .into_iter()
            .find(|a| a.id == assignment_id)
            .ok_or(AppError::NotFound)?;
        let text = self.assignment_text(&a).await?;
        self.contact_request(
            who,
            KIND_ASSIGNMENT_REMOVE,
            format!("{}: no longer {text}", c.full_name()),
            json!({"contact_id": contact_id, "assignment_id": assignment_id, "text": text}),
            Some(json!({"text": text})),
            "",
        )
        .await
    }

    /// A login for a contact: approved, it creates a user with a temporary password.
    pub async fn request_login(
        &self,
        who: &Principal,
        contact_id: i64,
        comment: &str,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let c = self.contact_of(who, contact_id).await?;
        crate::text::check_text("comment", comment)?;
        if c.active == 0 {
            return Err(AppError::Conflict(
                ConflictCode::WrongState,
                "Only current contacts can have a login.".into(),
            ));
        }
        if self
            .db
            .list_users(None)
            .await?
            .iter()
            .any(|u| u.contact_id == Some(contact_id))
        {
            return Err(AppError::Conflict(
                ConflictCode::Duplicate,
                format!("{} already has a login.", c.full_name()),
            ));
        }
        self.contact_request(
            who,
            KIND_LOGIN_REQUEST,
            format!("Login for {}", c.full_name()),
            json!({"contact_id": contact_id, "email": c.email}),
            None,
            comment,
        )
        .await
    }

    /// Applies an approved contact request inside the approval's transaction. Returns the
    /// record changed, and for a login the temporary password to hand over.
    pub(crate) async fn apply_contact_request(
        &self,
        tx: &mut hearth_store::WriteTx,
        r: &Request,
        payload: &serde_json::Value,
    ) -> Result<(String, Option<String>), AppError> {
        let s = |k: &str| payload[k].as_str().unwrap_or_default().to_string();
        let fields = || ContactFields {
            title: s("title"),
            first_name: s("first_name"),
            last_name: s("last_name"),
            position_type: s("position_type"),
            email: s("email"),
            phone: s("phone"),
        };
        let contact_id = payload["contact_id"].as_i64();
        if let Some(id) = contact_id {
            // The contact must still be this provider's.
            if self
                .db
                .contact(id)
                .await?
                .is_none_or(|c| c.provider_id != r.provider_id)
            {
                return Err(AppError::Conflict(
                    ConflictCode::Stale,
                    "The contact no longer exists.".into(),
                ));
            }
        }
        match r.kind.as_str() {
            KIND_CONTACT_ADD => {
                let c = tx.insert_contact(r.provider_id, &fields()).await?;
                Ok((format!("contact:{}", c.id), None))
            }
            KIND_CONTACT_EDIT => {
                let id = contact_id.unwrap_or_default();
                let current = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
                let base = json!({"contact_id": id, "title": current.title, "first_name": current.first_name, "last_name": current.last_name, "position_type": current.position_type, "email": current.email, "phone": current.phone});
                let requested_base: Option<serde_json::Value> = r
                    .base_json
                    .as_deref()
                    .and_then(|b| serde_json::from_str(b).ok());
                if Some(base) != requested_base {
                    return Err(AppError::Conflict(ConflictCode::Stale, "The contact has changed since this request was made, so approving it would overwrite that change. Reject it and ask for a new request.".into()));
                }
                tx.update_contact(id, &fields(), current.active != 0)
                    .await?;
                Ok((format!("contact:{id}"), None))
            }
            KIND_CONTACT_DEACTIVATE => {
                let id = contact_id.unwrap_or_default();
                let current = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
                if !self.db.contact_assignments(id).await?.is_empty() {
                    return Err(AppError::Conflict(ConflictCode::Stale, "The contact has taken on an assignment since this request was made and cannot be deactivated until it is handed over.".into()));
                }
                let f = ContactFields {
                    title: current.title.clone(),
                    first_name: current.first_name.clone(),
                    last_name: current.last_name.clone(),
                    position_type: current.position_type.clone(),
                    email: current.email.clone(),
                    phone: current.phone.clone(),
                };
                tx.update_contact(id, &f, false).await?;
                for u in self
                    .db
                    .list_users(None)
                    .await?
                    .into_iter()
                    .filter(|u| u.contact_id == Some(id))
                {
                    tx.update_user(u.id, "disable", |u| u.disabled = 1).await?;
                    // In the approval's transaction: a second connection would wait on
                    // SQLite's write lock that this transaction holds.
                    tx.end_user_access(u.id).await?;
                }
                Ok((format!("contact:{id}"), None))
            }
            KIND_ASSIGNMENT_ADD => {
                let id = contact_id.unwrap_or_default();
                let assignment = Assignment::parse(&s("assignment"))
                    .map_err(|e| AppError::Internal(e.message))?;
                let service_id = payload["service_id"].as_i64();
                let contract_id = payload["contract_id"].as_i64();
                self.check_assignment_free(r.provider_id, assignment, service_id, contract_id, None)
                    .await
                    .map_err(|_| AppError::Conflict(ConflictCode::Duplicate, "Another contact has taken this assignment since the request was made; only one contact may hold it.".into()))?;
                let a = tx
                    .insert_assignment(id, assignment.as_str(), service_id, contract_id)
                    .await?;
                Ok((format!("contact_assignment:{}", a.id), None))
            }
            KIND_ASSIGNMENT_REMOVE => {
                let aid = payload["assignment_id"].as_i64().unwrap_or_default();
                if !self
                    .db
                    .contact_assignments(contact_id.unwrap_or_default())
                    .await?
                    .iter()
                    .any(|a| a.id == aid)
                {
                    return Err(AppError::Conflict(
                        ConflictCode::Stale,
                        "The assignment has already been removed.".into(),
                    ));
                }
                tx.delete_assignment(aid).await?;
                Ok((format!("contact_assignment:{aid}"), None))
            }
            KIND_LOGIN_REQUEST => {
                let id = contact_id.unwrap_or_default();
                let c = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
                let mut base: String = format!("{}.{}", c.first_name, c.last_name)
                    .to_lowercase()
                    .chars()
                    .filter(|ch| ch.is_ascii_alphanumeric() || *ch == '.')
                    .collect();
                if base.len() < 3 {
                    base = format!("contact{id}");
                }
                let mut username = base.clone();
                let mut n = 2;
                while self.db.user_by_username(&username).await?.is_some() {
                    username = format!("{base}{n}");
                    n += 1;
                }
                let temp = crate::admin::temporary_password();
                let hash = self.hash_password(&temp).await?;
                let u = tx
                    .insert_user(&hearth_store::NewUser {
                        username,
                        display_name: c.full_name(),
                        email: c.email.clone(),
                        password_hash: hash,
                        role: "provider_user".into(),
                        authority_id: None,
                        contact_id: Some(id),
                        totp_secret: None,
                        must_change_password: true,
                    })
                    .await?;
                Ok((
                    format!("user:{}", u.id),
                    Some(format!("{} / temporary password {temp}", u.username)),
                ))
            }
            other => Err(AppError::Internal(format!(
                "not a contact request: {other}"
            ))),
        }
    }
}
