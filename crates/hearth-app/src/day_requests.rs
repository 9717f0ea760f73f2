//! Day activities requests (C7, issue 13): a day service's planned delivery and its confirmed
//! weeks change only by the team's authorisation, so the provider asks by request:
//!
//! - a **change in a person's need**, e-mailed at once to their social worker or else the
//!   access point for their client group; the team records the social worker's authorisation
//!   and changes the service line from a date, or, when the placement is no longer needed,
//!   ends it at the end of the contract's notice period;
//! - a **session that was not planned** (the person came on another day), added as attended
//!   once authorised, and paid;
//! - a **change to a confirmed week** (a session recorded wrongly), applied once authorised;
//!   the next payment run pays or recovers the difference;
//! - a **missing service line** (F7.5): a line agreed and confirmed by a social worker that
//!   has been missing from the portal for four weeks or more, with the correspondence with
//!   the social worker; it goes to the support options team, who refer it to the allocated
//!   social worker and record the outcome.
//!
//! The request's workflow is `workflow::day_requests`.

use chrono::{Duration, NaiveDate};
use hearth_domain::day_activities::{
    self as rules, AbsenceReason, Days, NeedDecision, Outcome, RequestKind, SessionType,
};
use hearth_domain::workflow::day_requests::{self as flow, Actor, Event, Facts, Status};
use hearth_domain::workflow::day_weeks;
use hearth_domain::{parse_date, Pence};
use hearth_store::{DayLine, DayLineFields, DayRequest, NewDayRequest, Service, SessionFields};
use serde::Deserialize;

use crate::day_activities::{looks_like_email, point_addresses, recipients};
use crate::error::ConflictCode;
use crate::{App, AppError, FieldErrors, Permission, Principal};

/// The largest correspondence file a provider attaches.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The access point of the support options team, who take reports of missing service lines.
pub const SUPPORT_OPTIONS: &str = "support_options";

/// The support options team's address until the authority sets its own.
pub const DEFAULT_SUPPORT_OPTIONS: (&str, &str) =
    ("Support options team", "support.options@example.gov.uk");

/// The contract's notice period for a placement no longer needed, offered by default.
pub const NOTICE_DAYS: i64 = 28;

/// A request as the provider's form sends it.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct RequestInput {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub line_id: String,
    #[serde(default)]
    pub session_date: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub person_name: String,
    /// Day codes separated by commas (the checkboxes).
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub session_type: String,
    #[serde(default)]
    pub agreed_start: String,
    #[serde(default)]
    pub social_worker_name: String,
    #[serde(default)]
    pub social_worker_email: String,
}

/// The team's decision on a request.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct DecisionInput {
    /// "authorise" or "decline".
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub note: String,
    /// A change of need: NeedDecision's code.
    #[serde(default)]
    pub need: String,
    /// The placement's last day (the end of the notice period).
    #[serde(default)]
    pub end_date: String,
    /// The changed planned sessions: from when, which days, what kind, at what rate.
    #[serde(default)]
    pub from_date: String,
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub session_type: String,
    #[serde(default)]
    pub rate: String,
}

/// A request with what a page shows of it.
#[derive(Debug, Clone)]
pub struct RequestView {
    pub request: DayRequest,
    pub kind: RequestKind,
    pub status: Status,
    pub service: Service,
    pub provider: String,
    /// The person: the service line's client, or the name a missing line's report gives.
    pub person: String,
    pub line: Option<DayLine>,
}

fn ymd(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn day_text(d: NaiveDate) -> String {
    d.format("%-d %b %Y").to_string()
}

/// The content type of correspondence a provider may attach, judged from its bytes (and, for
/// text, its name): a PDF, a picture, a Word document, an Outlook message or a saved e-mail.
/// None for anything else.
pub fn attachment_type(name: &str, bytes: &[u8]) -> Option<&'static str> {
    let lower = name.to_lowercase();
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"PK\x03\x04") && lower.ends_with(".docx") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && lower.ends_with(".msg") {
        Some("application/vnd.ms-outlook")
    } else if (lower.ends_with(".eml") || lower.ends_with(".txt"))
        && std::str::from_utf8(bytes).is_ok()
    {
        Some(if lower.ends_with(".eml") {
            "message/rfc822"
        } else {
            "text/plain"
        })
    } else {
        None
    }
}

