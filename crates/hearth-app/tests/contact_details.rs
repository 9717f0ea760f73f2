//! A provider contact holds the portal briefing's contact form (issue 10, core records): job
//! title, several positions, telephone, mobile, fax, pager, e-mail, web address, an address
//! with postcode, UPRN and USRN, directions, a confidential flag and disabled access.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::world;

use hearth_app::contacts::ContactInput;
use hearth_app::AppError;
use hearth_store::testing;

fn full() -> ContactInput {
    ContactInput {
        title: "Dr".into(),
        first_name: "Nadia".into(),
        last_name: "Brightwater".into(),
        job_title: "Head of Finance".into(),
        position_type: "finance_manager".into(),
        other_positions: "treasurer,director,finance_manager".into(),
        email: "nadia.brightwater@example.org".into(),
        phone: "0118 496 0700".into(),
        mobile: "07700 900 461".into(),
        fax: "0118 496 0701".into(),
        pager: "07623 123456".into(),
        web_address: "https://www.example.org".into(),
        address_line1: "Larch House".into(),
        address_line2: "3 Quay Street".into(),
        address_line3: "Oracle Park".into(),
        address_line4: "Off the A33".into(),
        town: "Reading".into(),
        postcode: "rg1 2ab".into(),
        uprn: "100023336956".into(),
        usrn: "21201234".into(),
        directions: "Second floor; the lift is by reception.".into(),
        confidential: "yes".into(),
        disabled_access: "yes".into(),
        comment: "Our new head of finance.".into(),
    }
}

#[tokio::test]
async fn every_field_of_the_briefings_contact_form_is_kept() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let r = w
            .app
            .request_contact_add(&w.provider, &full())
            .await
            .unwrap();
        // The team sees each field asked for.
        let changes = w.app.request_changes(&r).await.unwrap();
        let shown = |label: &str| {
            changes
                .iter()
                .find(|c| c.label == label)
                .and_then(|c| c.new.clone())
        };
        assert_eq!(
            shown("Other positions").as_deref(),
            Some("Treasurer, Director"),
            "{name}: the main position is not repeated: {changes:?}"
        );
        assert_eq!(shown("USRN").as_deref(), Some("21201234"), "{name}");
        assert_eq!(shown("Postcode").as_deref(), Some("RG1 2AB"), "{name}");
        assert_eq!(shown("Confidential").as_deref(), Some("Yes"), "{name}");
        assert_eq!(shown("Disabled access").as_deref(), Some("Yes"), "{name}");

        let done = w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let id: i64 = done
            .result_record
            .unwrap()
            .strip_prefix("contact:")
            .unwrap()
            .parse()
            .unwrap();
        let c = w.app.contact_of(&w.provider, id).await.unwrap();
        assert_eq!(c.job_title, "Head of Finance", "{name}");
        assert_eq!(c.position_type, "finance_manager", "{name}");
        assert_eq!(c.mobile, "07700 900 461", "{name}");
        assert_eq!(c.fax, "0118 496 0701", "{name}");
        assert_eq!(c.pager, "07623 123456", "{name}");
        assert_eq!(c.web_address, "https://www.example.org", "{name}");
        assert_eq!(c.address_line3, "Oracle Park", "{name}");
        assert_eq!(c.address_line4, "Off the A33", "{name}");
        assert_eq!(c.postcode, "RG1 2AB", "{name}");
        assert_eq!(c.uprn, "100023336956", "{name}");
        assert_eq!(c.usrn, "21201234", "{name}");
        assert_eq!(c.confidential, 1, "{name}");
        assert_eq!(c.disabled_access, "yes", "{name}");
        assert_eq!(c.directions, "Second floor; the lift is by reception.");

        // The form reads back what was kept, and asking for it again changes nothing.
        let again = ContactInput::of(&c);
        assert_eq!(again.other_positions, "treasurer,director", "{name}");
        let Err(AppError::Invalid(e)) = w.app.request_contact_edit(&w.provider, id, &again).await
        else {
            panic!("{name}: nothing changed")
        };
        assert_eq!(e.get("first_name"), Some("Nothing has changed"));

        // A change of one of the new fields is listed alone, and applied on approval.
        let mut moved = again.clone();
        moved.disabled_access = "no".into();
        let r = w
            .app
            .request_contact_edit(&w.provider, id, &moved)
            .await
            .unwrap();
        let changes = w.app.request_changes(&r).await.unwrap();
        assert_eq!(changes.len(), 1, "{name}: {changes:?}");
        assert_eq!(changes[0].label, "Disabled access");
        assert_eq!(changes[0].old.as_deref(), Some("Yes"));
        assert_eq!(changes[0].new.as_deref(), Some("No"));
        w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        assert_eq!(
            w.app
                .contact_of(&w.provider, id)
                .await
                .unwrap()
                .disabled_access,
            "no"
        );
    }
}

