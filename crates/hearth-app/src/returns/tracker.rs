//! The returns tracker (F4.5): due dates, what came, late and missing, reminders.

#[allow(unused_imports)]
use super::*;
use hearth_domain::performance::DueDays;
use hearth_domain::text::plural;

/// One service's line in the returns tracker for a quarter.
#[derive(Debug, Clone)]
pub struct TrackerLine {
    pub service: Service,
    pub provider_name: String,
    pub due: chrono::NaiveDate,
    /// An extension granted to this service for the quarter (then `due` is the extended date).
    pub extended: bool,
    pub received: Option<chrono::NaiveDate>,
    pub status: Option<String>,
    /// When a return sent back is due again.
    pub resubmit_by: Option<chrono::NaiveDate>,
}

impl TrackerLine {
    /// A return sent back whose date to send it again has passed.
    pub fn resubmission_overdue(&self, today: chrono::NaiveDate) -> bool {
        self.resubmit_by.is_some_and(|d| today > d)
            && matches!(
                self.status.as_deref(),
                Some(INCOMPLETE | EXPLANATION_REQUESTED)
            )
    }
    pub fn late(&self) -> bool {
        self.received.is_some_and(|r| r > self.due)
    }
    pub fn missing(&self, today: chrono::NaiveDate) -> bool {
        self.received.is_none() && today > self.due
    }
}

/// The most days past the due date a provider may ask for.
pub const MAX_EXTENSION_DAYS: i64 = 90;

/// A provider's request for more time for a return: the quarter ("2026/27 Q2"), the date
/// asked for, and why.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct ExtensionAsk {
    #[serde(default)]
    pub quarter: String,
    #[serde(default)]
    pub until: String,
    #[serde(default)]
    pub reason: String,
}

/// Days after a quarter ends that its return is due, unless the authority sets its own.
pub const DEFAULT_DUE_DAYS: i64 = 28;

