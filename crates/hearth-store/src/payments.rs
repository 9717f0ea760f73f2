//! Payments (C6): contract rates, clients' housing benefit statuses and charges, holds, the
//! timetable, payment runs with their previewed lines, and the committed lines (migration 21).
//!
//! A committed run's lines are written once, in the transaction that marks the run paid, as
//! one audited batch (`tx.audit_batch`): every line is sealed, so `audit verify` finds a line
//! changed or slipped in afterwards.

use crate::write::{audited, Changes, RecordType};
use crate::{record, Db, Params, StoreError, WriteTx};

record!(
    /// A contract's weekly unit rate from a date.
    ContractRate {
        id: i64,
        contract_id: i64,
        from_date: String,
        weekly_unit_rate_pence: i64,
        reason: String,
        created_by_name: String,
        created_at: i64,
    }
);
audited!(ContractRate, ContractRate, "contract_rates");

record!(
    /// A client's housing benefit status from a date.
    ClientBenefit {
        id: i64,
        client_id: i64,
        from_date: String,
        status: String,
        created_by_name: String,
        created_at: i64,
    }
);
audited!(ClientBenefit, ClientBenefit, "client_benefits");

record!(
    /// A fairer charging assessment from a date.
    ClientCharge {
        id: i64,
        client_id: i64,
        from_date: String,
        kind: String,
        weekly_charge_pence: i64,
        created_by_name: String,
        created_at: i64,
    }
);
audited!(ClientCharge, ClientCharge, "client_charges");

record!(
    /// A hold on a provider's payments, or one service's.
    PaymentHold {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        service_id: Option<i64>,
        reason: String,
        placed_by_name: String,
        placed_at: i64,
        lifted_by_name: Option<String>,
        lifted_at: Option<i64>,
    }
);
audited!(PaymentHold, PaymentHold, "payment_holds");

record!(
    /// The run and pay dates an authority set for a period.
    TimetableRow {
        authority_id: i64,
        period_start: String,
        run_date: String,
        pay_date: String,
    }
);

record!(
    /// A payment run.
    PaymentRun {
        id: i64,
        authority_id: i64,
        period_start: String,
        period_name: String,
        status: String,
        job_run_id: Option<i64>,
        prepared_by: Option<i64>,
        prepared_by_name: String,
        prepared_at: i64,
        approved_by: Option<i64>,
        approved_by_name: Option<String>,
        approved_at: Option<i64>,
        committed_by_name: Option<String>,
        committed_at: Option<i64>,
        digest: String,
        lines_count: i64,
        payable_pence: i64,
        held_pence: i64,
        exceptions_count: i64,
        pay_date: String,
    }
);
audited!(PaymentRun, PaymentRun, "payment_runs");

record!(
    /// A line of a run (previewed) or of what was paid (committed). `state` is '' for a
    /// payable line, 'held', or an exception's code (previewed lines only).
    PayLine {
        id: i64,
        run_id: i64,
        provider_id: i64,
        service_id: Option<i64>,
        contract_id: Option<i64>,
        schedule_id: Option<i64>,
        client_id: Option<i64>,
        period_start: String,
        kind: String,
        first_date: String,
        last_date: String,
        days: i64,
        units: i64,
        rate_pence: i64,
        due_pence: i64,
        charge_pence: i64,
        amount_pence: i64,
        reason: String,
        state: String = String::new(),
        day_line_id: Option<i64> = None,
    }
);

/// A line to write (its id and run come from where it is written).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewPayLine {
    pub provider_id: i64,
    pub service_id: Option<i64>,
    pub contract_id: Option<i64>,
    pub schedule_id: Option<i64>,
    pub client_id: Option<i64>,
    pub period_start: String,
    pub kind: String,
    pub first_date: String,
    pub last_date: String,
    pub days: i64,
    pub units: i64,
    pub rate_pence: i64,
    pub due_pence: i64,
    pub charge_pence: i64,
    pub amount_pence: i64,
    pub reason: String,
    pub state: String,
    /// A line of actual sessions: the day activities service line (its week is its first
    /// date's).
    pub day_line_id: Option<i64>,
}

