//! Uplifts (issue 12, C6): a percentage applied to the weekly unit rate of every contract paid
//! per client (or one contract) from a date, as new rate rows, and a letter to each provider
//! (PDF, in the portal, announced by e-mail through the outbox) that gives the new rates and
//! reminds them of their fairer charging duty. A back-dated uplift is paid by the next run as
//! adjustments, like any other back-dated rate.

use chrono::NaiveDate;
use hearth_docs::pdf::{self, Block, Report, Table};
use hearth_domain::payments::{parse_percent, percent_text, uplifted, PaymentBasis, RateFrom};
use hearth_domain::{parse_date, Pence};
use hearth_store::ContractRate;
use serde::Deserialize;

use crate::payments::{rates_of, ymd, MAX_REASON_CHARS};
use crate::{App, AppError, FieldErrors, Principal};

/// The uplift form.
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize)]
pub struct UpliftInput {
    #[serde(default)]
    pub percent: String,
    #[serde(default)]
    pub from_date: String,
    /// One contract's id, or empty for every contract paid per client in force on the date.
    #[serde(default)]
    pub contract_id: String,
    #[serde(default)]
    pub reason: String,
}

/// What an uplift did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpliftDone {
    pub contracts: usize,
    /// Contracts left alone because they already had a rate from the date.
    pub skipped: usize,
    pub providers: usize,
}

/// A rate change a provider is told of: the contract, the rate before and after, and where
/// its letter is.
#[derive(Debug, Clone, PartialEq)]
pub struct RateChange {
    pub rate: ContractRate,
    pub contract_reference: String,
    pub before: Option<Pence>,
}

/// The rate in force the day before `from`, from a contract's rates.
fn rate_before(rates: &[RateFrom], from: NaiveDate) -> Option<Pence> {
    rates
        .iter()
        .filter(|r| r.from < from)
        .max_by_key(|r| r.from)
        .map(|r| r.weekly_unit_rate)
}

