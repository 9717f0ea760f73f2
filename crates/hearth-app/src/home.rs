//! What each home page shows: counts that need attention.

use hearth_store::AccountRequest;

use crate::{App, AppError, Principal};

/// The provider home page (SPEC C3): what needs attention. Counts for capabilities not yet
/// built are None and shown as such.
#[derive(Debug, Clone, Default)]
pub struct ProviderHome {
    pub provider_name: String,
    pub services: i64,
    pub current_clients: i64,
    pub contracts: i64,
    pub requests_pending: Option<i64>,
    pub documents_unsigned: Option<i64>,
    pub actions_due: Option<i64>,
    pub returns_due: Option<i64>,
    pub authorities: Vec<(i64, String)>,
}

/// The commissioning team's home: work queues.
#[derive(Debug, Clone, Default)]
pub struct StaffHome {
    pub authority_name: String,
    pub providers: i64,
    pub services: i64,
    pub contracts: i64,
    pub contracts_ending_soon: i64,
    pub requests_pending: i64,
    pub returns_to_check: i64,
    pub account_requests: Vec<AccountRequest>,
    /// Providers naming the signed-in person a responsible officer.
    pub my_providers: i64,
}

impl App {
    pub async fn provider_home(&self, who: &Principal) -> Result<ProviderHome, AppError> {
        let Principal::Provider { provider_id, .. } = who else {
            return Err(AppError::NotFound);
        };
        let provider = self
            .db
            .provider(*provider_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let mut f = who.service_filter();
        f.per_page = 100_000;
        let services = self.db.list_services(&f).await?;
        let today = self.today().to_string();
        let ids: Vec<i64> = services.items.iter().map(|s| s.id).collect();
        let current = self.db.count_current_schedules_in(&ids, &today).await?;
        let contracts = self.list_contracts(who, &Default::default()).await?.total;
        let Principal::Provider {
            service_scope,
            authority_id,
            ..
        } = who
        else {
            return Err(AppError::NotFound);
        };
        let pending = self
            .db
            .count_pending_requests(*provider_id, *authority_id, service_scope.as_deref())
            .await?;
        Ok(ProviderHome {
            provider_name: provider.name,
            services: services.total,
            current_clients: current,
            contracts,
            requests_pending: Some(pending),
            documents_unsigned: Some(self.count_unsigned_documents(who).await?),
            actions_due: Some(self.count_actions_due(who).await?),
            returns_due: Some(self.count_returns_due_of(&ids).await?),
            authorities: self
                .db
                .provider_authorities(*provider_id)
                .await?
                .into_iter()
                .map(|a| (a.id, a.name))
                .collect(),
        })
    }

    pub async fn staff_home(&self, who: &Principal) -> Result<StaffHome, AppError> {
        let Principal::Staff { authority_id, .. } = who else {
            return Err(AppError::NotFound);
        };
        let authority = self
            .db
            .authority(*authority_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let today = self.today();
        let soon = today + chrono::Duration::days(90);
        Ok(StaffHome {
            authority_name: authority.name,
            providers: self.db.list_providers(&who.provider_filter()).await?.total,
            services: self.db.list_services(&who.service_filter()).await?.total,
            contracts: self.db.list_contracts(&who.contract_filter()).await?.total,
            contracts_ending_soon: self
                .db
                .count_contracts_ending_before(*authority_id, &today.to_string(), &soon.to_string())
                .await?,
            account_requests: self
                .db
                .list_account_requests(Some(*authority_id), true)
                .await?,
            returns_to_check: self.count_returns_to_check(who).await?,
            my_providers: self.count_my_providers(who).await?,
            requests_pending: self
                .db
                .count_requests(&hearth_store::RequestFilter {
                    authority_id: Some(*authority_id),
                    status: Some(
                        hearth_domain::workflow::requests::Status::Pending
                            .as_str()
                            .into(),
                    ),
                    ..Default::default()
                })
                .await?,
        })
    }
}