impl NewPayLine {
    /// The fields a line's digest and seal cover, in order.
    pub fn fields(&self) -> Vec<String> {
        let o = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
        vec![
            self.provider_id.to_string(),
            o(self.service_id),
            o(self.contract_id),
            o(self.schedule_id),
            o(self.client_id),
            self.period_start.clone(),
            self.kind.clone(),
            self.first_date.clone(),
            self.last_date.clone(),
            self.days.to_string(),
            self.units.to_string(),
            self.rate_pence.to_string(),
            self.due_pence.to_string(),
            self.charge_pence.to_string(),
            self.amount_pence.to_string(),
            self.reason.clone(),
            self.state.clone(),
        ]
        .into_iter()
        // Only a line of actual sessions has its service line: the fields of every other
        // line, and so the seals of lines paid before it existed, are as they were.
        .chain(self.day_line_id.map(|d| d.to_string()))
        .collect()
    }
}

impl PayLine {
    pub fn as_new(&self) -> NewPayLine {
        NewPayLine {
            provider_id: self.provider_id,
            service_id: self.service_id,
            contract_id: self.contract_id,
            schedule_id: self.schedule_id,
            client_id: self.client_id,
            period_start: self.period_start.clone(),
            kind: self.kind.clone(),
            first_date: self.first_date.clone(),
            last_date: self.last_date.clone(),
            days: self.days,
            units: self.units,
            rate_pence: self.rate_pence,
            due_pence: self.due_pence,
            charge_pence: self.charge_pence,
            amount_pence: self.amount_pence,
            reason: self.reason.clone(),
            state: self.state.clone(),
            day_line_id: self.day_line_id,
        }
    }
}

record!(
    /// A client schedule as a payment run reads it, with its service's provider and term.
    PaySchedule {
        id: i64,
        client_id: i64,
        service_id: i64,
        provider_id: i64,
        term: String,
        units_per_week: i64,
        start_date: String,
        end_date: Option<String>,
    }
);

record!(
    /// A contract and one service it covers, as a payment run reads them.
    PayContract {
        id: i64,
        service_id: Option<i64>,
        provider_id: i64,
        reference: String,
        units: i64,
        unit_rate_pence: i64,
        start_date: String,
        end_date: String,
        status: String,
        payment_basis: String,
    }
);

record!(
    /// A name of something a payment line names: a provider (with its reference, the
    /// supplier reference of the finance export) or a service (with its type, the cost
    /// centre) or a client.
    PayName {
        id: i64,
        name: String,
        reference: String,
        kind: String,
        email: String,
    }
);

record!(
    /// A client as the provider's payment reports show them, with the schedule a line is for.
    ReportPerson {
        schedule_id: i64,
        client_id: i64,
        name: String,
        title: String,
        address: String,
        date_of_birth: Option<String>,
        ni_number: Option<String>,
        hb_number: Option<String>,
        postcode: String,
        level: String,
        units_per_week: i64,
        start_date: String,
        end_date: Option<String>,
        tenancy_reference: String,
    }
);

/// The people of a provider's payment reports: each schedule with its client, and the
/// clients' housing benefit statuses and fairer charging assessments.
#[derive(Debug, Clone, Default)]
pub struct ReportPeople {
    pub people: Vec<ReportPerson>,
    pub benefits: Vec<ClientBenefit>,
    pub charges: Vec<ClientCharge>,
}

/// Everything a payment run of one authority reads, for the periods from `from` to `to`.
#[derive(Debug, Clone, Default)]
pub struct PaymentInputs {
    pub schedules: Vec<PaySchedule>,
    /// Contracts with each service they cover (a contract with none appears once, with no
    /// service).
    pub contracts: Vec<PayContract>,
    pub rates: Vec<ContractRate>,
    pub benefits: Vec<ClientBenefit>,
    pub charges: Vec<ClientCharge>,
    pub holds: Vec<PaymentHold>,
    /// Committed lines of the periods read.
    pub paid: Vec<PayLine>,
}

/// A prepared run's digest and totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTotals {
    pub digest: String,
    pub lines: i64,
    pub payable_pence: i64,
    pub held_pence: i64,
    pub exceptions: i64,
}

