//! Properties by request (issue 10, core records): a provider asks for a new property or a
//! change to one of its own, and only the commissioning team's approval writes it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::records::{ListQuery, PropertyInput};
use hearth_app::requests::{Payload, RequestKind, RequestStatus};
use hearth_app::{AppError, ConflictCode};
use hearth_store::testing;

fn input(line1: &str, postcode: &str) -> PropertyInput {
    PropertyInput {
        address_line1: line1.into(),
        town: "Bristol".into(),
        postcode: postcode.into(),
        ..Default::default()
    }
}

fn as_input(p: &hearth_store::Property) -> PropertyInput {
    PropertyInput::from_record(p)
}

async fn properties(w: &common::World, who: &hearth_app::Principal) -> Vec<hearth_store::Property> {
    w.app
        .list_properties(who, &ListQuery::default())
        .await
        .unwrap()
        .items
}

fn provider_of(who: &hearth_app::Principal) -> i64 {
    match who {
        hearth_app::Principal::Provider { provider_id, .. } => *provider_id,
        _ => panic!("a provider user"),
    }
}

#[tokio::test]
async fn a_new_property_is_written_only_when_approved() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let before = properties(&w, &w.provider).await.len();

        // Bad input is named beside each field and sends nothing.
        let Err(AppError::Invalid(e)) = w
            .app
            .request_property(&w.provider, None, &input(" ", "not a postcode"), "")
            .await
        else {
            panic!("{name}: bad input refused")
        };
        assert_eq!(
            e.get("address_line1"),
            Some("Enter the first line of the address")
        );
        assert!(e.get("postcode").is_some(), "{name}");

        let r = w
            .app
            .request_property(
                &w.provider,
                None,
                &input("14 Mill Lane", "bs1 4dj"),
                "A second shared house for the scheme",
            )
            .await
            .unwrap();
        assert_eq!(r.kind, RequestKind::PropertyAdd, "{name}");
        assert_eq!(r.summary, "New property: 14 Mill Lane, BS1 4DJ", "{name}");
        let Payload::PropertyAdd(ask) = &r.payload else {
            panic!("{name}: payload")
        };
        assert_eq!(ask.postcode, "BS1 4DJ", "{name}: parsed as the form parses");
        // Nothing is written yet.
        assert_eq!(properties(&w, &w.provider).await.len(), before, "{name}");

        // The team sees what is asked, field by field.
        let changes = w.app.request_changes(&r).await.unwrap();
        assert!(
            changes
                .iter()
                .any(|c| c.label == "Address line 1" && c.new.as_deref() == Some("14 Mill Lane")),
            "{name}: {changes:?}"
        );

        let done = w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert_eq!(done.status, RequestStatus::Approved, "{name}");
        let record = done.result_record.clone().unwrap();
        let id: i64 = record.strip_prefix("property:").unwrap().parse().unwrap();
        let p = w.app.property(&w.provider, id).await.unwrap();
        assert_eq!(p.address_line1, "14 Mill Lane", "{name}");
        assert_eq!(p.postcode, "BS1 4DJ", "{name}");
        assert_eq!(p.provider_id, provider_of(&w.provider), "{name}");
        assert_eq!(
            properties(&w, &w.provider).await.len(),
            before + 1,
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_change_is_applied_on_approval_and_refused_over_a_newer_change() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let all = properties(&w, &w.provider).await;
        let p = all.first().expect("the demo provider has properties");

        // Asking for what is already there is refused.
        let Err(AppError::Invalid(e)) = w
            .app
            .request_property(&w.provider, Some(p.id), &as_input(p), "")
            .await
        else {
            panic!("{name}: nothing changed refused")
        };
        assert_eq!(e.get("address_line1"), Some("Nothing has changed"));

        let mut changed = as_input(p);
        changed.address_line2 = "Flat 2".into();
        let r = w
            .app
            .request_property(
                &w.provider,
                Some(p.id),
                &changed,
                "The flat number was missing",
            )
            .await
            .unwrap();
        assert_eq!(r.kind, RequestKind::PropertyEdit, "{name}");
        let changes = w.app.request_changes(&r).await.unwrap();
        let line2 = changes
            .iter()
            .find(|c| c.label == "Address line 2")
            .unwrap();
        assert_eq!(line2.new.as_deref(), Some("Flat 2"), "{name}");
        assert_eq!(
            w.app
                .property(&w.provider, p.id)
                .await
                .unwrap()
                .address_line2,
            p.address_line2,
            "{name}: unchanged until approved"
        );
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert_eq!(
            w.app
                .property(&w.provider, p.id)
                .await
                .unwrap()
                .address_line2,
            "Flat 2",
            "{name}: applied"
        );

        // Two requests made from the same record: the second to be approved would overwrite
        // the first, so it is refused and nothing changes.
        let now = w.app.property(&w.provider, p.id).await.unwrap();
        let mut a = as_input(&now);
        a.town = "Bath".into();
        let mut b = as_input(&now);
        b.town = "Keynsham".into();
        let ra = w
            .app
            .request_property(&w.provider, Some(p.id), &a, "")
            .await
            .unwrap();
        let rb = w
            .app
            .request_property(&w.provider, Some(p.id), &b, "")
            .await
            .unwrap();
        w.app.approve_request(&w.officer, ra.id, "").await.unwrap();
        assert!(
            matches!(
                w.app.approve_request(&w.officer, rb.id, "").await,
                Err(AppError::Conflict(ConflictCode::Stale, _))
            ),
            "{name}: stale refused"
        );
        assert_eq!(
            w.app.property(&w.provider, p.id).await.unwrap().town,
            "Bath",
            "{name}"
        );
    }
}