impl App {
    /// Applies an uplift (finance officers): a new weekly unit rate from the date for every
    /// contract paid per client in force on it (or the one chosen), and a letter to each
    /// provider. A contract that already has a rate from the date is left alone.
    pub async fn apply_uplift(
        &self,
        who: &Principal,
        input: &UpliftInput,
    ) -> Result<UpliftDone, AppError> {
        self.require_finance(who)?;
        crate::text::check_lengths(input)?;
        let aid = who.authority_id();
        let mut e = FieldErrors::new();
        let bp = e.check("percent", parse_percent(&input.percent));
        let from = e.check("from_date", parse_date(&input.from_date));
        if input.reason.chars().count() > MAX_REASON_CHARS {
            e.add(
                "reason",
                format!("The reason must be {MAX_REASON_CHARS} characters or fewer"),
            );
        }
        let only: Option<i64> = match input.contract_id.trim() {
            "" => None,
            v => match v.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    e.add("contract_id", "Select a contract, or every contract");
                    None
                }
            },
        };
        e.into_result()?;
        let (Some(bp), Some(from)) = (bp, from) else {
            return Err(AppError::invalid("percent", "Enter the uplift"));
        };
        let contracts = self.db.uplift_contracts(aid).await?;
        let chosen: Vec<_> = contracts
            .iter()
            .filter(|c| only.is_none_or(|id| c.id == id))
            .filter(|c| c.payment_basis == PaymentBasis::PerClient.as_str())
            .filter(|c| {
                ymd(&c.start_date).is_some_and(|s| s < from)
                    && ymd(&c.end_date).is_none_or(|end| end >= from)
            })
            .collect();
        if chosen.is_empty() {
            return Err(AppError::invalid(
                if only.is_some() {
                    "contract_id"
                } else {
                    "from_date"
                },
                if only.is_some() {
                    "That contract is not paid per client, or is not in force after it starts on that date"
                } else {
                    "No contract paid per client is in force on that date"
                },
            ));
        }
        let reason = if input.reason.trim().is_empty() {
            format!(
                "Uplift of {} from {}",
                percent_text(bp),
                hearth_domain::dates::format_date(from)
            )
        } else {
            input.reason.trim().to_string()
        };
        let today = self.today();
        let mut done = UpliftDone::default();
        let mut providers = std::collections::BTreeSet::new();
        let mut tx = self.begin_write(&who.actor()).await?;
        for c in chosen {
            let rows = self.db.contract_rates(c.id).await?;
            if rows.iter().any(|r| r.from_date == from.to_string()) {
                done.skipped += 1;
                continue;
            }
            let rates = rates_of(&c.start_date, c.unit_rate_pence, &rows);
            let Some(before) = rate_before(&rates, from) else {
                done.skipped += 1;
                continue;
            };
            if rows.is_empty() {
                // The contract's own rate from its start becomes the first row of its history.
                tx.insert_contract_rate(
                    c.id,
                    &c.start_date,
                    c.unit_rate_pence,
                    "The contract's rate",
                )
                .await?;
            }
            let new = uplifted(before, bp);
            tx.insert_contract_rate(c.id, &from.to_string(), new.0, &reason)
                .await?;
            let mut all = rates;
            all.push(RateFrom {
                from,
                weekly_unit_rate: new,
            });
            let now = all
                .iter()
                .filter(|r| r.from <= today)
                .max_by_key(|r| r.from)
                .map_or(c.unit_rate_pence, |r| r.weekly_unit_rate.0);
            tx.set_contract_payment(c.id, &c.payment_basis, now).await?;
            done.contracts += 1;
            providers.insert(c.provider_id);
        }
        let names = self.db.payment_names(aid).await?;
        for p in &providers {
            let Some(n) = names.iter().find(|n| n.kind == "provider" && n.id == *p) else {
                continue;
            };
            if n.email.trim().is_empty() {
                continue;
            }
            tx.queue_mail(
                &n.email,
                &format!("Your unit rates from {}", hearth_domain::dates::format_date(from)),
                &format!(
                    "{reason}.\n\nThe letter giving each contract's new weekly unit rate is on the Payments page of the provider portal, under Rate changes. Please read its reminder of your fairer charging duty.",
                ),
            )
            .await?;
        }
        tx.commit().await?;
        done.providers = providers.len();
        Ok(done)
    }

    /// The contracts an uplift may be applied to one by one (finance officers): those paid
    /// per client, as (id, "reference (provider)").
    pub async fn uplift_contract_choices(
        &self,
        who: &Principal,
    ) -> Result<Vec<(i64, String)>, AppError> {
        self.require_finance(who)?;
        let aid = who.authority_id();
        let names = self.db.payment_names(aid).await?;
        Ok(self
            .db
            .uplift_contracts(aid)
            .await?
            .into_iter()
            .filter(|c| c.payment_basis == PaymentBasis::PerClient.as_str())
            .map(|c| {
                let provider = names
                    .iter()
                    .find(|n| n.kind == "provider" && n.id == c.provider_id)
                    .map_or("", |n| n.name.as_str());
                (c.id, format!("{} ({provider})", c.reference))
            })
            .collect())
    }

    /// The rate changes of the provider's contracts that the principal may see (a limited
    /// user: their services' contracts), newest first; a contract's first rate is not a
    /// change and is left out.
    pub async fn provider_rate_changes(
        &self,
        who: &Principal,
    ) -> Result<Vec<RateChange>, AppError> {
        let Principal::Provider {
            provider_id,
            authority_id,
            ..
        } = who
        else {
            return Err(AppError::NotFound);
        };
        let rows = self
            .db
            .provider_contract_rates(*authority_id, *provider_id)
            .await?;
        let mut out = Vec::new();
        let mut seen: std::collections::HashMap<i64, Option<(String, Vec<RateFrom>)>> =
            Default::default();
        for r in rows {
            if let std::collections::hash_map::Entry::Vacant(slot) = seen.entry(r.contract_id) {
                let v = match self.contract(who, r.contract_id).await {
                    Ok(c) => {
                        let all = self.db.contract_rates(c.id).await?;
                        Some((
                            c.reference.clone(),
                            rates_of(&c.start_date, c.unit_rate_pence, &all),
                        ))
                    }
                    Err(AppError::NotFound | AppError::Forbidden) => None,
                    Err(e) => return Err(e),
                };
                slot.insert(v);
            }
            let Some(Some((reference, rates))) = seen.get(&r.contract_id) else {
                continue;
            };
            let Some(from) = ymd(&r.from_date) else {
                continue;
            };
            let before = rate_before(rates, from);
            if before.is_none() {
                continue;
            }
            out.push(RateChange {
                contract_reference: reference.clone(),
                before,
                rate: r,
            });
        }
        Ok(out)
    }

    /// The rate changes of one contract (after its first rate), newest first, each with its
    /// letter.
    pub async fn contract_rate_changes(
        &self,
        who: &Principal,
        contract_id: i64,
    ) -> Result<Vec<RateChange>, AppError> {
        let c = self.contract(who, contract_id).await?;
        let rows = self.db.contract_rates(contract_id).await?;
        let rates = rates_of(&c.start_date, c.unit_rate_pence, &rows);
        let mut out: Vec<RateChange> = rows
            .into_iter()
            .filter_map(|r| {
                let before = rate_before(&rates, ymd(&r.from_date)?)?;
                Some(RateChange {
                    contract_reference: c.reference.clone(),
                    before: Some(before),
                    rate: r,
                })
            })
            .collect();
        out.reverse();
        Ok(out)
    }

    /// The letter of a rate change, as PDF: the contract's new weekly unit rate from its
    /// date, the rate before, and the reminder of the fairer charging duty. Staff of the
    /// authority and the contract's provider may read it.
    pub async fn rate_letter_pdf(
        &self,
        who: &Principal,
        contract_id: i64,
        rate_id: i64,
    ) -> Result<(String, Vec<u8>), AppError> {
        let c = self.contract(who, contract_id).await?;
        let rows = self.db.contract_rates(contract_id).await?;
        let rate = rows
            .iter()
            .find(|r| r.id == rate_id)
            .ok_or(AppError::NotFound)?;
        let from = ymd(&rate.from_date).ok_or(AppError::NotFound)?;
        let before = rate_before(&rates_of(&c.start_date, c.unit_rate_pence, &rows), from)
            .ok_or(AppError::NotFound)?;
        let authority = self
            .db
            .authority(c.authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let provider = self
            .db
            .payment_names(c.authority_id)
            .await?
            .into_iter()
            .find(|n| n.kind == "provider" && n.id == c.provider_id)
            .map_or_else(|| format!("Provider {}", c.provider_id), |n| n.name);
        let change = rate.weekly_unit_rate_pence - before.0;
        let bp = if before.0 == 0 {
            0
        } else {
            hearth_domain::payments::div_round_half_up(
                i128::from(change) * 10_000,
                i128::from(before.0),
            ) as i64
        };
        let date = hearth_domain::dates::format_date(from);
        let written = hearth_domain::clock::uk_time_of(rate.created_at)
            .map_or_else(String::new, |t| hearth_domain::dates::format_date(t.date()));
        let report = Report {
            title: format!("Unit rate from {date} – {}", c.reference),
            author: authority.name.clone(),
            blocks: vec![
                Block::Paragraph(written),
                Block::Paragraph(format!("To {provider}")),
                Block::Heading(format!("Contract {}: your weekly unit rate from {date}", c.reference)),
                Block::Paragraph(format!(
                    "{} has changed the weekly unit rate of contract {} ({}) from {date}: {}.",
                    authority.name, c.reference, c.title, rate.reason
                )),
                Block::Table(Table {
                    header: ["From", "Rate before", "New rate", "Change"]
                        .map(String::from)
                        .to_vec(),
                    rows: vec![vec![
                        date.clone(),
                        before.to_string(),
                        Pence(rate.weekly_unit_rate_pence).to_string(),
                        percent_text(bp),
                    ]],
                    widths: vec![1.0; 4],
                }),
                Block::Paragraph(
                    "Where the date has passed, the next payment run pays the difference for the periods already paid, as adjustments shown on your remittance advice.".into(),
                ),
                Block::Heading("Your fairer charging duty".into()),
                Block::Paragraph(
                    "Clients of long-term services who are not in receipt of housing benefit are assessed under fairer charging. Where you collect the charge, it is deducted from your payment: you must tell each such client of their assessed weekly charge, collect it, and tell us at once of any change in a client's housing benefit status or circumstances, so that the assessment can be reviewed.".into(),
                ),
            ],
        };
        let bytes = pdf::render(&report).map_err(|e| AppError::Internal(e.to_string()))?;
        Ok((
            format!(
                "unit-rate-{}-{}.pdf",
                c.reference.replace(['/', ' '], "-"),
                rate.from_date
            ),
            bytes,
        ))
    }
}