#[tokio::test]
async fn each_bad_field_is_named_and_nothing_is_sent() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let before = w
            .app
            .list_requests(&w.provider, &Default::default())
            .await
            .unwrap()
            .len();
        let bad = ContactInput {
            other_positions: "director,overlord".into(),
            mobile: "call the office".into(),
            fax: "12".into(),
            pager: "=HYPERLINK(\"x\")".into(),
            web_address: "javascript:alert(1)".into(),
            postcode: "nowhere".into(),
            address_line1: String::new(),
            uprn: "12a".into(),
            usrn: "123456789".into(),
            disabled_access: "maybe".into(),
            ..full()
        };
        let Err(AppError::Invalid(e)) = w.app.request_contact_add(&w.provider, &bad).await else {
            panic!("{name}: refused")
        };
        assert_eq!(
            e.get("other_positions"),
            Some("Select positions from the list")
        );
        for field in ["mobile", "fax", "pager"] {
            assert_eq!(
                e.get(field),
                Some("Enter a telephone number, like 01632 960 001 or +44 808 157 0192"),
                "{name}: {field}"
            );
        }
        assert_eq!(
            e.get("web_address"),
            Some("Enter the web address starting with https://")
        );
        assert!(e.get("postcode").is_some(), "{name}");
        assert_eq!(
            e.get("address_line1"),
            Some("Enter the first line of the address")
        );
        assert_eq!(e.get("uprn"), Some("UPRN must only include numbers 0 to 9"));
        assert_eq!(e.get("usrn"), Some("USRN must be 8 digits or fewer"));
        assert!(e.get("disabled_access").is_some(), "{name}");
        // Every text field is bounded.
        let long = ContactInput {
            directions: "d".repeat(20_000),
            pager: "1".repeat(300),
            ..full()
        };
        let Err(AppError::Invalid(e)) = w.app.request_contact_add(&w.provider, &long).await else {
            panic!("{name}: too long refused")
        };
        assert!(e.get("directions").is_some() && e.get("pager").is_some());
        assert_eq!(
            w.app
                .list_requests(&w.provider, &Default::default())
                .await
                .unwrap()
                .len(),
            before,
            "{name}: nothing sent"
        );
    }
}

/// A change asked for before the briefing's other contact fields existed (migration 18)
/// keeps its base in the old shape (title, names, position, e-mail, telephone). Approving it
/// compares that base with the contact's other fields empty: it goes through while the
/// contact is as it was, and is refused as stale once one of the old fields has moved on.
#[tokio::test]
async fn a_change_asked_for_before_the_new_fields_existed_is_approved_against_its_old_base() {
    for t in testing::all().await.unwrap() {
        let name = t.name;
        let w = world(t).await;
        let old_style = ContactInput {
            title: "Mr".into(),
            first_name: "Owen".into(),
            last_name: "Pellow".into(),
            position_type: "manager".into(),
            email: "owen.pellow@example.org".into(),
            phone: "0118 496 0710".into(),
            ..Default::default()
        };
        let r = w
            .app
            .request_contact_add(&w.provider, &old_style)
            .await
            .unwrap();
        let done = w.app.approve_request(&w.officer, r.id, "").await.unwrap();
        let id: i64 = done
            .result_record
            .unwrap()
            .strip_prefix("contact:")
            .unwrap()
            .parse()
            .unwrap();
        let db = w.app.db_for_tests();
        let old_base = |phone: &str| {
            format!(
                r#"{{"contact_id":{id},"title":"Mr","first_name":"Owen","last_name":"Pellow","position_type":"manager","email":"owen.pellow@example.org","phone":"{phone}"}}"#
            )
        };

        // As it was: the old base matches and the change is applied.
        let mut moved = ContactInput::of(&w.app.contact_of(&w.provider, id).await.unwrap());
        moved.job_title = "Scheme manager".into();
        let r = w
            .app
            .request_contact_edit(&w.provider, id, &moved)
            .await
            .unwrap();
        testing::exec(
            db,
            &format!(
                "UPDATE requests SET base_json = '{}' WHERE id = {}",
                old_base("0118 496 0710"),
                r.id
            ),
        )
        .await
        .unwrap();
        w.app
            .approve_request(&w.officer, r.id, "")
            .await
            .unwrap_or_else(|e| panic!("{name}: an old-shape base as it was: {e:?}"));
        assert_eq!(
            w.app.contact_of(&w.provider, id).await.unwrap().job_title,
            "Scheme manager",
            "{name}"
        );

        // An old base that no longer matches the contact is stale, and changes nothing.
        let mut again = ContactInput::of(&w.app.contact_of(&w.provider, id).await.unwrap());
        again.mobile = "07700 900 462".into();
        let r = w
            .app
            .request_contact_edit(&w.provider, id, &again)
            .await
            .unwrap();
        testing::exec(
            db,
            &format!(
                "UPDATE requests SET base_json = '{}' WHERE id = {}",
                old_base("0118 496 0999"),
                r.id
            ),
        )
        .await
        .unwrap();
        assert!(
            matches!(
                w.app.approve_request(&w.officer, r.id, "").await,
                Err(AppError::Conflict(hearth_app::ConflictCode::Stale, _))
            ),
            "{name}: a stale old-shape base refused"
        );
        assert_eq!(
            w.app.contact_of(&w.provider, id).await.unwrap().mobile,
            "",
            "{name}"
        );
    }
}