#[tokio::test]
async fn nobody_asks_for_someone_elses_property() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        // A property of another provider, as the team sees them all.
        let mine = provider_of(&w.provider);
        let theirs = properties(&w, &w.officer)
            .await
            .into_iter()
            .find(|p| p.provider_id != mine)
            .expect("the demo has other providers' properties");
        let mut changed = as_input(&theirs);
        changed.address_line2 = "Taken over".into();
        changed.service_id = String::new();
        assert!(
            matches!(
                w.app
                    .request_property(&w.provider, Some(theirs.id), &changed, "")
                    .await,
                Err(AppError::NotFound)
            ),
            "{name}: another provider's property is hidden"
        );
        // A service of another provider cannot be named either.
        let mut named = input("3 Quay Street", "BS1 4DJ");
        named.service_id = theirs
            .service_id
            .map(|s| s.to_string())
            .unwrap_or_else(|| "999999".into());
        let Err(AppError::Invalid(e)) = w.app.request_property(&w.provider, None, &named, "").await
        else {
            panic!("{name}: another provider's service refused")
        };
        assert_eq!(
            e.get("service_id"),
            Some("Select a service of this authority")
        );

        // A user limited to some services must say which service uses a new property.
        let Err(AppError::Invalid(e)) = w
            .app
            .request_property(&w.limited, None, &input("3 Quay Street", "BS1 4DJ"), "")
            .await
        else {
            panic!("{name}: limited user without a service refused")
        };
        assert_eq!(
            e.get("service_id"),
            Some("Select the service that uses this property")
        );

        // The team does not ask: it edits properties directly.
        assert!(
            w.app
                .request_property(&w.officer, None, &input("3 Quay Street", "BS1 4DJ"), "")
                .await
                .is_err(),
            "{name}: only providers ask"
        );
    }
}

/// Review finding (issue 10): a user limited to some services could open a colleague's
/// request for a new property that names no service, by its number, though their list of
/// requests never shows it.
#[tokio::test]
async fn a_limited_user_cannot_open_a_colleagues_property_request_without_a_service() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        // A colleague of the limited user with access to the whole organisation.
        let mut whole = w.limited.clone();
        if let hearth_app::Principal::Provider { service_scope, .. } = &mut whole {
            *service_scope = None;
        }
        let asked = w
            .app
            .request_property(&whole, None, &input("3 Quay Street", "BS1 4DJ"), "")
            .await
            .unwrap();
        assert_eq!(
            asked.service_id, None,
            "{name}: the request names no service"
        );
        // Their colleague with access to the whole organisation sees it...
        assert_eq!(w.app.request(&whole, asked.id).await.unwrap().id, asked.id);
        // ...the limited user does not, by number or in the service it would come with.
        assert!(
            matches!(
                w.app.request(&w.limited, asked.id).await,
                Err(AppError::NotFound)
            ),
            "{name}: a limited user opened a request outside their services"
        );
        assert!(
            matches!(
                w.app.request_service(&w.limited, asked.id).await,
                Err(AppError::NotFound)
            ),
            "{name}"
        );
        // The team sees it.
        assert_eq!(
            w.app.request(&w.officer, asked.id).await.unwrap().id,
            asked.id
        );
    }
}
