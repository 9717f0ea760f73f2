//! Responsible officers: the lead (purchasing) officer and the contract manager of each
//! provider in an authority, and of a service when it names its own.

use sea_query::{Alias, Condition, Query};
use sqlx::Row;

use crate::query::col;
use crate::write::Changes;
use crate::{record, Db, Service, StoreError, WriteTx};

record!(
    /// A provider's registration with an authority and its responsible officers there.
    ProviderOfficers {
        provider_id: i64,
        authority_id: i64,
        lead_officer_id: Option<i64> = None,
        contract_manager_id: Option<i64> = None,
    }
);

/// The two responsible officers (user ids), either of them unset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Officers {
    pub lead_officer_id: Option<i64>,
    pub contract_manager_id: Option<i64>,
}

/// "Officer `user` is responsible": for a provider in authority `authority_id`, either officer
/// of its registration, or either officer of one of its services there.
pub(crate) fn provider_has_officer(authority_id: i64, user: i64) -> Condition {
    let registration = Query::select()
        .column(Alias::new("provider_id"))
        .from(Alias::new("provider_authorities"))
        .and_where(col("authority_id").eq(authority_id))
        .cond_where(
            Condition::any()
                .add(col("lead_officer_id").eq(user))
                .add(col("contract_manager_id").eq(user)),
        )
        .to_owned();
    let services = Query::select()
        .column(Alias::new("provider_id"))
        .from(Alias::new("services"))
        .and_where(col("authority_id").eq(authority_id))
        .cond_where(
            Condition::any()
                .add(col("lead_officer_id").eq(user))
                .add(col("contract_manager_id").eq(user)),
        )
        .to_owned();
    Condition::any()
        .add(col("id").in_subquery(registration))
        .add(col("id").in_subquery(services))
}

/// "Officer `user` is responsible" for a service of authority `authority_id`: its own officer,
/// or its provider's where the service names none of its own.
pub(crate) fn service_has_officer(authority_id: i64, user: i64) -> Condition {
    let provider_where = |column: &'static str| {
        Query::select()
            .column(Alias::new("provider_id"))
            .from(Alias::new("provider_authorities"))
            .and_where(col("authority_id").eq(authority_id))
            .and_where(col(column).eq(user))
            .to_owned()
    };
    Condition::any()
        .add(col("lead_officer_id").eq(user))
        .add(col("contract_manager_id").eq(user))
        .add(
            Condition::all()
                .add(col("lead_officer_id").is_null())
                .add(col("provider_id").in_subquery(provider_where("lead_officer_id"))),
        )
        .add(
            Condition::all()
                .add(col("contract_manager_id").is_null())
                .add(col("provider_id").in_subquery(provider_where("contract_manager_id"))),
        )
}

impl Db {
    /// A provider's registration with an authority, with its officers (None when the provider
    /// is not registered there).
    pub async fn provider_officers(
        &self,
        provider_id: i64,
        authority_id: i64,
    ) -> Result<Option<ProviderOfficers>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM provider_authorities WHERE provider_id = $1 AND authority_id = $2",
        )
        .bind(provider_id)
        .bind(authority_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(ProviderOfficers::from_row).transpose()
    }

    /// The officers in effect for a service: its own, or its provider's in its authority.
    pub async fn service_officers(&self, s: &Service) -> Result<Officers, StoreError> {
        let provider = self
            .provider_officers(s.provider_id, s.authority_id)
            .await?;
        let provider = provider.map(|p| Officers {
            lead_officer_id: p.lead_officer_id,
            contract_manager_id: p.contract_manager_id,
        });
        let provider = provider.unwrap_or_default();
        Ok(Officers {
            lead_officer_id: s.lead_officer_id.or(provider.lead_officer_id),
            contract_manager_id: s.contract_manager_id.or(provider.contract_manager_id),
        })
    }

    /// How many of the authority's providers name `user` as a responsible officer.
    pub async fn count_providers_of_officer(
        &self,
        authority_id: i64,
        user: i64,
    ) -> Result<i64, StoreError> {
        self.count_where("providers", provider_has_officer(authority_id, user))
            .await
    }

    /// The display names and e-mail addresses of these users.
    pub async fn user_names(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, (String, String)>, StoreError> {
        let mut out = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut p = crate::Params::default();
        let sql = format!(
            "SELECT id, display_name, email FROM users WHERE id IN ({})",
            crate::placeholders(&mut p, ids.len())
        );
        let mut q = sqlx::query(&sql);
        for id in ids {
            q = q.bind(*id);
        }
        for r in q.fetch_all(&self.pool).await? {
            out.insert(
                r.try_get("id")?,
                (r.try_get("display_name")?, r.try_get("email")?),
            );
        }
        Ok(out)
    }
}

impl WriteTx {
    /// Sets a provider's responsible officers in an authority (audited as a change of its
    /// registration). None when the provider is not registered there.
    pub async fn set_provider_officers(
        &mut self,
        provider_id: i64,
        authority_id: i64,
        officers: Officers,
    ) -> Result<Option<ProviderOfficers>, StoreError> {
        let Some(before) = self.registration(provider_id, authority_id).await? else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE provider_authorities SET lead_officer_id = $1, contract_manager_id = $2
             WHERE provider_id = $3 AND authority_id = $4",
        )
        .bind(officers.lead_officer_id)
        .bind(officers.contract_manager_id)
        .bind(provider_id)
        .bind(authority_id)
        .execute(&mut *self.tx)
        .await?;
        let after = self.registration(provider_id, authority_id).await?;
        self.audit(
            "update",
            crate::RecordType::ProviderAuthority,
            &format!("{provider_id}:{authority_id}"),
            Some(&before.to_json()),
            after.as_ref().map(ProviderOfficers::to_json).as_ref(),
        )
        .await?;
        Ok(after)
    }

    async fn registration(
        &mut self,
        provider_id: i64,
        authority_id: i64,
    ) -> Result<Option<ProviderOfficers>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM provider_authorities WHERE provider_id = $1 AND authority_id = $2",
        )
        .bind(provider_id)
        .bind(authority_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.as_ref().map(ProviderOfficers::from_row).transpose()
    }

    /// Sets the officers a service names of its own (None: its provider's).
    pub async fn set_service_officers(
        &mut self,
        service_id: i64,
        officers: Officers,
    ) -> Result<Option<Service>, StoreError> {
        let at = self.at();
        self.change(
            service_id,
            "update",
            Changes::new()
                .set("lead_officer_id", officers.lead_officer_id)
                .set("contract_manager_id", officers.contract_manager_id)
                .set("updated_at", at),
        )
        .await
    }
}
