//! The demo's payments (issue 12): housing benefit statuses and fairer charging assessments
//! for the first authority's clients, an uplift of some contracts' rates, one block contract,
//! and this payment year's runs, each prepared by one finance officer and approved and paid
//! by the other on its run date. Back-dated changes between runs make adjustments; one
//! provider is on hold for the last runs; the last period ended is prepared and waits for
//! approval, so the finance officers' page has something to do on first open.

use std::sync::Arc;

use chrono::{Duration, NaiveDate};
use hearth_domain::calendar::period_of;
use hearth_domain::clock::FixedClock;
use hearth_domain::payments::{BenefitStatus, ChargeKind, PaymentBasis};
use rand::rngs::StdRng;
use rand::Rng;

use crate::payments::{BenefitInput, ChargeInput, HoldInput};
use crate::{App, AppError, Principal};

fn at(d: NaiveDate, hour: u32) -> i64 {
    d.and_hms_opt(hour, 30, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

impl App {
    /// Runs a payment run's preparation here and now (the demo has no runner).
    async fn demo_prepare(
        &self,
        who: &Principal,
        period_start: NaiveDate,
    ) -> Result<i64, AppError> {
        let run = self.prepare_payment_run(who, period_start).await?;
        let job = run
            .job_run_id
            .ok_or_else(|| AppError::Internal("the payment run has no job run".into()))?;
        let claimed = self
            .claim_run_id(job, "demo", 600)
            .await?
            .ok_or_else(|| AppError::Internal("the payment run's job run was taken".into()))?;
        let result = self
            .run_payment_prepare(&claimed.run, &claimed.progress)
            .await?;
        claimed.progress.finish(&result).await?;
        Ok(run.id)
    }

    pub(crate) async fn demo_payments(
        &self,
        past: &App,
        clock: &Arc<FixedClock>,
        rng: &mut StdRng,
    ) -> Result<usize, AppError> {
        let finance = self.demo_principal("finance").await?;
        let second = self.demo_principal("payments").await?;
        let aid = finance.authority_id();
        // The demo provider account's organisation is paid throughout.
        let demo_provider = match self.demo_principal("provider").await? {
            Principal::Provider { provider_id, .. } => provider_id,
            _ => 0,
        };
        let today = self.today();
        let anchor = self.payment_settings(aid).await?.anchor;
        let now = period_of(anchor, today);
        let year_start = now.start - Duration::days(i64::from(now.number - 1) * 28);

        // Every client's housing benefit status, as the team recorded it at the start of
        // the year: most in receipt, some not (with an assessment), a few not known.
        clock.set(at(year_start - Duration::days(10), 10));
        let clients = self
            .db
            .payment_inputs(aid, &year_start.to_string(), &today.to_string())
            .await?;
        let mut seen = std::collections::HashSet::new();
        let mut not_known = 0;
        let mut tx = past.begin_write(&finance.actor()).await?;
        for s in &clients.schedules {
            if !seen.insert(s.client_id) {
                continue;
            }
            let from = "2020-04-01";
            let roll: u32 = rng.gen_range(0..100);
            if roll < 2 && not_known < 3 {
                not_known += 1;
                continue;
            }
            if roll < 84 {
                tx.insert_client_benefit(s.client_id, from, BenefitStatus::InReceipt.as_str())
                    .await?;
            } else {
                tx.insert_client_benefit(s.client_id, from, BenefitStatus::NotInReceipt.as_str())
                    .await?;
                let (kind, weekly) = match roll {
                    84..=88 => (ChargeKind::Nil, 0),
                    89..=97 => (ChargeKind::Amount, 500 * rng.gen_range(1..6)),
                    _ => (ChargeKind::FullCost, 0),
                };
                tx.insert_client_charge(s.client_id, from, kind.as_str(), weekly)
                    .await?;
            }
        }
        tx.commit().await?;

        // One contract (the authority's last) paid by the block. The inputs read above hold
        // every contract of the authority, whatever the dates.
        let mut contract_ids: Vec<i64> = clients.contracts.iter().map(|c| c.id).collect();
        contract_ids.dedup();
        if let Some(block) = contract_ids.last() {
            past.set_contract_basis(&finance, *block, PaymentBasis::Block.as_str())
                .await?;
        }

        // The day service paid on actual sessions: its weeks are confirmed as the year goes.
        let mut day = self.demo_day_setup(past, clock, rng).await?;

        let mut runs = 0;
        let mut period_start = year_start;
        let mut held = false;
        while period_start < now.start {
            let p = period_of(anchor, period_start);
            let timetable = self.payment_timetable(&finance, p.start).await?;
            let entry = timetable.iter().find(|t| t.period.start == p.start);
            let (run_date, pay_date) = entry.map_or((p.end, p.end), |t| (t.run_date, t.pay_date));
            if run_date >= today {
                break;
            }
            match p.number {
                // An uplift of 2.5% agreed after period 1 was paid, back-dated to the year's
                // start: period 2's run pays period 1's difference as an adjustment.
                2 => {
                    clock.set(at(run_date - Duration::days(2), 9));
                    // Every contract paid per client in force then; each provider is sent
                    // its letter.
                    past.apply_uplift(
                        &finance,
                        &crate::uplifts::UpliftInput {
                            percent: "2.5".into(),
                            from_date: year_start.to_string(),
                            contract_id: String::new(),
                            reason:
                                "Annual uplift of 2.5%, agreed by the commissioning board in May"
                                    .into(),
                        },
                    )
                    .await?;
                }
                // A client found not to be in receipt since period 3, assessed at £12.50.
                5 => {
                    clock.set(at(run_date - Duration::days(3), 11));
                    if let Some(s) = clients.schedules.iter().find(|s| s.term == "long") {
                        let from = (year_start + Duration::days(56)).to_string();
                        past.record_benefit(
                            &finance,
                            s.client_id,
                            &BenefitInput {
                                from_date: from.clone(),
                                status: BenefitStatus::NotInReceipt.as_str().into(),
                            },
                        )
                        .await?;
                        past.record_charge(
                            &finance,
                            s.client_id,
                            &ChargeInput {
                                from_date: from,
                                kind: ChargeKind::Amount.as_str().into(),
                                weekly_charge: "12.50".into(),
                            },
                        )
                        .await?;
                    }
                }
                // A provider put on hold while a quality concern is looked into.
                7 if !held => {
                    clock.set(at(run_date - Duration::days(1), 15));
                    if let Some(pid) = clients
                        .schedules
                        .iter()
                        .map(|s| s.provider_id)
                        .filter(|id| *id != demo_provider)
                        .nth(3)
                    {
                        past.place_hold(
                            &finance,
                            &HoldInput {
                                provider_id: pid.to_string(),
                                service_id: String::new(),
                                reason: "Quality concern under review: payments held until the contract meeting".into(),
                            },
                        )
                        .await?;
                        held = true;
                    }
                }
                _ => {}
            }
            if let Some(d) = day.as_mut() {
                self.demo_day_weeks(past, clock, d, run_date).await?;
            }
            clock.set(at(run_date, 9));
            let id = past.demo_prepare(&finance, p.start).await?;
            runs += 1;
            let last_ended = p.start + Duration::days(28) >= now.start;
            if last_ended {
                // The last period ended waits for the second finance officer.
                break;
            }
            clock.set(at(run_date, 14));
            past.approve_payment_run(&second, id).await?;
            clock.set(at(pay_date - Duration::days(1), 10));
            past.commit_payment_run(&second, id).await?;
            period_start = p.start + Duration::days(28);
        }
        // The weeks confirmed since the last run (the last week is left to record).
        if let Some(d) = day.as_mut() {
            self.demo_day_weeks(past, clock, d, today + Duration::days(1))
                .await?;
            self.demo_day_requests(past, clock, d).await?;
        }
        Ok(runs)
    }
}
