#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod common;
use common::*;
use hearth_store::{ServiceFilter, ContractFilter};

#[tokio::test]
async fn explore() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for a in &t.accounts { println!("account {} {}", a.username, a.password); }
    for u in ["provider", "limited"] {
        let user = t.app.db.user_by_username(u).await.unwrap().unwrap();
        let p = t.app.principal_for(user, None).await.unwrap().unwrap();
        let hearth_app::Principal::Provider { provider_id, service_scope, contact, .. } = &p else { panic!() };
        println!("{u}: provider {provider_id} contact {} scope {:?}", contact.id, service_scope);
        let all = t.app.db.list_services(&ServiceFilter { provider_id: Some(*provider_id), per_page: 1000, ..Default::default() }).await.unwrap().items;
        for s in &all {
            let props = t.app.db.list_properties(&ServiceFilter { only_ids: Some(vec![s.id]), per_page: 1000, ..Default::default() }).await.unwrap().items;
            let sch = t.app.db.service_schedules(s.id, "2026-11-22", false, hearth_store::ScheduleSort::Name, 1, 1000).await.unwrap();
            println!("  service {} {} type={} term={} props={} current={} places={:?}", s.id, s.name, s.service_type, s.term, props.len(), sch.total, s.available_places);
        }
        let cs = t.app.db.list_contracts(&ContractFilter { provider_id: Some(*provider_id), per_page: 1000, ..Default::default() }).await.unwrap().items;
        for c in &cs { println!("  contract {} {} services {:?}", c.id, c.reference, t.app.db.contract_service_ids(c.id).await.unwrap()); }
        for c in t.app.db.provider_contacts(*provider_id).await.unwrap() { println!("  contact {} {} active={} assignments={:?}", c.id, c.full_name(), c.active, t.app.db.contact_assignments(c.id).await.unwrap().iter().map(|a| (a.assignment.clone(), a.service_id)).collect::<Vec<_>>()); }
    }
}