/// Lines written by one INSERT. SQLite's binding looks each parameter up by a scan of the
/// statement's parameters, so a statement of thousands of them costs their square: 40 lines
/// (760 parameters) keeps it linear (perf showed 500 lines an insert spent half the run there).
const LINES_PER_INSERT: usize = 40;

/// The columns of a line, in the order the inserts bind them.
const LINE_COLUMNS: &str = "provider_id, service_id, contract_id, schedule_id, client_id, period_start, kind, first_date, last_date, days, units, rate_pence, due_pence, charge_pence, amount_pence, reason, day_line_id";

impl Db {
    /// What a payment run of `authority_id` reads for the periods from `from` to `to`
    /// (ISO dates): schedules that meet them, every contract with its services and rates,
    /// the clients' statuses and charges, the holds in force, and the lines paid for them.
    pub async fn payment_inputs(
        &self,
        authority_id: i64,
        from: &str,
        to: &str,
    ) -> Result<PaymentInputs, StoreError> {
        let schedules = sqlx::query(
            "SELECT cs.id, cs.client_id, cs.service_id, s.provider_id, s.term, cs.units_per_week, cs.start_date, cs.end_date
             FROM client_schedules cs JOIN services s ON s.id = cs.service_id
             WHERE s.authority_id = $1 AND cs.start_date <= $3 AND (cs.end_date IS NULL OR cs.end_date >= $2)
             ORDER BY cs.id",
        )
        .bind(authority_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let contracts = sqlx::query(
            "SELECT c.id, cs.service_id, c.provider_id, c.reference, c.units, c.unit_rate_pence, c.start_date, c.end_date, c.status, c.payment_basis
             FROM contracts c LEFT JOIN contract_services cs ON cs.contract_id = c.id
             WHERE c.authority_id = $1 ORDER BY c.id, cs.service_id",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let rates = sqlx::query(
            "SELECT r.* FROM contract_rates r JOIN contracts c ON c.id = r.contract_id
             WHERE c.authority_id = $1 ORDER BY r.contract_id, r.from_date",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let benefits = sqlx::query(
            "SELECT b.* FROM client_benefits b JOIN clients c ON c.id = b.client_id
             WHERE c.authority_id = $1 ORDER BY b.client_id, b.from_date",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let charges = sqlx::query(
            "SELECT x.* FROM client_charges x JOIN clients c ON c.id = x.client_id
             WHERE c.authority_id = $1 ORDER BY x.client_id, x.from_date",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let holds = sqlx::query(
            "SELECT * FROM payment_holds WHERE authority_id = $1 AND lifted_at IS NULL ORDER BY id",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        let paid = sqlx::query(
            "SELECT * FROM payment_lines WHERE authority_id = $1 AND period_start >= $2 AND period_start <= $3 ORDER BY id",
        )
        .bind(authority_id)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(PaymentInputs {
            schedules: PaySchedule::from_rows(&schedules)?,
            contracts: PayContract::from_rows(&contracts)?,
            rates: ContractRate::from_rows(&rates)?,
            benefits: ClientBenefit::from_rows(&benefits)?,
            charges: ClientCharge::from_rows(&charges)?,
            holds: PaymentHold::from_rows(&holds)?,
            paid: PayLine::from_rows(&paid)?,
        })
    }

    /// The names a run's pages and documents show: the authority's providers (`kind`
    /// 'provider', with its e-mail address) and services (`kind` the service type, `email`
    /// its provider's id).
    pub async fn payment_names(&self, authority_id: i64) -> Result<Vec<PayName>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.id, p.name, p.reference, 'provider' AS kind, p.email FROM providers p
               JOIN provider_authorities pa ON pa.provider_id = p.id WHERE pa.authority_id = $1
             UNION ALL
             SELECT s.id, s.name, s.reference, s.service_type AS kind, CAST(s.provider_id AS TEXT) AS email
               FROM services s WHERE s.authority_id = $1",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        PayName::from_rows(&rows)
    }

    /// Clients' names ("First Last", `reference` their housing benefit number) by id, of one
    /// authority.
    pub async fn payment_client_names(
        &self,
        authority_id: i64,
        ids: &[i64],
    ) -> Result<Vec<PayName>, StoreError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let mut p = Params::default();
            p.next();
            let sql = format!(
                "SELECT id, first_name || ' ' || last_name AS name, COALESCE(hb_number, '') AS reference, 'client' AS kind, '' AS email
                 FROM clients WHERE authority_id = $1 AND id IN ({})",
                crate::placeholders(&mut p, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(authority_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.extend(PayName::from_rows(&q.fetch_all(&self.pool).await?)?);
        }
        Ok(out)
    }

    /// The schedules `schedule_ids` of one authority with their clients, and those clients'
    /// statuses and assessments, for the provider's payment reports.
    pub async fn payment_report_people(
        &self,
        authority_id: i64,
        schedule_ids: &[i64],
    ) -> Result<ReportPeople, StoreError> {
        let mut out = ReportPeople::default();
        for chunk in schedule_ids.chunks(200) {
            let mut p = Params::default();
            p.next();
            let sql = format!(
                "SELECT cs.id AS schedule_id, c.id AS client_id, c.first_name || ' ' || c.last_name AS name, c.title, c.address, c.date_of_birth,
                        c.ni_number, c.hb_number, c.postcode, cs.level, cs.units_per_week, cs.start_date, cs.end_date, cs.tenancy_reference
                 FROM client_schedules cs JOIN clients c ON c.id = cs.client_id
                 WHERE c.authority_id = $1 AND cs.id IN ({}) ORDER BY cs.id",
                crate::placeholders(&mut p, chunk.len())
            );
            let mut q = sqlx::query(&sql).bind(authority_id);
            for id in chunk {
                q = q.bind(*id);
            }
            out.people
                .extend(ReportPerson::from_rows(&q.fetch_all(&self.pool).await?)?);
        }
        let mut clients: Vec<i64> = out.people.iter().map(|p| p.client_id).collect();
        clients.sort_unstable();
        clients.dedup();
        for chunk in clients.chunks(200) {
            for table in ["client_benefits", "client_charges"] {
                let mut p = Params::default();
                let sql = format!(
                    "SELECT * FROM {table} WHERE client_id IN ({}) ORDER BY client_id, from_date",
                    crate::placeholders(&mut p, chunk.len())
                );
                let mut q = sqlx::query(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                if table == "client_benefits" {
                    out.benefits.extend(ClientBenefit::from_rows(&rows)?);
                } else {
                    out.charges.extend(ClientCharge::from_rows(&rows)?);
                }
            }
        }
        Ok(out)
    }

    /// Every contract of an authority, once each (no service), for an uplift.
    pub async fn uplift_contracts(
        &self,
        authority_id: i64,
    ) -> Result<Vec<PayContract>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.id, CAST(NULL AS BIGINT) AS service_id, c.provider_id, c.reference, c.units, c.unit_rate_pence, c.start_date, c.end_date, c.status, c.payment_basis
             FROM contracts c WHERE c.authority_id = $1 ORDER BY c.id",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        PayContract::from_rows(&rows)
    }

    /// The rates of one provider's contracts with an authority, newest first.
    pub async fn provider_contract_rates(
        &self,
        authority_id: i64,
        provider_id: i64,
    ) -> Result<Vec<ContractRate>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.* FROM contract_rates r JOIN contracts c ON c.id = r.contract_id
             WHERE c.authority_id = $1 AND c.provider_id = $2 ORDER BY r.from_date DESC, r.contract_id",
        )
        .bind(authority_id)
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        ContractRate::from_rows(&rows)
    }