/// A file name safe to send back in a download's header.
fn safe_name(name: &str) -> String {
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
        .take(120)
        .collect();
    if safe.trim().is_empty() {
        "correspondence".into()
    } else {
        safe.trim().to_string()
    }
}

impl App {
    /// The provider raises a request about one of its day services. Bad input names its field
    /// and changes nothing. A change of need is e-mailed at once to the person's social
    /// worker, else the access point of their client group; a missing service line to the
    /// support options team; every request goes into the team's queue.
    pub async fn raise_day_request(
        &self,
        who: &Principal,
        service_id: i64,
        input: &RequestInput,
        file: Option<(String, Vec<u8>)>,
    ) -> Result<DayRequest, AppError> {
        let service = self.day_service(who, service_id).await?;
        let Principal::Provider { .. } = who else {
            return Err(AppError::Forbidden);
        };
        crate::text::check_lengths(input)?;
        let mut e = FieldErrors::new();
        let kind = e.check("kind", RequestKind::parse(input.kind.trim()));
        let today = self.today();
        let details = input.details.trim();
        if details.is_empty() {
            e.add(
                "details",
                match kind {
                    Some(RequestKind::ChangeOfNeed) => {
                        "Say how the person's need has changed and what you think would help"
                    }
                    Some(RequestKind::MissingLine) => {
                        "Say what the social worker agreed, and when, and what you have had from them"
                    }
                    _ => "Say what happened",
                },
            );
        }
        let mut new = NewDayRequest {
            authority_id: service.authority_id,
            service_id,
            kind: kind.map(|k| k.as_str().to_string()).unwrap_or_default(),
            details: details.to_string(),
            ..NewDayRequest::default()
        };
        let mut line = None;
        if kind.is_some_and(|k| k != RequestKind::MissingLine) {
            line = match input.line_id.trim().parse::<i64>() {
                Ok(id) => self
                    .db
                    .day_line(id)
                    .await?
                    .filter(|l| l.service_id == service_id),
                Err(_) => None,
            };
            if line.is_none() {
                e.add("line_id", "Select the person");
            }
        }
        let points = self.db.access_points(service.authority_id).await?;
        match (kind, &line) {
            (Some(RequestKind::ChangeOfNeed), Some(l)) => {
                if l.end_date
                    .as_deref()
                    .and_then(ymd)
                    .is_some_and(|x| x < today)
                {
                    e.add("line_id", "This person's service line has ended");
                }
                new.told = recipients(l, &points, &l.client_group, false).join(", ");
            }
            (Some(k @ (RequestKind::ExtraSession | RequestKind::AmendSession)), Some(l)) => {
                let date = match input.session_date.trim() {
                    "" => {
                        e.add("session_date", "Enter the session's date");
                        None
                    }
                    d => e.check("session_date", parse_date(d)),
                };
                if let Some(date) = date {
                    self.check_session_request(k, l, &service, date, input, &mut e, &mut new)
                        .await?;
                }
            }
            (Some(RequestKind::MissingLine), _) => {
                if input.person_name.trim().is_empty() {
                    e.add("person_name", "Enter the person's name");
                }
                match Days::parse(&input.days) {
                    Some(d) => new.days = d.codes(),
                    None => e.add("days", "Select the days the social worker agreed"),
                }
                if let Some(t) = e.check(
                    "session_type",
                    SessionType::parse(input.session_type.trim()),
                ) {
                    new.session_type = t.as_str().into();
                }
                let agreed = match input.agreed_start.trim() {
                    "" => {
                        e.add(
                            "agreed_start",
                            "Enter the date the service line was agreed to start",
                        );
                        None
                    }
                    d => e.check("agreed_start", parse_date(d)),
                };
                if let Some(a) = agreed {
                    let from = rules::missing_line_reportable_from(a);
                    if today < from {
                        e.add(
                            "agreed_start",
                            format!(
                                "A missing service line is reported once four weeks have passed since it was agreed to start: this one from {}",
                                day_text(from)
                            ),
                        );
                    }
                    new.agreed_start = Some(a.to_string());
                }
                if input.social_worker_name.trim().is_empty() {
                    e.add(
                        "social_worker_name",
                        "Enter the social worker who agreed the service line",
                    );
                }
                let email = input.social_worker_email.trim();
                if !email.is_empty() && !looks_like_email(email) {
                    e.add(
                        "social_worker_email",
                        "Enter an e-mail address, like name@example.gov.uk",
                    );
                }
                match &file {
                    None => e.add(
                        "file",
                        "Attach the correspondence with the social worker that agreed the service line",
                    ),
                    Some((_, b)) if b.is_empty() => e.add("file", "The selected file is empty"),
                    Some((_, b)) if b.len() > MAX_ATTACHMENT_BYTES => {
                        e.add("file", "The selected file must be smaller than 10 MB")
                    }
                    Some((name, b)) => match attachment_type(name, b) {
                        Some(t) => new.file = Some((safe_name(name), t.to_string(), b.clone())),
                        None => e.add(
                            "file",
                            "The selected file must be a PDF, a picture (PNG or JPEG), a Word document (.docx), an Outlook message (.msg) or a saved e-mail (.eml or .txt)",
                        ),
                    },
                }
                new.person_name = input.person_name.trim().into();
                new.social_worker_name = input.social_worker_name.trim().into();
                new.social_worker_email = email.into();
                new.told = point_addresses(&points, SUPPORT_OPTIONS).join(", ");
            }
            _ => {}
        }
        e.into_result()?;
        new.line_id = line.as_ref().map(|l| l.id);
        let kind = kind.ok_or_else(|| AppError::Internal("kind checked".into()))?;
        let (person, provider) = self
            .request_names(&service, line.as_ref(), &new.person_name)
            .await?;
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx.raise_day_request(&new).await?;
        for address in new.told.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            tx.queue_mail(
                address,
                &format!("Day activities: {} ({person})", kind.label()),
                &format!(
                    "{provider} raised a request about {person} at {}: {}.\n\n{details}\n\nSee it in Hearth under Day activities > Requests (request {}); only an authorisation recorded there changes the person's planned sessions.\n",
                    service.name,
                    kind.label().to_lowercase(),
                    r.id
                ),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(r)
    }

    /// Who a request is about (the line's person, or the name given for a missing line) and
    /// the provider that raised it.
    async fn request_names(
        &self,
        service: &Service,
        line: Option<&DayLine>,
        person_name: &str,
    ) -> Result<(String, String), AppError> {
        let person = match line {
            Some(l) => self
                .client_names(service.authority_id, std::iter::once(l.client_id))
                .await?
                .remove(&l.client_id)
                .unwrap_or_default(),
            None => person_name.to_string(),
        };
        let provider = self
            .db
            .provider(service.provider_id)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        Ok((person, provider))
    }

    /// Checks a request for a session not planned, or a change to a confirmed session, and
    /// fills in what it asks for.
    #[allow(clippy::too_many_arguments)]
    async fn check_session_request(
        &self,
        kind: RequestKind,
        line: &DayLine,
        service: &Service,
        date: NaiveDate,
        input: &RequestInput,
        e: &mut FieldErrors,
        new: &mut NewDayRequest,
    ) -> Result<(), AppError> {
        new.session_date = Some(date.to_string());
        let start = ymd(&line.start_date);
        let end = line.end_date.as_deref().and_then(ymd);
        if date > self.today() {
            e.add("session_date", "The session's date must be today or before");
            return Ok(());
        }
        if start.is_some_and(|s| date < s) || end.is_some_and(|x| date > x) {
            e.add(
                "session_date",
                "The date must be inside the person's service line",
            );
            return Ok(());
        }
        let recorded = self
            .db
            .day_sessions(service.id, &date.to_string(), &date.to_string())
            .await?
            .into_iter()
            .find(|s| s.line_id == line.id);
        let week = self
            .db
            .day_week(service.id, &rules::week_start(date).to_string())
            .await?;
        let confirmed = week
            .as_ref()
            .is_some_and(|w| w.status == day_weeks::Status::Confirmed.as_str());
        if kind == RequestKind::ExtraSession {
            let planned = Days::parse(&line.days).is_some_and(|d| {
                start.is_some_and(|s| rules::planned_dates(d, s, end, date).contains(&date))
            });
            let calendar = self.region_calendar(service.authority_id).await?;
            if planned {
                e.add(
                    "session_date",
                    "This day is a planned session: record it on the week's page, or ask for a change to a confirmed week",
                );
            } else if recorded.is_some() {
                e.add("session_date", "A session is already recorded on this day");
            } else if calendar.is_bank_holiday(date) && service.opens_on_bank_holidays == 0 {
                e.add("session_date", "The service does not open on bank holidays");
            }
            new.outcome = Outcome::Attended.as_str().into();
            return Ok(());
        }
        // A change to a confirmed session.
        let Some(before) = recorded else {
            e.add(
                "session_date",
                "No session is recorded for this person on this day",
            );
            return Ok(());
        };
        if !confirmed {
            e.add(
                "session_date",
                "This week is not confirmed: change the session on the week's page",
            );
            return Ok(());
        }
        let outcome = e.check("outcome", Outcome::parse(input.outcome.trim()));
        let reason = match outcome {
            Some(Outcome::Absent) => e.check("reason", AbsenceReason::parse(input.reason.trim())),
            _ => None,
        };
        if let Some(o) = outcome {
            let reason_code = reason.map(|r| r.as_str()).unwrap_or("");
            if before.outcome == o.as_str() && before.reason == reason_code {
                e.add(
                    "outcome",
                    "This is what is recorded already: choose what did happen",
                );
            }
            new.outcome = o.as_str().into();
            new.reason = reason_code.into();
        }
        Ok(())
    }

    /// The requests the principal may see, newest first: a provider's own services' (a
    /// limited user's in scope), or every one of the authority for staff.
    pub async fn day_requests(&self, who: &Principal) -> Result<Vec<RequestView>, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        let services = self.day_services(who).await?;
        let rows = self.db.day_requests(who.authority_id(), None).await?;
        let mut out = Vec::new();
        let lines = {
            let mut m = std::collections::HashMap::new();
            for r in &rows {
                if let Some(id) = r.line_id {
                    if let std::collections::hash_map::Entry::Vacant(v) = m.entry(id) {
                        if let Some(l) = self.db.day_line(id).await? {
                            v.insert(l);
                        }
                    }
                }
            }
            m
        };
        let names = self
            .client_names(who.authority_id(), lines.values().map(|l| l.client_id))
            .await?;
        let mut providers = std::collections::HashMap::new();
        for r in rows {
            let Some(service) = services.iter().find(|s| s.id == r.service_id) else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(v) =
                providers.entry(service.provider_id)
            {
                v.insert(
                    self.db
                        .provider(service.provider_id)
                        .await?
                        .map(|p| p.name)
                        .unwrap_or_default(),
                );
            }
            let line = r.line_id.and_then(|id| lines.get(&id).cloned());
            out.push(RequestView {
                kind: RequestKind::parse(&r.kind).unwrap_or(RequestKind::ChangeOfNeed),
                status: Status::parse(&r.status).unwrap_or(Status::Raised),
                person: match &line {
                    Some(l) => names.get(&l.client_id).cloned().unwrap_or_default(),
                    None => r.person_name.clone(),
                },
                provider: providers
                    .get(&service.provider_id)
                    .cloned()
                    .unwrap_or_default(),
                service: service.clone(),
                line,
                request: r,
            });
        }
        Ok(out)
    }

