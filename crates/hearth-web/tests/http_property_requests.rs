//! Issue 10, core records: a provider asks for a new property, or a change to one of its
//! own, from the properties pages; the team approves it on the request's page and is
//! linked to the property made.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn a_provider_asks_for_a_property_and_the_team_approves_it() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let provider = t.signed_in("provider").await;

        // Reached from the properties list.
        let (status, list) = provider.text("/properties").await;
        assert_eq!(status, 200, "{name}");
        assert!(
            list.contains("href=\"/properties/request\""),
            "{name}: the list offers a request"
        );
        assert!(
            !list.contains("href=\"/properties/new\""),
            "{name}: providers do not add directly"
        );
        let (status, form) = provider.text("/properties/request").await;
        assert_eq!(status, 200, "{name}");
        assert!(form.contains("Ask for a new property"), "{name}");

        // Bad input is named beside its field and sends nothing.
        let r = provider
            .post_form(
                "/properties/request",
                &[
                    ("address_line1", ""),
                    ("postcode", "nowhere"),
                    ("town", "Bristol"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "{name}");
        let body = r.text().await.unwrap();
        assert!(
            field_error(&body, "address_line1").contains("Enter the first line of the address"),
            "{name}"
        );
        assert!(
            body.contains("value=\"Bristol\""),
            "{name}: what was typed is kept"
        );

        let r = provider
            .post_form(
                "/properties/request",
                &[
                    ("address_line1", "22 Harbour Row"),
                    ("town", "Bristol"),
                    ("postcode", "BS1 4DJ"),
                    ("comment", "A new shared house"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        let id = request_id(&r);
        let (_, sent) = provider.text(&location(&r)).await;
        assert!(sent.contains("22 Harbour Row"), "{name}: {sent}");

        // The team sees it and approves it; the decision links to the property made.
        let officer = t.signed_in("officer").await;
        let (_, page) = officer.text(&format!("/requests/{id}")).await;
        assert!(page.contains("New property"), "{name}");
        assert!(page.contains("A new shared house"), "{name}");
        let r = officer
            .post_form(
                &format!("/requests/{id}/decide"),
                &[("decision", "approve"), ("remarks", "")],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        let (_, decided) = officer.text(&location(&r)).await;
        assert!(decided.contains("View the property"), "{name}: {decided}");
        let (_, props) = provider.text("/properties?q=Harbour").await;
        assert!(
            props.contains("22 Harbour Row"),
            "{name}: written on approval"
        );

        // A change to one of its properties, from the property's page.
        let href = props
            .split("href=\"/properties/")
            .skip(1)
            .find_map(|s| s.split('"').next().and_then(|n| n.parse::<i64>().ok()))
            .expect("a property link");
        let (_, view) = provider.text(&format!("/properties/{href}")).await;
        assert!(
            view.contains(&format!("href=\"/properties/{href}/request\"")),
            "{name}: the property offers a change"
        );
        let (status, form) = provider.text(&format!("/properties/{href}/request")).await;
        assert_eq!(status, 200, "{name}");
        assert!(
            form.contains("value=\"22 Harbour Row\""),
            "{name}: filled in"
        );
        let r = provider
            .post_form(
                &format!("/properties/{href}/request"),
                &[
                    ("address_line1", "22 Harbour Row"),
                    ("address_line2", "Ground floor"),
                    ("town", "Bristol"),
                    ("postcode", "BS1 4DJ"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        let id = request_id(&r);
        let (_, page) = officer.text(&format!("/requests/{id}")).await;
        assert!(page.contains("Ground floor"), "{name}");

        // The team edits properties directly and has no request pages.
        let (status, _) = officer.text("/properties/request").await;
        assert!(status == 403 || status == 404, "{name}: {status}");
    }
}

#[tokio::test]
async fn a_provider_cannot_ask_about_another_providers_property() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let me = provider_id(&principal(&t, "provider").await);
        let officer = principal(&t, "officer").await;
        let theirs = t
            .app
            .list_properties(&officer, &Default::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|p| p.provider_id != me)
            .expect("another provider's property");
        let provider = t.signed_in("provider").await;
        let path = format!("/properties/{}/request", theirs.id);
        let (status, _) = provider.text(&path).await;
        assert_eq!(status, 404, "{name}");
        let r = provider
            .post_form(
                &path,
                &[("address_line1", "Taken over"), ("postcode", "BS1 4DJ")],
            )
            .await;
        assert_eq!(r.status(), 404, "{name}");
    }
}
