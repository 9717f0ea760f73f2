//! The authorisation matrix (security review, "beyond the list"): every route, called as every
//! role, with the answer each must get written in one table. A route added without a row here
//! fails this test, and so does a row whose answers change.
//!
//! Record routes are called with the ids of records of Larkspur Housing Trust (the `provider`
//! account's organisation), so the `limited` account (Brightwater Support Services) is always
//! "another organisation": it must be told such records do not exist.
//!
//! Answers: `o` the role gets the page (GET: 200; a write: the route is not refused, it is not
//! called so as to change nothing), `f` 403 "you cannot do this", `n` 404 "not found", `r` a
//! redirect (303), `b` 400 (a body of the wrong kind is refused before anything is looked
//! up, so nothing of the record is told). POST rows are checked for every role that must be refused, with that
//! role's own CSRF token, and nothing is changed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use std::collections::HashMap;

const ROLES: [&str; 8] = [
    "admin",
    "officer",
    "contracts",
    "finance",
    "board",
    "provider",
    "limited",
    "host",
];

include!("authz_matrix/table.rs");

/// An upload of import files, made for the test in the demo authority.
const MATRIX_BATCH: &str = "matrixbatch0";

/// Ids of Larkspur's records (and a few made for the test), by the route's first segments.
async fn record_ids(t: &TestApp) -> HashMap<&'static str, i64> {
    let provider = principal(t, "provider").await;
    let officer = principal(t, "officer").await;
    let pid = provider_id(&provider);
    let mut f = provider.service_filter();
    f.per_page = 100;
    let service = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let property = t
        .app
        .db_for_tests()
        .list_properties(&f)
        .await
        .unwrap()
        .items[0]
        .clone();
    let mut cf = provider.contract_filter();
    cf.per_page = 100;
    let contract = t
        .app
        .db_for_tests()
        .list_contracts(&cf)
        .await
        .unwrap()
        .items[0]
        .clone();
    let contacts = t.app.db_for_tests().provider_contacts(pid).await.unwrap();
    let contact = contacts[0].clone();
    let schedule = t
        .app
        .db_for_tests()
        .service_schedules(
            service.id,
            &t.app.today().to_string(),
            true,
            Default::default(),
            1,
            10,
        )
        .await
        .unwrap()
        .items[0]
        .clone();
    let action = t
        .app
        .create_action(
            &officer,
            pid,
            &hearth_app::actions::ActionInput {
                title: "Send the fire risk assessment".into(),
                due_date: "2030-01-01".into(),
                priority: "high".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let document = t
        .app
        .add_document(&officer, contract.id, "Variation letter", None)
        .await
        .unwrap();
    let request = t
        .app
        .request_contact_add(
            &provider,
            &hearth_app::contacts::ContactInput {
                first_name: "Matrix".into(),
                last_name: "Tester".into(),
                position_type: "support_worker".into(),
                email: "m@example.org".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let q = hearth_domain::performance::Quarter::for_date(t.app.today()).previous();
    let ret = t
        .app
        .submit_return(&provider, service.id, &small_return_form(q))
        .await
        .unwrap();
    let account_request = t
        .app
        .request_account_help(
            hearth_domain::AccountHelpKind::LoginRequest,
            hearth_app::accounts::HelpRequest {
                authority_id: Some(officer.authority_id()),
                username: String::new(),
                full_name: "New Person".into(),
                email: "n@example.org".into(),
                organisation: "Larkspur".into(),
                message: String::new(),
            },
            "192.0.2.9",
        )
        .await
        .unwrap();
    let officer_user = t
        .app
        .db_for_tests()
        .user_by_username("officer")
        .await
        .unwrap()
        .unwrap();
    // A run of the authority's (its administrator's return reminders).
    let run = t
        .app
        .start_run(
            &principal(t, "admin").await,
            hearth_app::runs::RunKind::ReturnReminders,
            serde_json::json!({}),
        )
        .await
        .unwrap();
    // A paid run with Larkspur's lines, and a hold placed after it.
    let finance = principal(t, "finance").await;
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) SELECT id, '2000-01-01', 'in_receipt', 'test', 0 FROM clients",
    )
    .await
    .unwrap();
    // The authority invoices clients for their charges, and one of Larkspur's long-term
    // clients is charged £10 a week: its invoice is made when the run is paid.
    let invoiced = hearth_store::testing::scalar_i64(
        t.app.db_for_tests(),
        &format!(
            "SELECT MIN(cs.client_id) FROM client_schedules cs JOIN services s ON s.id = cs.service_id
             WHERE s.provider_id = {pid} AND s.term = 'long' AND cs.end_date IS NULL"
        ),
    )
    .await
    .unwrap();
    for sql in [
        format!("INSERT INTO settings (name, value) VALUES ('payments_provider_collects:{}', 'false')", finance.authority_id()),
        format!("INSERT INTO client_benefits (client_id, from_date, status, created_by_name, created_at) VALUES ({invoiced}, '2026-01-01', 'not_in_receipt', 'test', 0)"),
        format!("INSERT INTO client_charges (client_id, from_date, kind, weekly_charge_pence, created_by_name, created_at) VALUES ({invoiced}, '2026-01-01', 'amount', 1000, 'test', 0)"),
    ] {
        hearth_store::testing::exec(t.app.db_for_tests(), &sql)
            .await
            .unwrap();
    }
    let pay = t
        .app
        .prepare_payment_run(
            &finance,
            chrono::NaiveDate::from_ymd_opt(2026, 10, 19).unwrap(),
        )
        .await
        .unwrap();
    let job = t
        .app
        .claim_run_id(pay.job_run_id.unwrap(), "matrix", 60)
        .await
        .unwrap()
        .unwrap();
    let done = t
        .app
        .run_payment_prepare(&job.run, &job.progress)
        .await
        .unwrap();
    job.progress.finish(&done).await.unwrap();
    t.app
        .approve_payment_run(&principal(t, "payments").await, pay.id)
        .await
        .unwrap();
    t.app.commit_payment_run(&finance, pay.id).await.unwrap();
    let hold = t
        .app
        .place_hold(
            &finance,
            &hearth_app::payments::HoldInput {
                provider_id: pid.to_string(),
                service_id: String::new(),
                reason: "Matrix".into(),
            },
        )
        .await
        .unwrap();
    // A rate change of the contract, whose letter the provider reads.
    let start = chrono::NaiveDate::parse_from_str(&contract.start_date, "%Y-%m-%d").unwrap();
    t.app
        .add_contract_rate(
            &finance,
            contract.id,
            &hearth_app::payments::RateInput {
                from_date: (start + chrono::Duration::days(30)).to_string(),
                rate: "30.00".into(),
                reason: "Matrix".into(),
            },
        )
        .await
        .unwrap();
    let rate = t
        .app
        .contract_rate_changes(&finance, contract.id)
        .await
        .unwrap()[0]
        .rate
        .id;
    // A day service of the provider, a person's service line there and an attendance alert
    // about them (whose letter the provider reads).
    let db = t.app.db_for_tests();
    for sql in [
        format!("INSERT INTO services (authority_id, provider_id, reference, name, service_type, term, client_group, contracted_units, created_at, updated_at) VALUES ({}, {pid}, 'DAY/MATRIX', 'Matrix Day Centre', 'day_activities', 'long', 'learning_disabilities', 10, 0, 0)", officer.authority_id()),
        format!("INSERT INTO day_lines (authority_id, service_id, client_id, client_group, days, session_type, rate_pence, start_date, route, created_at) SELECT {}, id, {}, 'learning_disabilities', 'mon', 'full_day', 4000, '2026-01-05', 'framework', 0 FROM services WHERE reference = 'DAY/MATRIX'", officer.authority_id(), schedule.client_id),
        format!("INSERT INTO day_alerts (authority_id, line_id, service_id, client_id, kind, alert_key, details, told, raised_at) SELECT {}, l.id, l.service_id, l.client_id, 'low_attendance', 'matrix', 'Matrix', '', 0 FROM day_lines l", officer.authority_id()),
        format!("INSERT INTO day_requests (authority_id, service_id, kind, details, person_name, filename, content_type, content, size_bytes, status, raised_by_name, raised_at) SELECT {}, id, 'missing_line', 'Matrix', 'Jo Parr', 'notes.pdf', 'application/pdf', X'255044462D', 5, 'raised', 'Matrix', 0 FROM services WHERE reference = 'DAY/MATRIX'", officer.authority_id()),
    ] {
        hearth_store::testing::exec(db, &sql).await.unwrap();
    }
    let day_service = hearth_store::testing::scalar_i64(
        db,
        "SELECT id FROM services WHERE reference = 'DAY/MATRIX'",
    )
    .await
    .unwrap();
    let alert = hearth_store::testing::scalar_i64(
        db,
        "SELECT id FROM day_alerts WHERE alert_key = 'matrix'",
    )
    .await
    .unwrap();
    let day_request = hearth_store::testing::scalar_i64(
        db,
        "SELECT id FROM day_requests WHERE details = 'Matrix'",
    )
    .await
    .unwrap();
    HashMap::from([
        ("day-activities", day_service),
        ("alerts", alert),
        ("day-requests", day_request),
        ("rates", rate),
        ("invoiced", invoiced),
        ("payments", pay.id),
        ("holds", hold.id),
        ("clients", schedule.client_id),
        ("providers", pid),
        ("runs", run.id),
        ("services", service.id),
        ("properties", property.id),
        ("contracts", contract.id),
        ("contacts", contact.id),
        ("schedules", schedule.id),
        ("actions", action.id),
        ("documents", document.id),
        ("requests", request.id),
        ("returns", ret.id),
        ("account-requests", account_request.id),
        ("users", officer_user.id),
        ("api-tokens", 999_999),
        ("authorities", {
            // The upload the import routes are called with.
            hearth_store::testing::exec(
                t.app.db_for_tests(),
                &format!(
                    "INSERT INTO import_files (authority_id, batch, name, sha256, content, size_bytes, uploaded_by, created_at) \
                     VALUES ({}, '{MATRIX_BATCH}', 'providers.csv', 'x', X'7265666572656E63652C6E616D650A', 15, 'admin', 0)",
                    officer.authority_id()
                ),
            )
            .await
            .unwrap();
            officer.authority_id()
        }),
    ])
}

/// The route's path with its parameters filled in from `ids`.
fn concrete(path: &str, ids: &HashMap<&'static str, i64>) -> Option<String> {
    let mut out = Vec::new();
    let mut previous = "";
    for seg in path.split('/') {
        let filled = match seg {
            // A day activities request, not an approval request.
            "{id}" if previous == "requests" && path.starts_with("/day-activities/") => ids
                .get("day-requests")
                .copied()
                .unwrap_or(999_999)
                .to_string(),
            "{id}" => ids.get(previous).copied().unwrap_or(999_999).to_string(),
            "{aid}" => "999999".to_string(),
            "{provider}" => ids.get("providers").copied().unwrap_or(999_999).to_string(),
            "{action}" => "unlock".to_string(),
            "{report}" => "payment_items".to_string(),
            "{rate}" => ids.get("rates").copied().unwrap_or(999_999).to_string(),
            "{client}" => ids.get("invoiced").copied().unwrap_or(999_999).to_string(),
            // A client's benefit status or assessment: refused before it is looked for.
            "{entry}" => ids.get(previous).copied().unwrap_or(999_999).to_string(),
            "{week}" => "2026-11-02".to_string(),
            "{file}" => "providers.csv".to_string(),
            "{batch}" => MATRIX_BATCH.to_string(),
            s if s.starts_with("{*") => return None,
            s => s.to_string(),
        };
        if !seg.starts_with('{') {
            previous = seg;
        }
        out.push(filled);
    }
    Some(out.join("/"))
}

/// Whether a POST is sent as `role`: always when the table says it is refused; when probing,
/// for every role the route's permission refuses, for the read-only board and the provider
/// users on routes every signed-in user reaches, and for the other organisation on record
/// routes. Signing out and a user's own account settings are never sent.
fn should_send(
    path: &str,
    permission: hearth_app::Permission,
    role: &str,
    expected: Option<char>,
    probing: bool,
) -> bool {
    if path.starts_with("/logout")
        || path.starts_with("/account/")
        || path.starts_with("/switch-authority")
    {
        return false;
    }
    if !probing {
        return matches!(expected, Some('f' | 'n' | 'b'));
    }
    use hearth_app::Permission::*;
    let staff = !matches!(role, "provider" | "limited" | "host");
    let permitted = match permission {
        // The host reaches only its account among these (the rest list authorities' records).
        SignedIn => !matches!(role, "board" | "provider" | "limited" | "host"),
        Host => role == "host",
        ProviderPortal => !staff,
        BackOfficeRead => staff,
        BackOfficeWrite => staff && role != "board",
        Administer => role == "admin",
        Finance => role == "finance",
        // Only the command line's system principal holds it.
        Maintain => false,
    };
    !permitted || (role == "limited" && path.contains('{'))
}

fn answer(status: u16) -> char {
    match status {
        200 => 'o',
        403 => 'f',
        404 => 'n',
        303 => 'r',
        400 => 'b',
        _ => '?',
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_table_says() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let (_router, entries) = hearth_web::build(
        t.app.clone(),
        hearth_web::WebConfig {
            secure_cookies: false,
            ..Default::default()
        },
    );
    let table: HashMap<(&str, &str), &str> =
        MATRIX.iter().map(|(m, p, a)| ((*m, *p), *a)).collect();
    assert_eq!(table.len(), MATRIX.len(), "a route is in the table twice");
    let signed: Vec<_> = entries
        .iter()
        .filter(|e| matches!(e.access, hearth_web::Access::Signed(_)))
        .collect();
    let missing: Vec<String> = signed
        .iter()
        .filter(|e| !table.contains_key(&(e.method, e.path)))
        .map(|e| format!("(\"{}\", \"{}\", \"???????\"),", e.method, e.path))
        .collect();
    let ids = record_ids(&t).await;
    let probing = std::env::var("HEARTH_MATRIX_PROBE").is_ok();
    let mut observed = Vec::new();
    let mut wrong = Vec::new();
    for role in ROLES {
        let c = t.signed_in(role).await;
        // The host's home sends them to their authorities.
        let (_, home) = c.text(if role == "host" { "/host" } else { "/home" }).await;
        let csrf = extract_csrf(&home).unwrap();
        for (i, e) in signed.iter().enumerate() {
            let Some(path) = concrete(e.path, &ids) else {
                continue;
            };
            let expected = table.get(&(e.method, e.path)).map(|a| {
                a.chars()
                    .nth(ROLES.iter().position(|r| *r == role).unwrap())
                    .unwrap()
            });
            let hearth_web::Access::Signed(permission) = e.access else {
                unreachable!()
            };
            let got = if e.method == "GET" {
                let r = c.get(&path).await;
                answer(r.status().as_u16())
            } else if should_send(e.path, permission, role, expected, probing) {
                let r = c
                    .http
                    .request(
                        reqwest::Method::from_bytes(e.method.as_bytes()).unwrap(),
                        t.url(&path),
                    )
                    .header("x-csrf-token", &csrf)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("remarks=matrix&decision=reject")
                    .send()
                    .await
                    .unwrap();
                answer(r.status().as_u16())
            } else {
                // Allowed writes are not sent: the table's word is taken, and nothing changes.
                expected.unwrap_or('o')
            };
            if observed.len() <= i {
                observed.resize(signed.len(), String::new());
            }
            observed[i].push(got);
            if let Some(want) = expected {
                if want != got && !(e.method == "GET" && want == 'o' && got == 'r') {
                    wrong.push(format!(
                        "{role} {} {}: the table says {want}, got {got}",
                        e.method, e.path
                    ));
                }
            }
        }
    }
    if std::env::var("HEARTH_MATRIX_PROBE").is_ok() {
        let rows: Vec<String> = signed
            .iter()
            .zip(&observed)
            .map(|(e, o)| format!("    (\"{}\", \"{}\", \"{o}\"),", e.method, e.path))
            .collect();
        std::fs::write("/tmp/matrix-observed.txt", rows.join("\n")).unwrap();
    }
    assert!(
        missing.is_empty(),
        "routes with no row in the authorisation matrix:\n{}",
        missing.join("\n")
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // No role ever gets a server error, and every other organisation's record is hidden.
    for (e, o) in signed.iter().zip(&observed) {
        assert!(
            !o.contains('?'),
            "{} {} answered something unexpected: {o}",
            e.method,
            e.path
        );
    }
}