    /// One request, if the principal may see it.
    pub async fn day_request(&self, who: &Principal, id: i64) -> Result<RequestView, AppError> {
        who.require_or_hide(Permission::SignedIn)?;
        let r = self
            .db
            .day_request(id)
            .await?
            .filter(|r| r.authority_id == who.authority_id())
            .ok_or(AppError::NotFound)?;
        let service = self.day_service(who, r.service_id).await?;
        let line = match r.line_id {
            Some(l) => self.db.day_line(l).await?,
            None => None,
        };
        let (person, provider) = self
            .request_names(&service, line.as_ref(), &r.person_name)
            .await?;
        Ok(RequestView {
            kind: RequestKind::parse(&r.kind).unwrap_or(RequestKind::ChangeOfNeed),
            status: Status::parse(&r.status).unwrap_or(Status::Raised),
            service,
            provider,
            person,
            line,
            request: r,
        })
    }

    /// A request's correspondence: its file name, content type and bytes.
    pub async fn day_request_file(
        &self,
        who: &Principal,
        id: i64,
    ) -> Result<(String, String, Vec<u8>), AppError> {
        let v = self.day_request(who, id).await?;
        if v.request.size_bytes == 0 {
            return Err(AppError::NotFound);
        }
        let bytes = self.db.day_request_file(id).await?;
        Ok((v.request.filename, v.request.content_type, bytes))
    }

