//! Issue 10, core records: the contact form has the portal briefing's fields (several
//! positions as checkboxes, telephone, mobile, fax, pager, web address, an address with
//! UPRN and USRN, directions, confidential, disabled access), each bad one named beside its
//! field, and the contact's page lists what is held with no blank rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

#[tokio::test]
async fn a_contact_with_every_field_of_the_briefing() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let provider = t.signed_in("provider").await;
        let (status, form) = provider.text("/contacts/new").await;
        assert_eq!(status, 200, "{name}");
        for field in [
            "job_title",
            "other_positions",
            "mobile",
            "fax",
            "pager",
            "web_address",
            "address_line4",
            "usrn",
            "directions",
            "confidential",
            "disabled_access",
        ] {
            assert!(
                form.contains(&format!("name=\"{field}\"")),
                "{name}: {field}"
            );
        }

        // Each bad field is named beside it, and what was typed and ticked is kept.
        let r = provider
            .post_form(
                "/contacts/new",
                &[
                    ("first_name", "Nadia"),
                    ("last_name", "Brightwater"),
                    ("position_type", "finance_manager"),
                    ("other_positions", "treasurer"),
                    ("other_positions", "director"),
                    ("mobile", "ring reception"),
                    ("usrn", "123456789"),
                    ("web_address", "javascript:alert(1)"),
                ],
            )
            .await;
        assert_eq!(r.status(), 422, "{name}");
        let body = r.text().await.unwrap();
        assert!(body.contains("<title>Error: "), "{name}");
        assert!(
            field_error(&body, "mobile").contains("Enter a telephone number"),
            "{name}"
        );
        assert!(
            field_error(&body, "usrn").contains("USRN must be 8 digits or fewer"),
            "{name}"
        );
        assert!(
            field_error(&body, "web_address").contains("starting with https://"),
            "{name}"
        );
        assert!(
            body.contains("value=\"treasurer\" checked")
                && body.contains("value=\"director\" checked"),
            "{name}: ticked boxes kept"
        );

        let r = provider
            .post_form(
                "/contacts/new",
                &[
                    ("title", "Dr"),
                    ("first_name", "Nadia"),
                    ("last_name", "Brightwater"),
                    ("job_title", "Head of Finance"),
                    ("position_type", "finance_manager"),
                    ("other_positions", "treasurer"),
                    ("other_positions", "director"),
                    ("mobile", "07700 900 461"),
                    ("pager", "07623 123456"),
                    ("web_address", "https://www.example.org"),
                    ("address_line1", "Larch House"),
                    ("address_line2", "3 Quay Street"),
                    ("town", "Reading"),
                    ("postcode", "RG1 2AB"),
                    ("usrn", "21201234"),
                    ("directions", "Second floor"),
                    ("disabled_access", "yes"),
                    ("confidential", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        let id = request_id(&r);
        let officer = t.signed_in("officer").await;
        let (_, page) = officer.text(&format!("/requests/{id}")).await;
        for shown in [
            "Treasurer, Director",
            "07623 123456",
            "21201234",
            "Head of Finance",
        ] {
            assert!(page.contains(shown), "{name}: {shown}");
        }
        let r = officer
            .post_form(
                &format!("/requests/{id}/decide"),
                &[("decision", "approve"), ("remarks", "")],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");

        // The contact's page lists the details, leaving out what is not recorded.
        let (_, list) = provider.text("/contacts").await;
        let at = list.find("Nadia").expect("listed once approved");
        let cid: i64 = list[..at]
            .rsplit("href=\"/contacts/")
            .next()
            .and_then(|s| s.split('"').next())
            .and_then(|s| s.parse().ok())
            .expect("a link to the contact");
        let (_, page) = provider.text(&format!("/contacts/{cid}")).await;
        for shown in [
            "Head of Finance",
            "Treasurer, Director",
            "07623 123456",
            "https://www.example.org",
            "Larch House",
            "21201234",
            "Second floor",
        ] {
            assert!(page.contains(shown), "{name}: {shown}");
        }
        assert!(
            !page.contains("govuk-summary-list__key\">Fax<"),
            "{name}: no blank row for a fax not recorded"
        );
        assert!(page.contains("Ask for a change to these details"), "{name}");
    }
}
