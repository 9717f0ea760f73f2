//! Day activities in the browser's pages (issue 13): the team adds a service line, the
//! provider records last week (a refused session told beside its field, nothing saved) and
//! confirms it, the team sees it confirmed, acknowledges an alert and sets an access point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

/// A day service of the demo provider, and a client with no schedule.
async fn day_service(t: &TestApp) -> (i64, i64) {
    let p = principal(t, "provider").await;
    let (pid, aid) = (provider_id(&p), p.authority_id());
    let db = t.app.db_for_tests();
    for sql in [
        format!("INSERT INTO services (authority_id, provider_id, reference, name, service_type, term, client_group, contracted_units, created_at, updated_at) VALUES ({aid}, {pid}, 'DAY/WEB', 'Millside Day Centre', 'day_activities', 'long', 'learning_disabilities', 60, 0, 0)"),
        format!("INSERT INTO clients (authority_id, title, first_name, last_name, created_at, updated_at) VALUES ({aid}, 'Ms', 'Jo', 'Quillfeather', 0, 0)"),
    ] {
        hearth_store::testing::exec(db, &sql).await.unwrap();
    }
    let sid = hearth_store::testing::scalar_i64(
        db,
        "SELECT id FROM services WHERE reference = 'DAY/WEB'",
    )
    .await
    .unwrap();
    let client = hearth_store::testing::scalar_i64(
        db,
        "SELECT id FROM clients WHERE last_name = 'Quillfeather'",
    )
    .await
    .unwrap();
    (sid, client)
}