    /// The team refers a request to the person's allocated social worker (by e-mail through
    /// the outbox), with a note.
    pub async fn refer_day_request(
        &self,
        who: &Principal,
        id: i64,
        to: &str,
        note: &str,
    ) -> Result<DayRequest, AppError> {
        // Whoever sees the request may read it; only the team refers and decides it.
        let v = self.day_request(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_text("referred_to", to)?;
        crate::text::check_text("message", note)?;
        let to = to.trim();
        let facts = Facts {
            referee_given: !to.is_empty(),
            note_given: !note.trim().is_empty(),
        };
        flow::next(v.status, Event::Refer, Actor::Team, facts)
            .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))?;
        if !looks_like_email(to) {
            return Err(AppError::invalid(
                "referred_to",
                "Enter an e-mail address, like name@example.gov.uk",
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        let r = tx
            .refer_day_request(id, to)
            .await?
            .ok_or(AppError::NotFound)?;
        let attached = if v.request.size_bytes > 0 {
            format!(
                "\n\nThe provider attached its correspondence with you ({}); it is with the request in Hearth.",
                v.request.filename
            )
        } else {
            String::new()
        };
        tx.queue_mail(
            to,
            &format!("Day activities: {} ({}) referred to you", v.kind.label(), v.person),
            &format!(
                "{} of {} raised a request about {}: {}.\n\n{}{attached}\n\n{}\n\nPlease reply to the team with what you agree, so it can record the outcome (request {id}).\n",
                v.provider,
                v.service.name,
                v.person,
                v.kind.label().to_lowercase(),
                v.request.details,
                note.trim()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    /// The team decides a request. Declining records why and changes nothing. Authorising
    /// records the social worker's authorisation and makes the change: a change of need
    /// changes the service line from a date, or ends it at the end of the notice period; a
    /// session not planned is added as attended; a confirmed session is changed (the next
    /// payment run pays or recovers the difference); a missing line is agreed, and the team
    /// adds it. The provider is told either way.
    pub async fn decide_day_request(
        &self,
        who: &Principal,
        id: i64,
        input: &DecisionInput,
    ) -> Result<DayRequest, AppError> {
        // Whoever sees the request may read it; only the team refers and decides it.
        let v = self.day_request(who, id).await?;
        who.require(Permission::BackOfficeWrite)?;
        crate::text::check_lengths(input)?;
        let event = match input.decision.trim() {
            "authorise" => Event::Authorise,
            "decline" => Event::Decline,
            _ => {
                return Err(AppError::invalid(
                    "decision",
                    "Select whether the request is authorised or declined",
                ))
            }
        };
        let note = input.note.trim();
        flow::next(
            v.status,
            event,
            Actor::Team,
            Facts {
                note_given: !note.is_empty(),
                referee_given: true,
            },
        )
        .map_err(|r| AppError::refused(r, ConflictCode::AlreadyDecided))?;
        let today = self.today();
        let mut tx = self.begin_write(&who.actor()).await?;
        let change = if event == Event::Decline {
            "Nothing changes.".to_string()
        } else {
            match v.kind {
                RequestKind::ChangeOfNeed => {
                    let line = v.line.as_ref().ok_or(AppError::NotFound)?;
                    self.authorise_change_of_need(&mut tx, line, input, today)
                        .await?
                }
                RequestKind::ExtraSession | RequestKind::AmendSession => {
                    let line = v.line.as_ref().ok_or(AppError::NotFound)?;
                    let date = v
                        .request
                        .session_date
                        .as_deref()
                        .and_then(ymd)
                        .ok_or(AppError::NotFound)?;
                    let recorded = self
                        .db
                        .day_sessions(v.service.id, &date.to_string(), &date.to_string())
                        .await?
                        .into_iter()
                        .find(|s| s.line_id == line.id);
                    let outcome = Outcome::parse(&v.request.outcome).unwrap_or(Outcome::Attended);
                    let reason = AbsenceReason::parse(&v.request.reason).ok();
                    let what = match reason {
                        Some(r) => format!("{} ({})", outcome.label(), r.label().to_lowercase()),
                        None => outcome.label().to_string(),
                    };
                    let change = match (v.kind, &recorded) {
                        (RequestKind::ExtraSession, Some(_)) => {
                            return Err(AppError::invalid(
                                "decision",
                                "A session is recorded on this day already: decline the request",
                            ))
                        }
                        (RequestKind::ExtraSession, None) => {
                            format!("The session on {} is added as attended.", day_text(date))
                        }
                        (_, Some(b)) => {
                            let week = self
                                .db
                                .day_week(v.service.id, &rules::week_start(date).to_string())
                                .await?;
                            let status = week
                                .as_ref()
                                .and_then(|w| day_weeks::Status::parse(&w.status))
                                .unwrap_or(day_weeks::Status::Open);
                            day_weeks::next(
                                status,
                                day_weeks::Event::Amend,
                                day_weeks::Actor::Team,
                                day_weeks::Facts::default(),
                            )
                            .map_err(|r| AppError::refused(r, ConflictCode::WrongState))?;
                            let was = Outcome::parse(&b.outcome)
                                .map(|o| o.label().to_string())
                                .unwrap_or_default();
                            format!(
                                "The session on {} is changed from {} to {}; the next payment run pays or recovers the difference.",
                                day_text(date),
                                was.to_lowercase(),
                                what.to_lowercase()
                            )
                        }
                        (_, None) => return Err(AppError::NotFound),
                    };
                    let fields = SessionFields {
                        outcome: outcome.as_str().into(),
                        reason: reason.map(|r| r.as_str().to_string()).unwrap_or_default(),
                        short_notice: recorded.as_ref().is_some_and(|b| b.short_notice != 0),
                        comment: format!("By request {id}: {}", v.request.details)
                            .chars()
                            .take(crate::day_activities::MAX_NOTE_CHARS)
                            .collect(),
                        expected_back: None,
                        family_contact: recorded
                            .as_ref()
                            .map(|b| b.family_contact.clone())
                            .unwrap_or_default(),
                        concern: recorded.as_ref().map_or(0, |b| b.concern),
                    };
                    tx.record_day_session(line, &date.to_string(), recorded.as_ref(), &fields)
                        .await?;
                    change
                }
                RequestKind::MissingLine => {
                    "Agreed by the social worker: the team adds the service line.".to_string()
                }
            }
        };
        let status = if event == Event::Authorise {
            Status::Authorised
        } else {
            Status::Declined
        };
        let r = tx
            .decide_day_request(id, status.as_str(), note, &change)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(p) = self.db.provider(v.service.provider_id).await? {
            if !p.email.trim().is_empty() {
                tx.queue_mail(
                    &p.email,
                    &format!(
                        "Day activities: your request about {} is {}",
                        v.person,
                        status.label().to_lowercase()
                    ),
                    &format!(
                        "Your request about {} at {} ({}) is {}.\n\n{note}\n\n{change}\n",
                        v.person,
                        v.service.name,
                        v.kind.label().to_lowercase(),
                        status.label().to_lowercase()
                    ),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(r)
    }

    /// A change of need authorised: the line changes from a date (the old line ends the day
    /// before, a new one starts), or ends at the end of the notice period.
    async fn authorise_change_of_need(
        &self,
        tx: &mut hearth_store::WriteTx,
        line: &DayLine,
        input: &DecisionInput,
        today: NaiveDate,
    ) -> Result<String, AppError> {
        let mut e = FieldErrors::new();
        let need = e.check("need", NeedDecision::parse(input.need.trim()));
        let start = ymd(&line.start_date).unwrap_or(today);
        let end = line.end_date.as_deref().and_then(ymd);
        // Sessions recorded on or after a date stop the line changing from it: a week
        // recorded is changed by a request to change a confirmed week.
        let recorded_after = |from: NaiveDate| async move {
            Ok::<bool, AppError>(
                self.db
                    .day_sessions(
                        line.service_id,
                        &from.to_string(),
                        &(from + Duration::days(3660)).to_string(),
                    )
                    .await?
                    .iter()
                    .any(|s| s.line_id == line.id),
            )
        };
        match need {
            Some(NeedDecision::End) => {
                let last = match input.end_date.trim() {
                    "" => Some(rules::notice_ends(today, NOTICE_DAYS)),
                    d => e.check("end_date", parse_date(d)),
                };
                e.into_result()?;
                let last = last.ok_or_else(|| AppError::Internal("checked".into()))?;
                if last < today || last < start {
                    return Err(AppError::invalid(
                        "end_date",
                        "The placement's last day must be today or later",
                    ));
                }
                if end.is_some_and(|x| last > x) {
                    return Err(AppError::invalid(
                        "end_date",
                        "The service line ends before this date already",
                    ));
                }
                if recorded_after(last + Duration::days(1)).await? {
                    return Err(AppError::invalid(
                        "end_date",
                        "Sessions are recorded after this date: choose a later one",
                    ));
                }
                tx.end_day_line(line.id, &last.to_string()).await?;
                Ok(format!(
                    "The placement is no longer needed: the contract's notice period has started, and the service line ends on {}.",
                    day_text(last)
                ))
            }
            Some(NeedDecision::Change) => {
                let from = match input.from_date.trim() {
                    "" => {
                        e.add("from_date", "Enter the date the change starts");
                        None
                    }
                    d => e.check("from_date", parse_date(d)),
                };
                let days = Days::parse(&input.days);
                if days.is_none() {
                    e.add("days", "Select at least one day of the week");
                }
                let session_type = e.check(
                    "session_type",
                    SessionType::parse(input.session_type.trim()),
                );
                let rate = match input.rate.trim() {
                    "" => Some(Pence(line.rate_pence)),
                    _ => e.check("rate", Pence::parse_pounds(&input.rate)),
                };
                if rate.is_some_and(|r| r.0 <= 0) {
                    e.add("rate", "Enter the rate per session, more than £0");
                }
                if let Some(f) = from {
                    if f < today || f <= start {
                        e.add(
                            "from_date",
                            "The change must start today or later, after the line's start",
                        );
                    } else if end.is_some_and(|x| f > x) {
                        e.add("from_date", "The service line ends before this date");
                    } else if recorded_after(f).await? {
                        e.add(
                            "from_date",
                            "Sessions are recorded on or after this date: choose a later one",
                        );
                    }
                }
                e.into_result()?;
                let (Some(from), Some(days), Some(session_type), Some(rate)) =
                    (from, days, session_type, rate)
                else {
                    return Err(AppError::Internal("checked".into()));
                };
                tx.end_day_line(line.id, &(from - Duration::days(1)).to_string())
                    .await?;
                tx.insert_day_line(
                    line.authority_id,
                    &DayLineFields {
                        service_id: line.service_id,
                        client_id: line.client_id,
                        client_group: line.client_group.clone(),
                        days: days.codes(),
                        session_type: session_type.as_str().into(),
                        rate_pence: rate.0,
                        start_date: from.to_string(),
                        end_date: line.end_date.clone(),
                        route: line.route.clone(),
                        social_worker_name: line.social_worker_name.clone(),
                        social_worker_team: line.social_worker_team.clone(),
                        social_worker_email: line.social_worker_email.clone(),
                        social_worker_phone: line.social_worker_phone.clone(),
                    },
                )
                .await?;
                Ok(format!(
                    "From {}: {}, {} at {} a session (was {}, {} at {}).",
                    day_text(from),
                    days.names(),
                    session_type.label().to_lowercase(),
                    rate,
                    Days::parse(&line.days).map(Days::names).unwrap_or_default(),
                    SessionType::parse(&line.session_type)
                        .map(|t| t.label().to_lowercase())
                        .unwrap_or_default(),
                    Pence(line.rate_pence)
                ))
            }
            None => Err(AppError::Invalid(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn correspondence_is_judged_by_its_bytes() {
        assert_eq!(
            attachment_type("a.pdf", b"%PDF-1.7 ..."),
            Some("application/pdf")
        );
        assert_eq!(
            attachment_type("mail.eml", b"From: a@b.c"),
            Some("message/rfc822")
        );
        // A name is not enough: an executable called .pdf is refused.
        assert_eq!(attachment_type("a.pdf", b"MZ\x90\x00"), None);
        assert_eq!(
            attachment_type("a.docx", b"PK\x03\x04..."),
            Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        );
        assert_eq!(attachment_type("a.zip", b"PK\x03\x04..."), None);
        assert_eq!(attachment_type("a.txt", &[0xFF, 0xFE, 0x00]), None);
        assert_eq!(safe_name("../../etc/passwd\r\n"), "....etcpasswd");
        assert_eq!(safe_name("\u{1F600}"), "correspondence");
    }
}
