//! A provider's contacts and their assignments (F3.7). Their changes and login requests
//! go through requests (F3.4), applied here on approval.

use crate::error::ConflictCode;
use crate::requests::{
    AssignmentAdd, AssignmentRemove, ContactDetails, ContactRef, LoginFor, Payload, Request,
    Submission,
};
use hearth_domain::{Assignment, PhoneNumber, PositionType, Postcode, Uprn, Usrn};
use hearth_store::Contact;
use serde::Deserialize;
use serde_json::json;

use crate::{App, AppError, FieldErrors, Permission, Principal};

/// The contact form: the portal briefing's contact fields. `other_positions` is the
/// position codes beyond the main one, comma-separated (the web form's checkboxes);
/// `confidential` is "yes" when ticked; `disabled_access` is "", "yes" or "no".
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
#[serde(default)]
pub struct ContactInput {
    pub title: String,
    pub first_name: String,
    pub last_name: String,
    pub job_title: String,
    pub position_type: String,
    pub other_positions: String,
    pub email: String,
    pub phone: String,
    pub mobile: String,
    pub fax: String,
    pub pager: String,
    pub web_address: String,
    pub address_line1: String,
    pub address_line2: String,
    pub address_line3: String,
    pub address_line4: String,
    pub town: String,
    pub postcode: String,
    pub uprn: String,
    pub usrn: String,
    pub directions: String,
    pub confidential: String,
    pub disabled_access: String,
    pub comment: String,
}

impl ContactInput {
    pub fn of(c: &Contact) -> ContactInput {
        let d = ContactDetails::of(c);
        ContactInput {
            title: d.title.clone(),
            first_name: d.first_name.clone(),
            last_name: d.last_name.clone(),
            job_title: d.job_title.clone(),
            position_type: c.position_type.clone(),
            other_positions: d.positions_code(),
            email: d.email.clone(),
            phone: d.phone.clone(),
            mobile: d.mobile.clone(),
            fax: d.fax.clone(),
            pager: d.pager.clone(),
            web_address: d.web_address.clone(),
            address_line1: d.address_line1.clone(),
            address_line2: d.address_line2.clone(),
            address_line3: d.address_line3.clone(),
            address_line4: d.address_line4.clone(),
            town: d.town.clone(),
            postcode: d.postcode.clone(),
            uprn: d.uprn.clone(),
            usrn: d.usrn.clone(),
            directions: d.directions.clone(),
            confidential: if d.confidential {
                "yes".into()
            } else {
                String::new()
            },
            disabled_access: crate::requests::disabled_access_code(d.disabled_access).into(),
            comment: String::new(),
        }
    }

