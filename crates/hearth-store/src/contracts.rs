//! Contracts between an authority and a provider, and the services they cover.

use crate::accounts::count_of;
use crate::{record, Db, Page, StoreError, WriteTx};

record!(
    /// A contract.
    Contract {
        id: i64,
        authority_id: i64,
        provider_id: i64,
        reference: String,
        title: String,
        units: i64,
        unit_rate_pence: i64,
        start_date: String,
        end_date: String,
        status: String,
        created_at: i64,
        updated_at: i64,
        // How the contract is paid (hearth_domain::payments::PaymentBasis), migration 21.
        payment_basis: String = "per_client".to_string(),
    }
);

/// Editable fields of a contract.
#[derive(Debug, Clone, Default)]
pub struct ContractFields {
    pub provider_id: i64,
    pub reference: String,
    pub title: String,
    pub units: i64,
    pub unit_rate_pence: i64,
    pub start_date: String,
    pub end_date: String,
    pub status: String,
    pub service_ids: Vec<i64>,
}

/// Which contracts to list.
#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub authority_id: Option<i64>,
    pub provider_id: Option<i64>,
    pub status: Option<String>,
    pub search: Option<String>,
    pub sort: Option<crate::Sort>,
    pub page: i64,
    pub per_page: i64,
}

impl Db {
    pub async fn contract(&self, id: i64) -> Result<Option<Contract>, StoreError> {
        let row = sqlx::query("SELECT * FROM contracts WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(Contract::from_row).transpose()
    }

    pub async fn contract_service_ids(&self, contract_id: i64) -> Result<Vec<i64>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT service_id FROM contract_services WHERE contract_id = $1 ORDER BY service_id",
        )
        .bind(contract_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<i64, _>("service_id")?))
            .collect()
    }

    pub async fn service_contracts(&self, service_id: i64) -> Result<Vec<Contract>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.* FROM contracts c JOIN contract_services cs ON cs.contract_id = c.id WHERE cs.service_id = $1 ORDER BY c.start_date DESC",
        )
        .bind(service_id)
        .fetch_all(&self.pool)
        .await?;
        Contract::from_rows(&rows)
    }

    pub async fn list_contracts(&self, f: &ContractFilter) -> Result<Page<Contract>, StoreError> {
        use crate::query::{col, contains};
        let mut cond = sea_query::Condition::all();
        if let Some(a) = f.authority_id {
            cond = cond.add(col("authority_id").eq(a));
        }
        if let Some(p) = f.provider_id {
            cond = cond.add(col("provider_id").eq(p));
        }
        if let Some(s) = &f.status {
            cond = cond.add(col("status").eq(s.clone()));
        }
        if let Some(text) = &f.search {
            cond = cond.add(contains(&["title", "reference"], text));
        }
        let order = crate::query::order_by(f.sort, "reference");
        self.page_of("contracts", cond, &order, f.page, f.per_page)
            .await
    }
}

impl WriteTx {
    async fn set_contract_services(
        &mut self,
        contract_id: i64,
        service_ids: &[i64],
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM contract_services WHERE contract_id = $1")
            .bind(contract_id)
            .execute(&mut *self.tx)
            .await?;
        for s in service_ids {
            sqlx::query("INSERT INTO contract_services (contract_id, service_id) VALUES ($1, $2)")
                .bind(contract_id)
                .bind(*s)
                .execute(&mut *self.tx)
                .await?;
        }
        Ok(())
    }

    pub async fn insert_contract(
        &mut self,
        authority_id: i64,
        f: &ContractFields,
    ) -> Result<Contract, StoreError> {
        let row = sqlx::query(
            "INSERT INTO contracts (authority_id, provider_id, reference, title, units, unit_rate_pence, start_date, end_date, status, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
        )
        .bind(authority_id)
        .bind(f.provider_id)
        .bind(f.reference.clone())
        .bind(f.title.clone())
        .bind(f.units)
        .bind(f.unit_rate_pence)
        .bind(f.start_date.clone())
        .bind(f.end_date.clone())
        .bind(f.status.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let c = Contract::from_row(&row)?;
        self.set_contract_services(c.id, &f.service_ids).await?;
        let mut after = c.to_json();
        after["service_ids"] = serde_json::json!(f.service_ids);
        self.audit(
            "create",
            crate::RecordType::Contract,
            &c.id.to_string(),
            None,
            Some(&after),
        )
        .await?;
        Ok(c)
    }

    pub async fn update_contract(
        &mut self,
        id: i64,
        f: &ContractFields,
    ) -> Result<Option<Contract>, StoreError> {
        use sqlx::Row;
        let Some(row) = sqlx::query("SELECT * FROM contracts WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?
        else {
            return Ok(None);
        };
        let before = Contract::from_row(&row)?;
        let before_services: Vec<i64> = sqlx::query(
            "SELECT service_id FROM contract_services WHERE contract_id = $1 ORDER BY service_id",
        )
        .bind(id)
        .fetch_all(&mut *self.tx)
        .await?
        .iter()
        .map(|r| r.try_get::<i64, _>("service_id"))
        .collect::<Result<_, _>>()?;
        let row = sqlx::query(
            "UPDATE contracts SET provider_id = $2, reference = $3, title = $4, units = $5, unit_rate_pence = $6, start_date = $7,
                end_date = $8, status = $9, updated_at = $10 WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(f.provider_id)
        .bind(f.reference.clone())
        .bind(f.title.clone())
        .bind(f.units)
        .bind(f.unit_rate_pence)
        .bind(f.start_date.clone())
        .bind(f.end_date.clone())
        .bind(f.status.clone())
        .bind(self.at())
        .fetch_one(&mut *self.tx)
        .await?;
        let after = Contract::from_row(&row)?;
        self.set_contract_services(id, &f.service_ids).await?;
        let mut b = before.to_json();
        b["service_ids"] = serde_json::json!(before_services);
        let mut a = after.to_json();
        a["service_ids"] = serde_json::json!(f.service_ids);
        self.audit(
            "update",
            crate::RecordType::Contract,
            &id.to_string(),
            Some(&b),
            Some(&a),
        )
        .await?;
        Ok(Some(after))
    }
}

/// Counts per status, for the commissioning home page.
impl Db {
    pub async fn count_contracts_ending_before(
        &self,
        authority_id: i64,
        from: &str,
        before: &str,
    ) -> Result<i64, StoreError> {
        count_of(
            &sqlx::query("SELECT COUNT(*) AS n FROM contracts WHERE authority_id = $1 AND end_date >= $2 AND end_date < $3")
                .bind(authority_id)
                .bind(from)
                .bind(before)
                .fetch_one(&self.pool)
                .await?,
        )
    }
}