impl App {
    /// Days after the quarter's end that returns are due, for an authority.
    pub async fn returns_due_days(&self, authority_id: i64) -> Result<i64, AppError> {
        Ok(self
            .db
            .setting(&format!("returns_due_days:{authority_id}"))
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_DUE_DAYS))
    }

    /// The authority's administrator sets how many days after a quarter returns are due.
    pub async fn set_returns_due_days(
        &self,
        who: &Principal,
        days: DueDays,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        who.require(Permission::Administer)?;
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_setting(
            &format!("returns_due_days:{}", who.authority_id()),
            &days.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The returns tracker (F4.5): every service of the authority for a quarter, with its due
    /// date, when its return came and whether it was late or is missing.
    /// The board report of a quarter's late and missing returns, as a tagged PDF: the
    /// quarter's due date and counts, then a table of every late or missing return.
    pub async fn late_returns_report(
        &self,
        who: &Principal,
        q: Quarter,
    ) -> Result<Vec<u8>, AppError> {
        use hearth_docs::pdf::{render, Block, Report, Table};
        let lines = self.returns_tracker(who, q).await?;
        let today = self.today();
        let due =
            q.end() + chrono::Duration::days(self.returns_due_days(who.authority_id()).await?);
        let authority = self
            .db
            .authority(who.authority_id())
            .await?
            .map(|a| a.name)
            .unwrap_or_default();
        let day = |d: chrono::NaiveDate| d.format("%-d %B %Y").to_string();
        let rows: Vec<Vec<String>> = lines
            .iter()
            .filter(|l| l.late() || l.missing(today))
            .map(|l| {
                vec![
                    if l.missing(today) { "Missing" } else { "Late" }.to_string(),
                    l.service.name.clone(),
                    l.provider_name.clone(),
                    day(l.due),
                    l.received.map(day).unwrap_or_default(),
                ]
            })
            .collect();
        let mut blocks = vec![
            Block::Paragraph(format!(
                "Quarter {}: returns were due on {} unless extended.",
                q.label(),
                day(due)
            )),
            Block::Paragraph(format!(
                "{}; {} received; {} late; {} missing on {}.",
                plural(lines.len(), "service", "services"),
                plural(
                    lines.iter().filter(|l| l.received.is_some()).count(),
                    "return",
                    "returns"
                ),
                lines.iter().filter(|l| l.late()).count(),
                lines.iter().filter(|l| l.missing(today)).count(),
                day(today)
            )),
            Block::Heading("Late and missing returns".into()),
        ];
        if rows.is_empty() {
            blocks.push(Block::Paragraph("None.".into()));
        } else {
            blocks.push(Block::Table(Table {
                header: ["Status", "Service", "Provider", "Due", "Received"]
                    .map(String::from)
                    .to_vec(),
                rows,
                widths: vec![1.0, 3.0, 3.0, 1.8, 1.8],
            }));
        }
        render(&Report {
            title: format!("Late and non-returns, {}", q.label()),
            author: authority,
            blocks,
        })
        .map_err(|e| AppError::Internal(e.to_string()))
    }

    pub async fn returns_tracker(
        &self,
        who: &Principal,
        q: Quarter,
    ) -> Result<Vec<TrackerLine>, AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.tracker_lines(who, q).await
    }

    /// A provider's returns overview: for each of its services (as far as the user's access
    /// goes), each of the last `quarters` quarters that have ended, newest first, with the
    /// due date, what came and whether it is late or missing.
    pub async fn provider_returns(
        &self,
        who: &Principal,
        quarters: usize,
    ) -> Result<Vec<(Quarter, Vec<TrackerLine>)>, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let mut q = Quarter::for_date(self.today()).previous();
        let mut list = Vec::new();
        for _ in 0..quarters.clamp(1, 8) {
            list.push(q);
            q = q.previous();
        }
        let lines = self.tracker_lines_for(who, &list).await?;
        Ok(list.into_iter().zip(lines).collect())
    }

    /// The tracker's lines for the services the principal may see (authorised by the caller).
    async fn tracker_lines(
        &self,
        who: &Principal,
        q: Quarter,
    ) -> Result<Vec<TrackerLine>, AppError> {
        Ok(self
            .tracker_lines_for(who, &[q])
            .await?
            .pop()
            .unwrap_or_default())
    }

    /// The tracker's lines of each quarter, in the order given. The same few reads serve
    /// every quarter, whatever their number or the number of services: the services, their
    /// returns since the oldest quarter's year (a provider's own services' only), the
    /// extensions granted and the providers' names.
    async fn tracker_lines_for(
        &self,
        who: &Principal,
        quarters: &[Quarter],
    ) -> Result<Vec<Vec<TrackerLine>>, AppError> {
        let Some(oldest) = quarters
            .iter()
            .map(|q| i64::from(q.year().start_year))
            .min()
        else {
            return Ok(Vec::new());
        };
        let due_days = self.returns_due_days(who.authority_id()).await?;
        let mut f = who.service_filter();
        f.per_page = 100_000;
        let services = self.db.list_services(&f).await?.items;
        let returns = match who {
            Principal::Provider { .. } => {
                let ids: Vec<i64> = services.iter().map(|s| s.id).collect();
                self.db.services_returns_since(&ids, oldest).await?
            }
            _ => {
                self.db
                    .authority_returns_since(who.authority_id(), oldest)
                    .await?
            }
        };
        let mut of_service: std::collections::HashMap<(i64, i64, i64), Vec<PerformanceReturn>> =
            Default::default();
        for r in returns {
            of_service
                .entry((r.service_id, r.year_start, r.quarter))
                .or_default()
                .push(r);
        }
        let extensions: std::collections::HashMap<(i64, i64, i64), chrono::NaiveDate> = self
            .db
            .return_extensions_since(who.authority_id(), oldest)
            .await?
            .into_iter()
            .filter_map(|e| {
                let date = chrono::NaiveDate::parse_from_str(&e.due_date, "%Y-%m-%d").ok()?;
                Some(((e.service_id, e.year_start, e.quarter), date))
            })
            .collect();
        let mut pf = who.provider_filter();
        pf.per_page = 100_000;
        let names: std::collections::HashMap<i64, String> = self
            .db
            .list_providers(&pf)
            .await?
            .items
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
        let mut all = Vec::new();
        for q in quarters {
            let due = q.end() + chrono::Duration::days(due_days);
            let (year, number) = (i64::from(q.year().start_year), i64::from(q.number()));
            let mut out = Vec::new();
            for s in &services {
                let key = (s.id, year, number);
                let returns = of_service.remove(&key).unwrap_or_default();
                let first = returns.iter().min_by_key(|r| r.submitted_at);
                // Newest first, as `service_returns` orders them.
                let latest = returns.iter().find(|r| r.status != REPLACED);
                let latest_status = latest.map(|r| r.status.clone());
                let resubmit_by = latest
                    .and_then(|r| r.resubmit_by.as_deref())
                    .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
                let extension = extensions.get(&key).copied();
                out.push(TrackerLine {
                    provider_name: names.get(&s.provider_id).cloned().unwrap_or_default(),
                    due: extension.unwrap_or(due),
                    extended: extension.is_some(),
                    // The day it arrived in the UK (a return sent at 00:30 BST is that day's).
                    received: first
                        .and_then(|r| hearth_domain::clock::uk_time_of(r.submitted_at))
                        .map(|t| t.date()),
                    status: latest_status,
                    resubmit_by,
                    service: s.clone(),
                });
            }
            out.sort_by(|a, b| {
                a.provider_name
                    .cmp(&b.provider_name)
                    .then(a.service.name.cmp(&b.service.name))
            });
            all.push(out);
        }
        Ok(all)
    }

    /// The extended due date granted to a service for a quarter, if any.
    pub async fn extension(
        &self,
        service_id: i64,
        q: Quarter,
    ) -> Result<Option<chrono::NaiveDate>, AppError> {
        Ok(self
            .db
            .return_extension(
                service_id,
                i64::from(q.year().start_year),
                i64::from(q.number()),
            )
            .await?
            .and_then(|e| chrono::NaiveDate::parse_from_str(&e.due_date, "%Y-%m-%d").ok()))
    }

    /// When a service's return for a quarter is due: its extension if one was granted, or the
    /// authority's number of days after the quarter ends.
    pub async fn return_due(
        &self,
        service: &Service,
        q: Quarter,
    ) -> Result<chrono::NaiveDate, AppError> {
        if let Some(d) = self.extension(service.id, q).await? {
            return Ok(d);
        }
        Ok(q.end() + chrono::Duration::days(self.returns_due_days(service.authority_id).await?))
    }

    /// A provider asks for more time for a quarter's return, with its reason (F4.5): a
    /// request the commissioning team approves or rejects, like any other. Approval grants
    /// the extension ([`App::apply_return_extension`]).
    pub async fn request_return_extension(
        &self,
        who: &Principal,
        service_id: i64,
        ask: &ExtensionAsk,
    ) -> Result<crate::requests::Request, AppError> {
        who.require_or_hide(Permission::ProviderPortal)?;
        let service = self.service(who, service_id).await?;
        crate::text::check_lengths(ask)?;
        let today = self.today();
        let mut e = FieldErrors::new();
        let quarter = match Quarter::parse(&ask.quarter) {
            Ok(q) if q.start() <= today => Some(q),
            _ => {
                e.add("quarter", "Choose the quarter the return is for");
                None
            }
        };
        let until = match hearth_domain::parse_date(&ask.until) {
            Ok(d) => Some(d),
            Err(err) => {
                e.add("until", err.message);
                None
            }
        };
        let reason = ask.reason.trim();
        if reason.is_empty() {
            e.add("reason", "Say why the return needs more time");
        }
        let mut base_due = None;
        if let Some(q) = quarter {
            let due = self.return_due(&service, q).await?;
            base_due = Some(due);
            if let Some(u) = until {
                if u <= due {
                    e.add(
                        "until",
                        format!(
                            "The new date must be after the date the return is due, {}",
                            due.format("%-d %B %Y")
                        ),
                    );
                } else if u > due + chrono::Duration::days(MAX_EXTENSION_DAYS) {
                    e.add(
                        "until",
                        format!("Ask for no more than {MAX_EXTENSION_DAYS} days after the date the return is due"),
                    );
                }
            }
            let sent = self
                .db
                .service_returns(service_id)
                .await?
                .into_iter()
                .any(|r| {
                    r.year_start == i64::from(q.year().start_year)
                        && r.quarter == i64::from(q.number())
                        && r.status != REPLACED
                });
            if sent {
                e.add(
                    "quarter",
                    format!("The {} return has already been sent", q.label()),
                );
            }
            let pending = self
                .db
                .list_requests(&hearth_store::RequestFilter {
                    authority_id: Some(service.authority_id),
                    provider_id: Some(service.provider_id),
                    service_ids: Some(vec![service_id]),
                    status: Some("pending".into()),
                    kind: Some(hearth_domain::RequestKind::ReturnExtension.as_str().into()),
                    limit: 100,
                    ..Default::default()
                })
                .await?
                .into_iter()
                .any(|r| r.payload_json.contains(&format!("\"{}\"", q.label())));
            if pending {
                e.add(
                    "quarter",
                    format!(
                        "You have already asked for more time for the {} return; the team has not decided yet",
                        q.label()
                    ),
                );
            }
        }
        e.into_result()?;
        let (Some(q), Some(until), Some(due)) = (quarter, until, base_due) else {
            return Err(AppError::invalid(
                "quarter",
                "Choose the quarter the return is for",
            ));
        };
        self.submit_request(
            who,
            crate::requests::Submission {
                service_id: Some(service_id),
                summary: format!("More time for the {} return of {}", q.label(), service.name),
                payload: crate::requests::Payload::ReturnExtension(
                    crate::requests::ReturnExtensionAsk {
                        quarter: q,
                        until,
                        reason: reason.to_string(),
                    },
                ),
                base: Some(serde_json::json!({ "due_date": due.to_string() })),
                comment: String::new(),
            },
        )
        .await
    }

    /// Approving a request for more time: the extension is granted, unless the due date has
    /// changed since the request was made (then the team decides again on the new facts).
    pub(crate) async fn apply_return_extension(
        &self,
        tx: &mut hearth_store::WriteTx,
        r: &crate::requests::Request,
        service_id: i64,
        ask: &crate::requests::ReturnExtensionAsk,
    ) -> Result<String, AppError> {
        let service = self
            .db
            .service(service_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let due = self.return_due(&service, ask.quarter).await?;
        if Some(serde_json::json!({ "due_date": due.to_string() })) != r.base {
            return Err(AppError::Conflict(
                crate::error::ConflictCode::Stale,
                "The return's due date has changed since this request was made. Reject it and ask the provider to send a new request if more time is still needed.".into(),
            ));
        }
        tx.set_return_extension(
            service_id,
            i64::from(ask.quarter.year().start_year),
            i64::from(ask.quarter.number()),
            &ask.until.to_string(),
        )
        .await?;
        Ok(format!("service_returns:{service_id}"))
    }

    /// The team grants a service more time for a quarter's return.
    pub async fn grant_extension(
        &self,
        who: &Principal,
        service_id: i64,
        q: Quarter,
        date: chrono::NaiveDate,
    ) -> Result<(), AppError> {
        who.require_or_hide(Permission::BackOfficeRead)?;
        self.service(who, service_id).await?;
        who.require(Permission::BackOfficeWrite)?;
        if date <= q.end() {
            return Err(AppError::invalid(
                "until",
                "The extension must end after the quarter does",
            ));
        }
        let mut tx = self.begin_write(&who.actor()).await?;
        tx.set_return_extension(
            service_id,
            i64::from(q.year().start_year),
            i64::from(q.number()),
            &date.to_string(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Reminders before and after the deadline (F4.5), through the outbox, each sent once:
    /// a week before the due date and the day after it, to the provider's e-mail address.
    pub async fn send_return_reminders(&self, today: chrono::NaiveDate) -> Result<usize, AppError> {
        self.send_return_reminders_for(today, None).await
    }

    /// As [`App::send_return_reminders`], for one authority only when `authority` is given (a
    /// run an authority's administrator started).
    pub async fn send_return_reminders_for(
        &self,
        today: chrono::NaiveDate,
        authority: Option<i64>,
    ) -> Result<usize, AppError> {
        let q = Quarter::for_date(today).previous();
        let mut sent = 0;
        let authorities = self.db.authorities().await?;
        for a in authorities
            .into_iter()
            .filter(|a| authority.is_none() || authority == Some(a.id))
        {
            let standard_due = q.end() + chrono::Duration::days(self.returns_due_days(a.id).await?);
            let services = self
                .db
                .list_services(&hearth_store::ServiceFilter {
                    authority_id: Some(a.id),
                    per_page: 100_000,
                    ..Default::default()
                })
                .await?;
            for s in services.items {
                // An extension moves this service's deadline, and its reminders, to the new date.
                let due = self.extension(s.id, q).await?.unwrap_or(standard_due);
                let kind = if today == due - chrono::Duration::days(7) {
                    "before"
                } else if today == due + chrono::Duration::days(1) {
                    "after"
                } else {
                    continue;
                };
                let has = self.db.service_returns(s.id).await?.iter().any(|r| {
                    r.year_start == i64::from(q.year().start_year)
                        && r.quarter == i64::from(q.number())
                });
                let (year_start, number) = (i64::from(q.year().start_year), i64::from(q.number()));
                if has
                    || self
                        .db
                        .return_reminder(s.id, year_start, number, kind)
                        .await?
                        .is_some()
                {
                    continue;
                }
                let Some(p) = self.db.provider(s.provider_id).await? else {
                    continue;
                };
                if p.email.is_empty() {
                    continue;
                }
                let mut tx = self
                    .begin_write(&hearth_store::Actor::system("reminders"))
                    .await?;
                let (subject, body) = if kind == "before" {
                    (format!("Return for {} due on {}", q.label(), due), format!("The performance return of {} for {} is due on {}. Download the workbook from Hearth, or use the web form.", s.name, q.label(), due))
                } else {
                    (format!("Return for {} is late", q.label()), format!("The performance return of {} for {} was due on {} and has not arrived. Please send it now.", s.name, q.label(), due))
                };
                tx.queue_mail(&p.email, &subject, &body).await?;
                tx.insert_return_reminder(s.id, year_start, number, kind, &today.to_string())
                    .await?;
                tx.commit().await?;
                sent += 1;
            }
        }
        Ok(sent)
    }
}