    pub(crate) fn parse(&self, contact_id: Option<i64>) -> Result<ContactDetails, AppError> {
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
        let mut others = Vec::new();
        for code in self.other_positions.split(',').map(str::trim) {
            if code.is_empty() {
                continue;
            }
            match PositionType::parse(code) {
                Ok(p) if Some(p) == pos || others.contains(&p) => {}
                Ok(p) => others.push(p),
                Err(_) => e.add("other_positions", "Select positions from the list"),
            }
        }
        let email = self.email.trim();
        if !email.is_empty() && (!email.contains('@') || email.contains(' ')) {
            e.add(
                "email",
                "Enter an email address in the correct format, like name@example.com",
            );
        }
        let mut phone = |field: &str, value: &str| -> String {
            let v = value.trim();
            if v.is_empty() {
                return String::new();
            }
            match PhoneNumber::parse(v) {
                Ok(p) => p.to_string(),
                Err(err) => {
                    e.add(field, err.message);
                    String::new()
                }
            }
        };
        let (phone_no, mobile, fax, pager) = (
            phone("phone", &self.phone),
            phone("mobile", &self.mobile),
            phone("fax", &self.fax),
            phone("pager", &self.pager),
        );
        let web = self.web_address.trim();
        if !web.is_empty()
            && (!(web.starts_with("https://") || web.starts_with("http://")) || web.contains(' '))
        {
            e.add(
                "web_address",
                "Enter the web address starting with https://",
            );
        }
        let postcode = if self.postcode.trim().is_empty() {
            String::new()
        } else {
            e.check("postcode", Postcode::parse(&self.postcode))
                .map(|p| p.to_string())
                .unwrap_or_default()
        };
        let uprn = if self.uprn.trim().is_empty() {
            String::new()
        } else {
            e.check("uprn", Uprn::parse(&self.uprn))
                .map(|u| u.to_string())
                .unwrap_or_default()
        };
        let usrn = if self.usrn.trim().is_empty() {
            String::new()
        } else {
            e.check("usrn", Usrn::parse(&self.usrn))
                .map(|u| u.to_string())
                .unwrap_or_default()
        };
        let lines_after_first = [
            &self.address_line2,
            &self.address_line3,
            &self.address_line4,
            &self.town,
            &self.postcode,
        ];
        if self.address_line1.trim().is_empty()
            && lines_after_first.iter().any(|l| !l.trim().is_empty())
        {
            e.add("address_line1", "Enter the first line of the address");
        }
        let disabled_access = match self.disabled_access.trim() {
            "" => None,
            "yes" => Some(true),
            "no" => Some(false),
            _ => {
                e.add(
                    "disabled_access",
                    "Select yes, no or not known for disabled access",
                );
                None
            }
        };
        e.into_result()?;
        Ok(ContactDetails {
            contact_id,
            title: self.title.trim().to_string(),
            first_name: self.first_name.trim().to_string(),
            last_name: self.last_name.trim().to_string(),
            position_type: pos.unwrap_or(PositionType::Other),
            email: email.to_string(),
            phone: phone_no,
            job_title: self.job_title.trim().to_string(),
            other_positions: others,
            mobile,
            fax,
            pager,
            web_address: web.to_string(),
            address_line1: self.address_line1.trim().to_string(),
            address_line2: self.address_line2.trim().to_string(),
            address_line3: self.address_line3.trim().to_string(),
            address_line4: self.address_line4.trim().to_string(),
            town: self.town.trim().to_string(),
            postcode,
            uprn,
            usrn,
            directions: self.directions.trim().to_string(),
            confidential: matches!(self.confidential.trim(), "yes" | "true" | "on"),
            disabled_access,
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

    pub async fn contact_of(&self, who: &Principal, id: i64) -> Result<Contact, AppError> {
        let c = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
        self.provider(who, c.provider_id).await?;
        Ok(c)
    }

    /// A request about the provider's contacts (no service).
    async fn contact_request(
        &self,
        who: &Principal,
        summary: String,
        payload: Payload,
        base: Option<serde_json::Value>,
        comment: &str,
    ) -> Result<Request, AppError> {
        self.submit_request(
            who,
            Submission {
                service_id: None,
                summary,
                payload,
                base,
                comment: comment.to_string(),
            },
        )
        .await
    }

    pub async fn request_contact_add(
        &self,
        who: &Principal,
        input: &ContactInput,
    ) -> Result<Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        crate::text::check_lengths(input)?;
        let f = input.parse(None)?;
        self.contact_request(
            who,
            format!("Add contact {} {}", f.first_name, f.last_name),
            Payload::ContactAdd(f),
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
        let f = input.parse(Some(id))?;
        let base = contact_base(&c)?;
        if Some(&f) == base.as_ref() {
            return Err(AppError::invalid("first_name", "Nothing has changed"));
        }
        self.contact_request(
            who,
            format!("Change contact {}", c.full_name()),
            Payload::ContactEdit(f),
            Some(json_of(&base)?),
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
            format!("Deactivate contact {}", c.full_name()),
            Payload::ContactDeactivate(ContactRef { contact_id: id }),
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
            format!("{}: {text}", c.full_name()),
            Payload::AssignmentAdd(AssignmentAdd {
                contact_id,
                assignment,
                service_id,
                contract_id,
                text,
            }),
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
            format!("{}: no longer {text}", c.full_name()),
            Payload::AssignmentRemove(AssignmentRemove {
                contact_id,
                assignment_id,
                text: text.clone(),
            }),
            Some(json!({ "text": text })),
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
            format!("Login for {}", c.full_name()),
            Payload::Login(LoginFor {
                contact_id,
                email: c.email.clone(),
            }),
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
    ) -> Result<(String, Option<String>), AppError> {
        let fields = |d: &ContactDetails| d.fields();
        let contact_id = match &r.payload {
            Payload::ContactEdit(d) => d.contact_id,
            Payload::ContactDeactivate(p) => Some(p.contact_id),
            Payload::AssignmentAdd(p) => Some(p.contact_id),
            Payload::AssignmentRemove(p) => Some(p.contact_id),
            Payload::Login(p) => Some(p.contact_id),
            _ => None,
        };
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
        match &r.payload {
            Payload::ContactAdd(d) => {
                let c = tx.insert_contact(r.provider_id, &fields(d)).await?;
                Ok((format!("contact:{}", c.id), None))
            }
            Payload::ContactEdit(d) => {
                let id = contact_id.unwrap_or_default();
                let current = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
                // Read back through the payload's shape, so a base stored before the
                // briefing's other fields existed compares with those fields empty.
                let base = r
                    .base
                    .clone()
                    .and_then(|b| serde_json::from_value::<ContactDetails>(b).ok());
                if base.as_ref() != Some(&ContactDetails::of(&current)) {
                    return Err(AppError::Conflict(ConflictCode::Stale, "The contact has changed since this request was made, so approving it would overwrite that change. Reject it and ask for a new request.".into()));
                }
                tx.update_contact(id, &fields(d), current.active != 0)
                    .await?;
                Ok((format!("contact:{id}"), None))
            }
            Payload::ContactDeactivate(ContactRef { contact_id: id }) => {
                let id = *id;
                let current = self.db.contact(id).await?.ok_or(AppError::NotFound)?;
                if !self.db.contact_assignments(id).await?.is_empty() {
                    return Err(AppError::Conflict(ConflictCode::Stale, "The contact has taken on an assignment since this request was made and cannot be deactivated until it is handed over.".into()));
                }
                let f = ContactDetails::of(&current).fields();
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
            Payload::AssignmentAdd(p) => {
                self.check_assignment_free(r.provider_id, p.assignment, p.service_id, p.contract_id, None)
                    .await
                    .map_err(|_| AppError::Conflict(ConflictCode::Duplicate, "Another contact has taken this assignment since the request was made; only one contact may hold it.".into()))?;
                let a = tx
                    .insert_assignment(
                        p.contact_id,
                        p.assignment.as_str(),
                        p.service_id,
                        p.contract_id,
                    )
                    .await?;
                Ok((format!("contact_assignment:{}", a.id), None))
            }
            Payload::AssignmentRemove(p) => {
                let aid = p.assignment_id;
                if !self
                    .db
                    .contact_assignments(p.contact_id)
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
            Payload::Login(LoginFor { contact_id: id, .. }) => {
                let id = *id;
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
                "not a contact request: {}",
                other.kind().as_str()
            ))),
        }
    }
}

/// A contact as a contact-change request's base: what the change is checked against on
/// approval.
fn contact_base(c: &Contact) -> Result<Option<ContactDetails>, AppError> {
    Ok(Some(ContactDetails::of(c)))
}

fn json_of(d: &Option<ContactDetails>) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(d).map_err(|e| AppError::Internal(e.to_string()))
}