    /// The first period an authority paid in Hearth: adjustments never reach back before it
    /// (what came before was paid by the system Hearth replaced).
    pub async fn first_paid_period(&self, authority_id: i64) -> Result<Option<String>, StoreError> {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT MIN(period_start) AS p FROM payment_runs WHERE authority_id = $1 AND status = 'committed'",
        )
        .bind(authority_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<Option<String>, _>("p")?)
    }

    pub async fn contract_rates(&self, contract_id: i64) -> Result<Vec<ContractRate>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM contract_rates WHERE contract_id = $1 ORDER BY from_date")
                .bind(contract_id)
                .fetch_all(&self.pool)
                .await?;
        ContractRate::from_rows(&rows)
    }

    pub async fn client_benefits(&self, client_id: i64) -> Result<Vec<ClientBenefit>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM client_benefits WHERE client_id = $1 ORDER BY from_date")
                .bind(client_id)
                .fetch_all(&self.pool)
                .await?;
        ClientBenefit::from_rows(&rows)
    }

    pub async fn client_charges(&self, client_id: i64) -> Result<Vec<ClientCharge>, StoreError> {
        let rows =
            sqlx::query("SELECT * FROM client_charges WHERE client_id = $1 ORDER BY from_date")
                .bind(client_id)
                .fetch_all(&self.pool)
                .await?;
        ClientCharge::from_rows(&rows)
    }

    /// An authority's holds, those in force first.
    pub async fn payment_holds(&self, authority_id: i64) -> Result<Vec<PaymentHold>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_holds WHERE authority_id = $1
             ORDER BY CASE WHEN lifted_at IS NULL THEN 0 ELSE 1 END, placed_at DESC, id DESC LIMIT 200",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        PaymentHold::from_rows(&rows)
    }

    pub async fn payment_hold(&self, id: i64) -> Result<Option<PaymentHold>, StoreError> {
        let row = sqlx::query("SELECT * FROM payment_holds WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PaymentHold::from_row).transpose()
    }

    pub async fn payment_timetable(
        &self,
        authority_id: i64,
    ) -> Result<Vec<TimetableRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_timetable WHERE authority_id = $1 ORDER BY period_start",
        )
        .bind(authority_id)
        .fetch_all(&self.pool)
        .await?;
        TimetableRow::from_rows(&rows)
    }

    pub async fn payment_run(&self, id: i64) -> Result<Option<PaymentRun>, StoreError> {
        let row = sqlx::query("SELECT * FROM payment_runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(PaymentRun::from_row).transpose()
    }

    /// An authority's runs, newest first (at most `limit`).
    pub async fn payment_runs(
        &self,
        authority_id: i64,
        limit: i64,
    ) -> Result<Vec<PaymentRun>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_runs WHERE authority_id = $1 ORDER BY period_start DESC, id DESC LIMIT $2",
        )
        .bind(authority_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        PaymentRun::from_rows(&rows)
    }

    /// A run's previewed lines (all, or one provider's), in a stable order.
    pub async fn run_lines(
        &self,
        run_id: i64,
        provider_id: Option<i64>,
    ) -> Result<Vec<PayLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_run_lines WHERE run_id = $1 AND ($2 = 0 OR provider_id = $3) ORDER BY id",
        )
        .bind(run_id)
        .bind(i64::from(provider_id.is_some()))
        .bind(provider_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        PayLine::from_rows(&rows)
    }

    /// A committed run's lines (all, or one provider's).
    pub async fn paid_lines(
        &self,
        run_id: i64,
        provider_id: Option<i64>,
    ) -> Result<Vec<PayLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_lines WHERE run_id = $1 AND ($2 = 0 OR provider_id = $3) ORDER BY id",
        )
        .bind(run_id)
        .bind(i64::from(provider_id.is_some()))
        .bind(provider_id.unwrap_or(0))
        .fetch_all(&self.pool)
        .await?;
        PayLine::from_rows(&rows)
    }

    /// What was paid for one schedule, every period.
    pub async fn schedule_paid_lines(&self, schedule_id: i64) -> Result<Vec<PayLine>, StoreError> {
        let rows = sqlx::query(
            "SELECT * FROM payment_lines WHERE schedule_id = $1 ORDER BY period_start, id",
        )
        .bind(schedule_id)
        .fetch_all(&self.pool)
        .await?;
        PayLine::from_rows(&rows)
    }

    /// Each committed run's total for one provider: (run id, total pence).
    pub async fn provider_paid_totals(
        &self,
        authority_id: i64,
        provider_id: i64,
    ) -> Result<Vec<(i64, i64)>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT run_id, CAST(SUM(amount_pence) AS BIGINT) AS total FROM payment_lines
             WHERE authority_id = $1 AND provider_id = $2 GROUP BY run_id",
        )
        .bind(authority_id)
        .bind(provider_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("run_id")?, r.try_get("total")?)))
            .collect()
    }
}