#[tokio::test]
async fn a_week_is_recorded_and_confirmed_on_its_page_and_the_team_sees_it() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (sid, client) = day_service(&t).await;
    let officer = t.signed_in("officer").await;
    // The team adds the service line; a missing day is told beside the field.
    let new = format!("/day-activities/{sid}/lines/new");
    let (status, form) = officer.text(&new).await;
    assert_eq!(status, 200);
    assert!(form.contains("Add a service line"));
    let fields = |days: &'static [&'static str]| {
        let mut f: Vec<(&str, String)> = vec![
            ("client_id", client.to_string()),
            ("client_group", "learning_disabilities".into()),
            ("session_type", "full_day".into()),
            ("rate", "42.00".into()),
            ("start_date", "1/6/2026".into()),
            ("end_date", String::new()),
            ("route", "spot".into()),
            ("social_worker_name", "Helen Ward".into()),
            ("social_worker_email", "helen.ward@example.gov.uk".into()),
        ];
        for d in days {
            f.push(("days", (*d).to_string()));
        }
        f
    };
    let send = |f: Vec<(&'static str, String)>| f;
    let body: Vec<(&str, String)> = send(fields(&[]));
    let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = officer.post_form(&new, &pairs).await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "days").contains("at least one day"));
    let body = fields(&["mon", "wed"]);
    let pairs: Vec<(&str, &str)> = body.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = officer.post_form(&new, &pairs).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, lines) = officer.text(&location(&r)).await;
    assert!(
        lines.contains("Monday, Wednesday") && lines.contains("Jo Quillfeather"),
        "{}",
        &lines[lines.find("<main").unwrap_or(0)..]
    );
    let line =
        hearth_store::testing::scalar_i64(t.app.db_for_tests(), "SELECT MAX(id) FROM day_lines")
            .await
            .unwrap();

    // The provider records last week.
    let provider = t.signed_in("provider").await;
    let (status, home) = provider.text("/day-activities").await;
    assert_eq!(status, 200);
    assert!(home.contains("Millside Day Centre"), "{home}");
    let week = t.app.last_week();
    let mon = week;
    let wed = week + chrono::Duration::days(2);
    let page = format!("/day-activities/{sid}/weeks/{week}");
    let (status, form) = provider.text(&page).await;
    assert_eq!(status, 200);
    assert!(
        form.contains("Confirm the week") && form.contains("Jo Quillfeather"),
        "{form}"
    );
    let k = |d: chrono::NaiveDate, part: &str| format!("s-{line}-{d}-{part}");
    let (l1, o1, l2, o2, r2) = (
        k(mon, "line"),
        k(mon, "outcome"),
        k(wed, "line"),
        k(wed, "outcome"),
        k(wed, "reason"),
    );
    let line_text = line.to_string();
    // Absent with no reason: told beside the field, nothing saved.
    let r = provider
        .post_form(
            &page,
            &[
                (l1.as_str(), line_text.as_str()),
                (o1.as_str(), "attended"),
                (l2.as_str(), line_text.as_str()),
                (o2.as_str(), "absent"),
                (r2.as_str(), ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        field_error(&body, &r2).contains("Select why they were absent"),
        "{body}"
    );
    let recorded = hearth_store::testing::scalar_i64(
        t.app.db_for_tests(),
        "SELECT COUNT(*) FROM day_sessions",
    )
    .await
    .unwrap();
    assert_eq!(recorded, 0);
    // Monday attended, the rest left blank and recorded as attended.
    let r = provider
        .post_form(
            &page,
            &[
                (l1.as_str(), line_text.as_str()),
                (o1.as_str(), "attended"),
                (l2.as_str(), line_text.as_str()),
                (o2.as_str(), ""),
                ("rest_attended", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, saved) = provider.text(&location(&r)).await;
    assert!(saved.contains("Sessions saved"));
    let r = provider.post_form(&format!("{page}/confirm"), &[]).await;
    assert_eq!(r.status(), 303);
    let (_, done) = provider.text(&location(&r)).await;
    assert!(
        done.contains("Week confirmed") && !done.contains("Save the sessions"),
        "{done}"
    );

    // The team sees the week confirmed, and may not record it.
    let (status, view) = officer.text(&page).await;
    assert_eq!(status, 200);
    assert!(
        view.contains("Confirmed") && view.contains("Attended"),
        "{view}"
    );
    let r = officer.post_form(&format!("{page}/confirm"), &[]).await;
    assert_eq!(r.status(), 403);
    let (status, _) = officer.text("/day-activities").await;
    assert_eq!(status, 200);
    // A week outside the years Hearth plans for, or not a date, is not found (no overflow).
    for bad in ["+262143-12-31", "1999-01-04", "2026-13-01", "monday"] {
        let (status, _) = provider
            .text(&format!("/day-activities/{sid}/weeks/{bad}"))
            .await;
        assert_eq!(status, 404, "{bad}");
    }
}

#[tokio::test]
async fn alerts_are_acknowledged_and_access_points_set_with_errors_beside_their_fields() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (sid, client) = day_service(&t).await;
    let db = t.app.db_for_tests();
    let aid = principal(&t, "officer").await.authority_id();
    for sql in [
        format!("INSERT INTO day_lines (authority_id, service_id, client_id, client_group, days, session_type, rate_pence, start_date, route, created_at) VALUES ({aid}, {sid}, {client}, 'mental_health', 'mon', 'full_day', 4000, '2026-01-05', 'framework', 0)"),
        format!("INSERT INTO day_alerts (authority_id, line_id, service_id, client_id, kind, alert_key, details, told, raised_at) SELECT {aid}, id, {sid}, {client}, 'unplanned_long', 'web', 'Jo Quillfeather has been absent for over two weeks.', 'duty@example.gov.uk', 1796119200 FROM day_lines"),
    ] {
        hearth_store::testing::exec(db, &sql).await.unwrap();
    }
    let officer = t.signed_in("officer").await;
    let (status, page) = officer.text("/day-activities/alerts").await;
    assert_eq!(status, 200);
    assert!(page.contains("Jo Quillfeather has been absent") && page.contains("Acknowledge"));
    let id = hearth_store::testing::scalar_i64(db, "SELECT id FROM day_alerts")
        .await
        .unwrap();
    let action = format!("/day-activities/alerts/{id}/acknowledge");
    let r = officer.post_form(&action, &[("outcome", "")]).await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "outcome").contains("Enter what was done"));
    let r = officer
        .post_form(
            &action,
            &[("outcome", "Duty social worker visited: in hospital")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = officer.text(&location(&r)).await;
    assert!(page.contains("Alert acknowledged") && page.contains("in hospital"));
    // The provider sees the alert about its person, and cannot acknowledge it.
    let provider = t.signed_in("provider").await;
    let (_, theirs) = provider.text("/day-activities/alerts").await;
    assert!(
        theirs.contains("Jo Quillfeather has been absent") && !theirs.contains("What was done")
    );
    // The team's note of what it did, and who was told, are the team's.
    assert!(
        !theirs.contains("in hospital") && !theirs.contains("duty@example.gov.uk"),
        "{theirs}"
    );

    // Access points: a bad address is told beside the field.
    let r = officer
        .post_form(
            "/day-activities/access-points",
            &[
                ("client_group", "mental_health"),
                ("name", "Mental health duty team"),
                ("emails", "duty@example.gov.uk, not an address"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "emails").contains("not an e-mail address"));
    let r = officer
        .post_form(
            "/day-activities/access-points",
            &[
                ("client_group", "mental_health"),
                ("name", "Mental health duty team"),
                ("emails", "duty.one@example.gov.uk, duty.two@example.gov.uk"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = officer.text("/day-activities/access-points").await;
    assert!(page.contains("duty.one@example.gov.uk, duty.two@example.gov.uk"));
}

#[tokio::test]
async fn an_administrator_changes_the_day_activities_settings_on_their_page() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = t.signed_in("admin").await;
    let (status, page) = admin.text("/admin/settings").await;
    assert_eq!(status, 200);
    assert!(page.contains("/day-activities/settings"));
    let (status, form) = admin.text("/day-activities/settings").await;
    assert_eq!(status, 200);
    assert!(form.contains("When a week must be confirmed"));
    let fields = |n: &'static str| {
        [
            ("deadline_day", "tue"),
            ("deadline_time", "16:30"),
            ("absence_pay", "none"),
            ("pattern_n", n),
            ("pattern_m", "4"),
        ]
    };
    let r = admin
        .post_form("/day-activities/settings", &fields("9"))
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "pattern_n").contains("from 1 to"));
    let r = admin
        .post_form("/day-activities/settings", &fields("3"))
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = admin.text(&location(&r)).await;
    assert!(
        page.contains("1 setting was changed") && page.contains("16:30"),
        "{page}"
    );
}

/// A missing service line reported on its page with the correspondence (too soon and without
/// a file told beside the fields), found by the team in its queue, the file downloaded, and
/// the request referred and declined, each refusal beside its field.
#[tokio::test]
async fn a_missing_service_line_is_reported_with_its_file_and_the_team_decides_it() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (sid, _) = day_service(&t).await;
    let provider = t.signed_in("provider").await;
    let new = format!("/day-activities/{sid}/requests/new");
    let (status, choose) = provider.text(&new).await;
    assert_eq!(status, 200);
    assert!(
        choose.contains("What are you asking for?") && choose.contains("A missing service line")
    );
    let form_path = format!("{new}?kind=missing_line");
    let (_, form) = provider.text(&form_path).await;
    assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("type=\"file\""));
    let today = t.app.today();
    let soon = today - chrono::Duration::days(10);
    let long_ago = today - chrono::Duration::days(40);
    let parts = |agreed: chrono::NaiveDate| -> Vec<(String, Option<String>, Vec<u8>)> {
        use chrono::Datelike;
        vec![
            ("kind".into(), None, b"missing_line".to_vec()),
            ("person_name".into(), None, b"Jo Parr".to_vec()),
            ("days".into(), None, b"tue".to_vec()),
            ("days".into(), None, b"thu".to_vec()),
            ("session_type".into(), None, b"full_day".to_vec()),
            (
                "agreed_start-day".into(),
                None,
                agreed.day().to_string().into_bytes(),
            ),
            (
                "agreed_start-month".into(),
                None,
                agreed.month().to_string().into_bytes(),
            ),
            (
                "agreed_start-year".into(),
                None,
                agreed.year().to_string().into_bytes(),
            ),
            ("social_worker_name".into(), None, b"Ben Worker".to_vec()),
            (
                "social_worker_email".into(),
                None,
                b"ben.worker@example.gov.uk".to_vec(),
            ),
            ("details".into(), None, b"Agreed at her review".to_vec()),
        ]
    };
    let send = |mut p: Vec<(String, Option<String>, Vec<u8>)>, file: Option<&'static [u8]>| {
        if let Some(f) = file {
            p.push(("file".into(), Some("review.pdf".into()), f.to_vec()));
        }
        p
    };
    let post = |p: Vec<(String, Option<String>, Vec<u8>)>| {
        let provider = &provider;
        let new = new.clone();
        let form_path = form_path.clone();
        async move {
            let refs: Vec<(&str, Option<&str>, &[u8])> = p
                .iter()
                .map(|(n, f, c)| (n.as_str(), f.as_deref(), c.as_slice()))
                .collect();
            provider.post_multipart(&form_path, &new, &refs).await
        }
    };
    // Too soon, and no file: both told beside their fields.
    let r = post(send(parts(soon), None)).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        field_error(&body, "agreed_start").contains("four weeks"),
        "{}",
        error_summary(&body)
    );
    assert!(field_error(&body, "file").contains("correspondence"));
    assert!(body.contains("value=\"Jo Parr\""), "what was typed is kept");
    let r = post(send(parts(long_ago), Some(b"%PDF-1.7\nreview notes"))).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let (_, sent) = provider.text(&location(&r)).await;
    assert!(sent.contains("Request sent") && sent.contains("support.options@example.gov.uk"));
    let (_, home) = provider.text("/day-activities").await;
    assert!(home.contains("/day-activities/requests") && home.contains("(1 open)"));

    // The team finds it in its queue, downloads the correspondence and decides it.
    let officer = t.signed_in("officer").await;
    let (_, queue) = officer.text("/day-activities/requests").await;
    assert!(queue.contains("Jo Parr") && queue.contains("A missing service line"));
    let id =
        hearth_store::testing::scalar_i64(t.app.db_for_tests(), "SELECT MAX(id) FROM day_requests")
            .await
            .unwrap();
    let page = format!("/day-activities/requests/{id}");
    let (_, shown) = officer.text(&page).await;
    assert!(shown.contains(&format!("{page}/file")) && shown.contains("Refer the request"));
    let file = officer.get(&format!("{page}/file")).await;
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "application/pdf");
    assert!(file.bytes().await.unwrap().starts_with(b"%PDF-"));
    let r = officer
        .post_form(
            &format!("{page}/refer"),
            &[("referred_to", "nobody"), ("message", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "referred_to").contains("e-mail address"));
    let r = officer
        .post_form(
            &format!("{page}/decide"),
            &[("decision", "decline"), ("note", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "note").contains("why"));
    let r = officer
        .post_form(
            &format!("{page}/decide"),
            &[
                ("decision", "decline"),
                ("note", "Ben Worker: the line was withdrawn at review"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, decided) = officer.text(&location(&r)).await;
    assert!(decided.contains("Request declined") && decided.contains("withdrawn at review"));
    assert!(
        !decided.contains("Record the decision"),
        "no form once decided"
    );
    // The provider reads the outcome.
    let (_, theirs) = provider.text(&page).await;
    assert!(theirs.contains("Declined") && theirs.contains("withdrawn at review"));
}
