//! Day activities (C7, migration 22): people's service lines at day services, the provider's
//! weeks of actuals with their sessions, the access points by client group, and the alerts
//! the absence rules raised.
//!
//! Every row is written through the generic audited write. A week's sessions are recorded
//! one row each (a change of one session is audited as that session's change).

use crate::write::{audited, Changes, Record};
use crate::RecordType;
use crate::{record, Db, Params, Service, StoreError, WriteTx};

record!(
    /// A person's planned sessions at a day service.
    DayLine {
        id: i64,
        authority_id: i64,
        service_id: i64,
        client_id: i64,
        client_group: String,
        days: String,
        session_type: String,
        rate_pence: i64,
        start_date: String,
        end_date: Option<String>,
        route: String,
        social_worker_name: String,
        social_worker_team: String,
        social_worker_email: String,
        social_worker_phone: String,
        created_by_name: String,
        created_at: i64,
    }
);
audited!(DayLine, DayLine, "day_lines");

record!(
    /// A service's week of actuals (Monday to Sunday).
    DayWeek {
        id: i64,
        authority_id: i64,
        service_id: i64,
        week_start: String,
        status: String,
        deadline_at: i64,
        confirmed_by_name: Option<String>,
        confirmed_at: Option<i64>,
    }
);
audited!(DayWeek, DayWeek, "day_weeks");

record!(
    /// What happened at one planned session.
    DaySession {
        id: i64,
        line_id: i64,
        service_id: i64,
        session_date: String,
        outcome: String,
        reason: String,
        short_notice: i64,
        comment: String,
        expected_back: Option<String>,
        family_contact: String,
        concern: i64,
        recorded_by_name: String,
        recorded_at: i64,
    }
);
audited!(DaySession, DaySession, "day_sessions");

record!(
    /// What the absence rules read of a session.
    DayMark {
        line_id: i64,
        service_id: i64,
        session_date: String,
        outcome: String,
        reason: String,
        expected_back: Option<String>,
    }
);

/// An authority's sessions read a service at a time, in one query that is taken a row at a
/// time (so the whole of a national authority's history is never held at once).
pub struct DayMarksByService<'a> {
    rows: futures_core::stream::BoxStream<'a, Result<sqlx::any::AnyRow, sqlx::Error>>,
    ahead: Option<DayMark>,
}

impl DayMarksByService<'_> {
    /// The next service's sessions, by line and date; `None` when there are no more.
    pub async fn next_service(&mut self) -> Result<Option<(i64, Vec<DayMark>)>, StoreError> {
        let mut out: Vec<DayMark> = self.ahead.take().into_iter().collect();
        loop {
            let row = std::future::poll_fn(|cx| self.rows.as_mut().poll_next(cx)).await;
            let Some(row) = row else { break };
            let mark = DayMark::from_row(&row?)?;
            if out.first().is_some_and(|m| m.service_id != mark.service_id) {
                self.ahead = Some(mark);
                break;
            }
            out.push(mark);
        }
        Ok(out.first().map(|m| m.service_id).map(|id| (id, out)))
    }
}

record!(
    /// Where a client group's alerts go when the person has no allocated social worker.
    AccessPoint {
        id: i64,
        authority_id: i64,
        client_group: String,
        name: String,
        emails: String,
    }
);
audited!(AccessPoint, AccessPoint, "access_points");

record!(
    /// An alert the absence rules raised.
    DayAlert {
        id: i64,
        authority_id: i64,
        line_id: i64,
        service_id: i64,
        client_id: i64,
        kind: String,
        alert_key: String,
        details: String,
        told: String,
        raised_at: i64,
        acknowledged_by_name: Option<String>,
        acknowledged_at: Option<i64>,
        outcome: String,
    }
);
audited!(DayAlert, DayAlert, "day_alerts");