impl WriteTx {
    pub async fn insert_contract_rate(
        &mut self,
        contract_id: i64,
        from_date: &str,
        weekly_unit_rate_pence: i64,
        reason: &str,
    ) -> Result<ContractRate, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("contract_id", contract_id)
                .set("from_date", from_date)
                .set("weekly_unit_rate_pence", weekly_unit_rate_pence)
                .set("reason", reason)
                .set("created_by_name", by)
                .set("created_at", at),
        )
        .await
    }

    /// Sets how a contract is paid, and the unit rate it shows (the one in force today).
    pub async fn set_contract_payment(
        &mut self,
        contract_id: i64,
        basis: &str,
        unit_rate_pence: i64,
    ) -> Result<(), StoreError> {
        use sqlx::Row;
        let before =
            sqlx::query("SELECT payment_basis, unit_rate_pence FROM contracts WHERE id = $1")
                .bind(contract_id)
                .fetch_one(&mut *self.tx)
                .await?;
        let b = serde_json::json!({
            "payment_basis": before.try_get::<String, _>("payment_basis")?,
            "unit_rate_pence": before.try_get::<i64, _>("unit_rate_pence")?,
        });
        sqlx::query(
            "UPDATE contracts SET payment_basis = $2, unit_rate_pence = $3, updated_at = $4 WHERE id = $1",
        )
        .bind(contract_id)
        .bind(basis)
        .bind(unit_rate_pence)
        .bind(self.at())
        .execute(&mut *self.tx)
        .await?;
        let a = serde_json::json!({ "payment_basis": basis, "unit_rate_pence": unit_rate_pence });
        self.audit(
            "payment_terms",
            RecordType::Contract,
            &contract_id.to_string(),
            Some(&b),
            Some(&a),
        )
        .await
    }

    pub async fn insert_client_benefit(
        &mut self,
        client_id: i64,
        from_date: &str,
        status: &str,
    ) -> Result<ClientBenefit, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("client_id", client_id)
                .set("from_date", from_date)
                .set("status", status)
                .set("created_by_name", by)
                .set("created_at", at),
        )
        .await
    }

    /// Deletes a housing benefit status recorded by mistake, with why in its audit entry.
    pub async fn remove_client_benefit(
        &mut self,
        id: i64,
        reason: &str,
    ) -> Result<Option<ClientBenefit>, StoreError> {
        self.remove_because::<ClientBenefit>(id, Some(reason)).await
    }

    /// Deletes a fairer charging assessment recorded by mistake, with why in its audit entry.
    pub async fn remove_client_charge(
        &mut self,
        id: i64,
        reason: &str,
    ) -> Result<Option<ClientCharge>, StoreError> {
        self.remove_because::<ClientCharge>(id, Some(reason)).await
    }

    pub async fn insert_client_charge(
        &mut self,
        client_id: i64,
        from_date: &str,
        kind: &str,
        weekly_charge_pence: i64,
    ) -> Result<ClientCharge, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("client_id", client_id)
                .set("from_date", from_date)
                .set("kind", kind)
                .set("weekly_charge_pence", weekly_charge_pence)
                .set("created_by_name", by)
                .set("created_at", at),
        )
        .await
    }

    pub async fn insert_payment_hold(
        &mut self,
        authority_id: i64,
        provider_id: i64,
        service_id: Option<i64>,
        reason: &str,
    ) -> Result<PaymentHold, StoreError> {
        let (by, at) = (self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("authority_id", authority_id)
                .set("provider_id", provider_id)
                .set("service_id", service_id)
                .set("reason", reason)
                .set("placed_by_name", by)
                .set("placed_at", at),
        )
        .await
    }

    /// Lifts a hold in force; None when there is no such hold or it was lifted already.
    pub async fn lift_payment_hold(&mut self, id: i64) -> Result<Option<PaymentHold>, StoreError> {
        match self.current::<PaymentHold>(id).await? {
            Some(h) if h.lifted_at.is_none() => {}
            _ => return Ok(None),
        }
        let values = Changes::new()
            .set("lifted_by_name", self.actor().name.clone())
            .set("lifted_at", self.at());
        self.change(id, "lift", values).await
    }

    /// Sets a period's run and pay dates.
    pub async fn set_timetable(
        &mut self,
        authority_id: i64,
        period_start: &str,
        run_date: &str,
        pay_date: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO payment_timetable (authority_id, period_start, run_date, pay_date) VALUES ($1, $2, $3, $4)
             ON CONFLICT (authority_id, period_start) DO UPDATE SET run_date = excluded.run_date, pay_date = excluded.pay_date",
        )
        .bind(authority_id)
        .bind(period_start)
        .bind(run_date)
        .bind(pay_date)
        .execute(&mut *self.tx)
        .await?;
        let after = serde_json::json!({ "run_date": run_date, "pay_date": pay_date });
        self.audit(
            "set",
            RecordType::PaymentTimetable,
            &format!("{authority_id}:{period_start}"),
            None,
            Some(&after),
        )
        .await
    }

    /// A new run of a period, preparing; every open run of the same period is superseded.
    pub async fn insert_payment_run(
        &mut self,
        authority_id: i64,
        period_start: &str,
        period_name: &str,
        pay_date: &str,
    ) -> Result<PaymentRun, StoreError> {
        use sqlx::Row;
        let open = sqlx::query(
            "SELECT id FROM payment_runs WHERE authority_id = $1 AND period_start = $2
             AND status IN ('preparing', 'prepared', 'approved', 'stale')",
        )
        .bind(authority_id)
        .bind(period_start)
        .fetch_all(&mut *self.tx)
        .await?;
        for r in open {
            let id: i64 = r.try_get("id")?;
            self.change::<PaymentRun>(id, "supersede", Changes::new().set("status", "superseded"))
                .await?;
        }
        let (by, name, at) = (self.actor().user_id, self.actor().name.clone(), self.at());
        self.create(
            Changes::new()
                .set("authority_id", authority_id)
                .set("period_start", period_start)
                .set("period_name", period_name)
                .set("status", "preparing")
                .set("prepared_by", by)
                .set("prepared_by_name", name)
                .set("prepared_at", at)
                .set("pay_date", pay_date),
        )
        .await
    }

    /// Links a run to the job run that prepares it (no entry: the run's own entry says who
    /// asked).
    pub async fn set_run_job(&mut self, run_id: i64, job_run_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE payment_runs SET job_run_id = $2 WHERE id = $1")
            .bind(run_id)
            .bind(job_run_id)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Moves a run from `from` to `to` with more changes, audited; None when the run is no
    /// longer in `from` (someone moved it first).
    pub(crate) async fn move_payment_run(
        &mut self,
        run_id: i64,
        from: &str,
        action: &str,
        changes: Changes,
    ) -> Result<Option<PaymentRun>, StoreError> {
        use sqlx::Row;
        // Guarded at the row: of two that move the same run at once, one finds it moved.
        let claimed = sqlx::query(
            "UPDATE payment_runs SET status = status WHERE id = $1 AND status = $2 RETURNING id",
        )
        .bind(run_id)
        .bind(from)
        .fetch_optional(&mut *self.tx)
        .await?;
        if claimed
            .map(|r| r.try_get::<i64, _>("id"))
            .transpose()?
            .is_none()
        {
            return Ok(None);
        }
        self.change::<PaymentRun>(run_id, action, changes).await
    }

    /// A preparing run is ready: its lines' digest and totals.
    pub async fn mark_run_prepared(
        &mut self,
        run_id: i64,
        t: &RunTotals,
    ) -> Result<Option<PaymentRun>, StoreError> {
        let c = Changes::new()
            .set("status", "prepared")
            .set("digest", t.digest.clone())
            .set("lines_count", t.lines)
            .set("payable_pence", t.payable_pence)
            .set("held_pence", t.held_pence)
            .set("exceptions_count", t.exceptions);
        self.move_payment_run(run_id, "preparing", "prepared", c)
            .await
    }

    /// Moves a run from one status to another with nothing else changed (failed, stale).
    pub async fn set_run_status(
        &mut self,
        run_id: i64,
        from: &str,
        to: &str,
    ) -> Result<Option<PaymentRun>, StoreError> {
        self.move_payment_run(run_id, from, to, Changes::new().set("status", to))
            .await
    }

    /// A prepared run approved by the signed-in user.
    pub async fn approve_run(&mut self, run_id: i64) -> Result<Option<PaymentRun>, StoreError> {
        let c = Changes::new()
            .set("status", "approved")
            .set("approved_by", self.actor().user_id)
            .set("approved_by_name", self.actor().name.clone())
            .set("approved_at", self.at());
        self.move_payment_run(run_id, "prepared", "approve", c)
            .await
    }

    /// An approved run marked paid; None when it is no longer approved (another commit got
    /// there first), and then nothing else of this commit must be written.
    pub async fn commit_run(&mut self, run_id: i64) -> Result<Option<PaymentRun>, StoreError> {
        let c = Changes::new()
            .set("status", "committed")
            .set("committed_by_name", self.actor().name.clone())
            .set("committed_at", self.at());
        self.move_payment_run(run_id, "approved", "commit", c).await
    }

    /// Replaces a preparing run's previewed lines (working data: the run's own entry, with
    /// the lines' digest, is its audit).
    pub async fn replace_run_lines(
        &mut self,
        run_id: i64,
        lines: &[NewPayLine],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM payment_run_lines WHERE run_id = $1")
            .bind(run_id)
            .execute(&mut *self.tx)
            .await?;
        for chunk in lines.chunks(LINES_PER_INSERT) {
            let mut p = Params::default();
            let values: Vec<String> = chunk
                .iter()
                .map(|_| format!("({})", crate::placeholders(&mut p, 19)))
                .collect();
            let sql = format!(
                "INSERT INTO payment_run_lines (run_id, {LINE_COLUMNS}, state) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for l in chunk {
                q = bind_line(q.bind(run_id), l).bind(l.state.clone());
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    /// Writes a run's payable lines as what was paid: each sealed, with one batch entry
    /// (rows, digest) under the run. Called in the transaction that marks the run committed.
    pub async fn insert_paid_lines(
        &mut self,
        authority_id: i64,
        run_id: i64,
        lines: &[NewPayLine],
    ) -> Result<(), StoreError> {
        let mut seals = Vec::with_capacity(lines.len());
        for chunk in lines.chunks(LINES_PER_INSERT) {
            let mut p = Params::default();
            let values: Vec<String> = chunk
                .iter()
                .map(|_| format!("({})", crate::placeholders(&mut p, 20)))
                .collect();
            let sql = format!(
                "INSERT INTO payment_lines (authority_id, run_id, {LINE_COLUMNS}, audit_mac) VALUES {}",
                values.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for l in chunk {
                let seal = self.seal(RecordType::PaymentLines, &paid_fields(run_id, l))?;
                q = bind_line(q.bind(authority_id).bind(run_id), l).bind(seal.clone());
                seals.push(seal);
            }
            q.execute(&mut *self.tx).await?;
        }
        self.audit_batch(
            "commit",
            RecordType::PaymentLines,
            &run_id.to_string(),
            &seals,
        )
        .await
    }
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

fn bind_line<'q>(q: AnyQuery<'q>, l: &NewPayLine) -> AnyQuery<'q> {
    q.bind(l.provider_id)
        .bind(l.service_id)
        .bind(l.contract_id)
        .bind(l.schedule_id)
        .bind(l.client_id)
        .bind(l.period_start.clone())
        .bind(l.kind.clone())
        .bind(l.first_date.clone())
        .bind(l.last_date.clone())
        .bind(l.days)
        .bind(l.units)
        .bind(l.rate_pence)
        .bind(l.due_pence)
        .bind(l.charge_pence)
        .bind(l.amount_pence)
        .bind(l.reason.clone())
        .bind(l.day_line_id)
}

/// A paid line's sealed fields: its run and every field of the line.
fn paid_fields(run_id: i64, l: &NewPayLine) -> Vec<String> {
    let mut f = vec![run_id.to_string()];
    f.extend(l.fields());
    f
}

/// A paid line's key (for the report) and sealed fields, read back from its row.
pub(crate) fn paid_line_seal_fields(
    row: &sqlx::any::AnyRow,
) -> Result<(String, Vec<String>), StoreError> {
    let l = PayLine::from_row(row)?;
    Ok((l.id.to_string(), paid_fields(l.run_id, &l.as_new())))
}