/// An alert the absence rules found, to be raised once for its key.
#[derive(Debug, Clone)]
pub struct NewDayAlert {
    pub line_id: i64,
    pub service_id: i64,
    pub client_id: i64,
    pub kind: String,
    pub key: String,
    pub details: String,
    /// Who is told, separated by commas.
    pub told: String,
}

/// Alerts written by one statement in [`WriteTx::raise_day_alerts`] (10 values each).
const ALERTS_PER_INSERT: usize = 50;

record!(
    /// A reminder sent for a week not confirmed.
    DayReminder {
        id: i64,
        service_id: i64,
        week_start: String,
        kind: String,
        sent_at: i64,
    }
);
audited!(DayReminder, DayReminder, "day_reminders");

record!(
    /// A provider's request about day activities (without its attachment's content).
    DayRequest {
        id: i64,
        authority_id: i64,
        service_id: i64,
        kind: String,
        line_id: Option<i64>,
        session_date: Option<String>,
        outcome: String,
        reason: String,
        details: String,
        person_name: String,
        days: String,
        session_type: String,
        agreed_start: Option<String>,
        social_worker_name: String,
        social_worker_email: String,
        filename: String,
        content_type: String,
        size_bytes: i64,
        status: String,
        told: String,
        raised_by_name: String,
        raised_at: i64,
        referred_to: String,
        referred_by_name: Option<String>,
        referred_at: Option<i64>,
        decided_by_name: Option<String>,
        decided_at: Option<i64>,
        decision_note: String,
        decision_change: String,
    }
);
audited!(DayRequest, DayRequest, "day_requests");

/// A request as the provider raises it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewDayRequest {
    pub authority_id: i64,
    pub service_id: i64,
    pub kind: String,
    pub line_id: Option<i64>,
    pub session_date: Option<String>,
    pub outcome: String,
    pub reason: String,
    pub details: String,
    pub person_name: String,
    pub days: String,
    pub session_type: String,
    pub agreed_start: Option<String>,
    pub social_worker_name: String,
    pub social_worker_email: String,
    pub told: String,
    /// The attachment: its file name, content type and bytes.
    pub file: Option<(String, String, Vec<u8>)>,
}

const REQUEST_COLUMNS: &str = "id, authority_id, service_id, kind, line_id, session_date, outcome, reason, details, person_name, days, session_type, agreed_start, social_worker_name, social_worker_email, filename, content_type, size_bytes, status, told, raised_by_name, raised_at, referred_to, referred_by_name, referred_at, decided_by_name, decided_at, decision_note, decision_change";

/// A service line's fields as the team records them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayLineFields {
    pub service_id: i64,
    pub client_id: i64,
    pub client_group: String,
    pub days: String,
    pub session_type: String,
    pub rate_pence: i64,
    pub start_date: String,
    pub end_date: Option<String>,
    pub route: String,
    pub social_worker_name: String,
    pub social_worker_team: String,
    pub social_worker_email: String,
    pub social_worker_phone: String,
}

/// What is recorded for a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFields {
    pub outcome: String,
    pub reason: String,
    pub short_notice: bool,
    pub comment: String,
    pub expected_back: Option<String>,
    pub family_contact: String,
    /// 0 none; 1 an immediate concern for the social worker or access point; 2 for the
    /// Safeguarding Adults Team.
    pub concern: i64,
}

impl DaySession {
    pub fn fields(&self) -> SessionFields {
        SessionFields {
            outcome: self.outcome.clone(),
            reason: self.reason.clone(),
            short_notice: self.short_notice != 0,
            comment: self.comment.clone(),
            expected_back: self.expected_back.clone(),
            family_contact: self.family_contact.clone(),
            concern: self.concern,
        }
    }
}

/// What a payment run reads of day activities: the authority's service lines that meet the
/// window and the sessions of its confirmed weeks in it.
#[derive(Debug, Clone, Default)]
pub struct DayInputs {
    pub lines: Vec<DayLine>,
    pub sessions: Vec<DaySession>,
    pub weeks: Vec<DayWeek>,
}

impl Db {
    /// The authority's day services (service type day activities), by name.
    pub async fn day_services(&self, authority_id: i64) -> Result<Vec<Service>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM services WHERE authority_id = $1 AND service_type = 'day_activities' ORDER BY name, id",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        Service::from_rows(&rows)
    }

    /// A service's lines that meet the dates `from` to `to` (ISO, inclusive), by person.
    pub async fn day_lines(
        &self,
        service_id: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<DayLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM day_lines WHERE service_id = $1 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $2) ORDER BY client_id, id",
        )
        .bind(service_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        DayLine::from_rows(&rows)
    }

    /// Every line of a service, ended ones too.
    pub async fn all_day_lines(&self, service_id: i64) -> Result<Vec<DayLine>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM day_lines WHERE service_id = $1 ORDER BY client_id, id")
                .bind(service_id)
                .fetch_all(&self.pool)
                .await?;
        DayLine::from_rows(&rows)
    }

    pub async fn day_line(&self, id: i64) -> Result<Option<DayLine>, StoreError> {
        let row = sqlx::query("SELECT * FROM day_lines WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| DayLine::from_row(&r)).transpose()
    }

    /// A service's week, if it has been started.
    pub async fn day_week(
        &self,
        service_id: i64,
        week_start: &str,
    ) -> Result<Option<DayWeek>, StoreError> {
        let row = sqlx::query("SELECT * FROM day_weeks WHERE service_id = $1 AND week_start = $2")
            .bind(service_id)
            .bind(week_start)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| DayWeek::from_row(&r)).transpose()
    }

    /// The weeks of an authority's day services from `from` on (ISO), newest first.
    pub async fn day_weeks(
        &self,
        authority_id: i64,
        from: &str,
    ) -> Result<Vec<DayWeek>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM day_weeks WHERE authority_id = $1 AND week_start >= $2 ORDER BY week_start DESC, service_id",
        )
        .bind(authority_id)
        .bind(from)
        .fetch_all(&self.pool)
        .await?;
        DayWeek::from_rows(&rows)
    }

    /// A service's recorded sessions dated `from` to `to` (ISO, inclusive).
    pub async fn day_sessions(
        &self,
        service_id: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<DaySession>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM day_sessions WHERE service_id = $1 AND session_date >= $2 AND session_date <= $3 ORDER BY line_id, session_date",
        )
        .bind(service_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        DaySession::from_rows(&rows)
    }

    /// What a payment run reads of day activities for the dates `from` to `to`: the lines
    /// that meet them, and the sessions of confirmed weeks in them.
    pub async fn day_inputs(
        &self,
        authority_id: i64,
        from: &str,
        to: &str,
    ) -> Result<DayInputs, StoreError> {
        let lines = self.day_lines_of_authority(authority_id, from, to).await?;
        let weeks = sqlx::query(
            "SELECT * FROM day_weeks WHERE authority_id = $1 AND status = 'confirmed' AND week_start <= $3 AND week_start >= $2 ORDER BY service_id, week_start",
        )
        .bind(authority_id)
        .bind(shift_back(from, 6))
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let rows = sqlx::query(
            "SELECT x.* FROM day_sessions x JOIN day_lines l ON l.id = x.line_id
             WHERE l.authority_id = $1 AND x.session_date >= $2 AND x.session_date <= $3
             ORDER BY x.line_id, x.session_date",
        )
        .bind(authority_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(DayInputs {
            lines,
            sessions: DaySession::from_rows(&rows)?,
            weeks: DayWeek::from_rows(&weeks)?,
        })
    }

    /// Whether a reminder of `kind` was sent for a service's week.
    pub async fn day_reminder_sent(
        &self,
        service_id: i64,
        week_start: &str,
        kind: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM day_reminders WHERE service_id = $1 AND week_start = $2 AND kind = $3",
        )
        .bind(service_id)
        .bind(week_start)
        .bind(kind)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// An authority's requests, newest first (or one service's, when `service_id` is given).
    pub async fn day_requests(
        &self,
        authority_id: i64,
        service_id: Option<i64>,
    ) -> Result<Vec<DayRequest>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM day_requests WHERE authority_id = $1 AND ($2 = 0 OR service_id = $2) ORDER BY raised_at DESC, id DESC"
        ))
        .bind(authority_id)
        .bind(service_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        DayRequest::from_rows(&rows)
    }

    pub async fn day_request(&self, id: i64) -> Result<Option<DayRequest>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REQUEST_COLUMNS} FROM day_requests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(DayRequest::from_row).transpose()
    }

    /// A request's attachment (empty when it has none).
    pub async fn day_request_file(&self, id: i64) -> Result<Vec<u8>, StoreError> {
        use sqlx::Row;
        let row = sqlx::query("SELECT content FROM day_requests WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r
                .try_get::<Option<Vec<u8>>, _>("content")?
                .unwrap_or_default(),
            None => Vec::new(),
        })
    }

    /// The authority's access points, by client group.
    pub async fn access_points(&self, authority_id: i64) -> Result<Vec<AccessPoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM access_points WHERE authority_id = $1 ORDER BY client_group",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        AccessPoint::from_rows(&rows)
    }

    /// The alerts of an authority, open ones first, newest first; or one line's.
    pub async fn day_alerts(
        &self,
        authority_id: i64,
        line_id: Option<i64>,
    ) -> Result<Vec<DayAlert>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM day_alerts WHERE authority_id = $1 AND ($2 = 0 OR line_id = $3)
             ORDER BY CASE WHEN acknowledged_at IS NULL THEN 0 ELSE 1 END, raised_at DESC, id DESC",
        )
        .bind(authority_id)
        .bind(i64::from(line_id.is_some()))
        .bind(line_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        DayAlert::from_rows(&rows)
    }

    /// The authority's lines that meet the dates `from` to `to`, by id.
    pub async fn day_lines_of_authority(
        &self,
        authority_id: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<DayLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM day_lines WHERE authority_id = $1 AND start_date <= $3 AND (end_date IS NULL OR end_date >= $2) ORDER BY id",
        )
        .bind(authority_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        DayLine::from_rows(&rows)
    }

    /// What the absence rules read of a service's sessions from `from` to `to`, by line and
    /// date.
    pub async fn day_marks(
        &self,
        service_id: i64,
        from: &str,
        to: &str,
    ) -> Result<Vec<DayMark>, StoreError> {
        let rows = sqlx::query(
            "SELECT line_id, service_id, session_date, outcome, reason, expected_back FROM day_sessions
             WHERE service_id = $1 AND session_date >= $2 AND session_date <= $3 ORDER BY line_id, session_date",
        )
        .bind(service_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        DayMark::from_rows(&rows)
    }

    /// The same for every service of an authority, in one read taken a service at a time.
    pub fn day_marks_by_service(
        &self,
        authority_id: i64,
        from: &str,
        to: &str,
    ) -> DayMarksByService<'_> {
        let rows = sqlx::query(
            "SELECT s.line_id, s.service_id, s.session_date, s.outcome, s.reason, s.expected_back
             FROM day_sessions s JOIN day_lines l ON l.id = s.line_id
             WHERE l.authority_id = $1 AND s.session_date >= $2 AND s.session_date <= $3
             ORDER BY s.service_id, s.line_id, s.session_date",
        )
        .bind(authority_id)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch(&self.pool);
        DayMarksByService { rows, ahead: None }
    }

    /// The keys of the alerts already raised for an authority's lines, by line.
    pub async fn day_alert_keys_of_authority(
        &self,
        authority_id: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(sqlx::query_as::<_, (i64, String)>(
            "SELECT line_id, alert_key FROM day_alerts WHERE authority_id = $1",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The keys of the alerts already raised for some lines, with their line.
    pub async fn day_alert_keys(&self, line_ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
        let mut out = Vec::new();
        for chunk in line_ids.chunks(200) {
            let mut p = Params::default();
            let sql = format!(
                "SELECT line_id, alert_key FROM day_alerts WHERE line_id IN ({})",
                crate::placeholders(&mut p, chunk.len())
            );
            let mut q = sqlx::query_as::<_, (i64, String)>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }
}

/// `iso` moved back `days` days (ISO text; unchanged if it is not a date).
fn shift_back(iso: &str, days: i64) -> String {
    chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d")
        .map(|d| (d - chrono::Duration::days(days)).to_string())
        .unwrap_or_else(|_| iso.to_string())
}

impl WriteTx {
    pub async fn insert_day_line(
        &mut self,
        authority_id: i64,
        f: &DayLineFields,
    ) -> Result<DayLine, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            line_changes(f)
                .set("authority_id", authority_id)
                .set("created_by_name", by)
                .set("created_at", at),
        )
        .await
    }

    /// Changes a service line (the team's authorisation of a change of need).
    pub async fn update_day_line(
        &mut self,
        id: i64,
        f: &DayLineFields,
    ) -> Result<Option<DayLine>, StoreError> {
        self.change(id, "update", line_changes(f)).await
    }

    /// Whether a day service opens on bank holidays.
    pub async fn set_opens_on_bank_holidays(
        &mut self,
        service_id: i64,
        opens: bool,
    ) -> Result<Option<Service>, StoreError> {
        self.change(
            service_id,
            "update",
            Changes::new().set("opens_on_bank_holidays", i64::from(opens)),
        )
        .await
    }

    /// A service's week, started open if it was not yet.
    pub async fn open_day_week(
        &mut self,
        authority_id: i64,
        service_id: i64,
        week_start: &str,
        deadline_at: i64,
    ) -> Result<DayWeek, StoreError> {
        let row = sqlx::query("SELECT * FROM day_weeks WHERE service_id = $1 AND week_start = $2")
            .bind(service_id)
            .bind(week_start)
            .fetch_optional(&mut *self.tx)
            .await?;
        if let Some(r) = row {
            return DayWeek::from_row(&r);
        }
        self.create(
            Changes::new()
                .set("authority_id", authority_id)
                .set("service_id", service_id)
                .set("week_start", week_start)
                .set("status", "open")
                .set("deadline_at", deadline_at),
        )
        .await
    }

    /// Marks an open week confirmed; None when it was not open (someone confirmed it first).
    pub async fn confirm_day_week(&mut self, id: i64) -> Result<Option<DayWeek>, StoreError> {
        let open = sqlx::query("SELECT status FROM day_weeks WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        let still_open = match open {
            Some(r) => {
                use sqlx::Row;
                r.try_get::<String, _>("status")? == "open"
            }
            None => false,
        };
        if !still_open {
            return Ok(None);
        }
        let (by, at) = (self.actor().name.clone(), self.at());
        self.change(
            id,
            "confirm",
            Changes::new()
                .set("status", "confirmed")
                .set("confirmed_by_name", by)
                .set("confirmed_at", at),
        )
        .await
    }

    /// Records a session: a new row, or a change to its row (audited only if it changed).
    pub async fn record_day_session(
        &mut self,
        line: &DayLine,
        date: &str,
        before: Option<&DaySession>,
        f: &SessionFields,
    ) -> Result<(), StoreError> {
        if before.is_some_and(|b| b.fields() == *f) {
            return Ok(());
        }
        let (by, at) = (self.actor().name.clone(), self.at());
        let values = Changes::new()
            .set("outcome", f.outcome.clone())
            .set("reason", f.reason.clone())
            .set("short_notice", i64::from(f.short_notice))
            .set("comment", f.comment.clone())
            .set("expected_back", f.expected_back.clone())
            .set("family_contact", f.family_contact.clone())
            .set("concern", f.concern)
            .set("recorded_by_name", by)
            .set("recorded_at", at);
        match before {
            Some(b) => {
                self.change::<DaySession>(b.id, "update", values).await?;
            }
            None => {
                self.create::<DaySession>(
                    values
                        .set("line_id", line.id)
                        .set("service_id", line.service_id)
                        .set("session_date", date),
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Sets a client group's access point (its name and e-mail addresses).
    pub async fn set_access_point(
        &mut self,
        authority_id: i64,
        client_group: &str,
        name: &str,
        emails: &str,
    ) -> Result<AccessPoint, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM access_points WHERE authority_id = $1 AND client_group = $2",
        )
        .bind(authority_id)
        .bind(client_group)
        .fetch_optional(&mut *self.tx)
        .await?;
        let values = Changes::new().set("name", name).set("emails", emails);
        match row {
            Some(r) => {
                use sqlx::Row;
                let id: i64 = r.try_get("id")?;
                self.change(id, "update", values)
                    .await?
                    .ok_or(StoreError::Sql(sqlx::Error::RowNotFound))
            }
            None => {
                self.create(
                    values
                        .set("authority_id", authority_id)
                        .set("client_group", client_group),
                )
                .await
            }
        }
    }

    /// Raises alerts the absence rules found, each once for its key: those already raised
    /// (before, or by another writer meanwhile) are left out. Each new alert has its own audit
    /// entry (`create`); they are written a few statements at a time. Returns the new alerts,
    /// in the order raised.
    pub async fn raise_day_alerts(
        &mut self,
        authority_id: i64,
        alerts: &[NewDayAlert],
    ) -> Result<Vec<DayAlert>, StoreError> {
        let at = self.at();
        let mut raised = Vec::new();
        for chunk in alerts.chunks(ALERTS_PER_INSERT) {
            let mut p = Params::default();
            let values: Vec<String> = chunk
                .iter()
                .map(|_| format!("({})", crate::placeholders(&mut p, 10)))
                .collect();
            let sql = format!(
                "INSERT INTO day_alerts (authority_id, line_id, service_id, client_id, kind, alert_key, details, told, raised_at, outcome) VALUES {} ON CONFLICT (authority_id, alert_key) DO NOTHING RETURNING *",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for a in chunk {
                q = q
                    .bind(authority_id)
                    .bind(a.line_id)
                    .bind(a.service_id)
                    .bind(a.client_id)
                    .bind(a.kind.as_str())
                    .bind(a.key.as_str())
                    .bind(a.details.as_str())
                    .bind(a.told.as_str())
                    .bind(at)
                    .bind("");
            }
            for row in q.fetch_all(&mut *self.tx).await? {
                raised.push(DayAlert::from_row(&row)?);
            }
        }
        raised.sort_by_key(|a| a.id);
        let rows: Vec<(String, serde_json::Value)> = raised
            .iter()
            .map(|a| (a.id.to_string(), a.audit_json()))
            .collect();
        self.audit_created("create", RecordType::DayAlert, &rows)
            .await?;
        Ok(raised)
    }

    /// Records a reminder sent for a service's week.
    pub async fn insert_day_reminder(
        &mut self,
        service_id: i64,
        week_start: &str,
        kind: &str,
    ) -> Result<DayReminder, StoreError> {
        let at = self.at();
        self.create(
            Changes::new()
                .set("service_id", service_id)
                .set("week_start", week_start)
                .set("kind", kind)
                .set("sent_at", at),
        )
        .await
    }

    /// Raises a provider's request (audited as "raise"; the attachment's content is stored
    /// beside the record, its name and size in the audit entry).
    pub async fn raise_day_request(&mut self, r: &NewDayRequest) -> Result<DayRequest, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        let (filename, content_type, size) = match &r.file {
            Some((n, t, b)) => (n.clone(), t.clone(), b.len() as i64),
            None => (String::new(), String::new(), 0),
        };
        let created: DayRequest = self
            .create_as(
                "raise",
                Changes::new()
                    .set("authority_id", r.authority_id)
                    .set("service_id", r.service_id)
                    .set("kind", r.kind.clone())
                    .set("line_id", r.line_id)
                    .set("session_date", r.session_date.clone())
                    .set("outcome", r.outcome.clone())
                    .set("reason", r.reason.clone())
                    .set("details", r.details.clone())
                    .set("person_name", r.person_name.clone())
                    .set("days", r.days.clone())
                    .set("session_type", r.session_type.clone())
                    .set("agreed_start", r.agreed_start.clone())
                    .set("social_worker_name", r.social_worker_name.clone())
                    .set("social_worker_email", r.social_worker_email.clone())
                    .set("filename", filename)
                    .set("content_type", content_type)
                    .set("size_bytes", size)
                    .set("status", "raised")
                    .set("told", r.told.clone())
                    .set("raised_by_name", by)
                    .set("raised_at", at),
            )
            .await?;
        if let Some((_, _, bytes)) = &r.file {
            sqlx::query("UPDATE day_requests SET content = $1 WHERE id = $2")
                .bind(bytes.clone())
                .bind(created.id)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(created)
    }

    /// The team refers a request to the allocated social worker.
    pub async fn refer_day_request(
        &mut self,
        id: i64,
        to: &str,
    ) -> Result<Option<DayRequest>, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.change(
            id,
            "refer",
            Changes::new()
                .set("status", "referred")
                .set("referred_to", to)
                .set("referred_by_name", by)
                .set("referred_at", at),
        )
        .await
    }

    /// The team decides a request (`status` authorised or declined), with its note and what
    /// the authorisation changed.
    pub async fn decide_day_request(
        &mut self,
        id: i64,
        status: &str,
        note: &str,
        change: &str,
    ) -> Result<Option<DayRequest>, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.change(
            id,
            if status == "authorised" {
                "authorise"
            } else {
                "decline"
            },
            Changes::new()
                .set("status", status)
                .set("decided_by_name", by)
                .set("decided_at", at)
                .set("decision_note", note)
                .set("decision_change", change),
        )
        .await
    }

    /// Ends a service line on `end_date` (a change of need authorised).
    pub async fn end_day_line(
        &mut self,
        id: i64,
        end_date: &str,
    ) -> Result<Option<DayLine>, StoreError> {
        self.change(id, "end", Changes::new().set("end_date", end_date))
            .await
    }

    /// Records who an alert was sent to, once it could be sent.
    pub async fn set_day_alert_told(
        &mut self,
        id: i64,
        told: &str,
    ) -> Result<Option<DayAlert>, StoreError> {
        self.change(id, "tell", Changes::new().set("told", told))
            .await
    }

    /// Records that the team acknowledged an alert, with what it did.
    pub async fn acknowledge_day_alert(
        &mut self,
        id: i64,
        outcome: &str,
    ) -> Result<Option<DayAlert>, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.change(
            id,
            "acknowledge",
            Changes::new()
                .set("acknowledged_by_name", by)
                .set("acknowledged_at", at)
                .set("outcome", outcome),
        )
        .await
    }
}

fn line_changes(f: &DayLineFields) -> Changes {
    Changes::new()
        .set("service_id", f.service_id)
        .set("client_id", f.client_id)
        .set("client_group", f.client_group.clone())
        .set("days", f.days.clone())
        .set("session_type", f.session_type.clone())
        .set("rate_pence", f.rate_pence)
        .set("start_date", f.start_date.clone())
        .set("end_date", f.end_date.clone())
        .set("route", f.route.clone())
        .set("social_worker_name", f.social_worker_name.clone())
        .set("social_worker_team", f.social_worker_team.clone())
        .set("social_worker_email", f.social_worker_email.clone())
        .set("social_worker_phone", f.social_worker_phone.clone())
}
