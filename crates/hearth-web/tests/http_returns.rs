//! Performance returns over HTTP: the web form, the queue, the decision, the tracker and its
//! board report, triggers, analysis and exports; and what another organisation cannot reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use hearth_domain::performance::Quarter;

#[tokio::test]
async fn a_return_goes_from_the_web_form_through_checking_to_the_reports() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let p = principal(&t, "provider").await;
    let mut f = p.service_filter();
    f.per_page = 100;
    let s = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let q = Quarter::for_date(t.app.today()).previous();
    let days = i64::from(q.days());
    let occupied = (s.contracted_units * days * 95 / 100).to_string();

    // The workbook downloads as a real .xlsx.
    let wb = provider
        .get(&format!(
            "/services/{}/returns/workbook?year={}",
            s.id,
            q.year().start_year
        ))
        .await;
    assert_eq!(wb.status(), 200);
    assert!(wb
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("spreadsheetml"));
    assert!(wb.bytes().await.unwrap().starts_with(b"PK"));

    // Bad input: 422 with messages beside the fields, nothing saved.
    let path = format!(
        "/services/{}/returns/new?quarter={}",
        s.id,
        q.label().replace(' ', "%20").replace('/', "%2F")
    );
    let r = provider
        .post_form(
            &format!("/services/{}/returns/new", s.id),
            &[("quarter", &q.label()), ("departures", "x")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(
        !field_error(&body, "departures").is_empty()
            && !field_error(&body, "service_users_supported").is_empty()
    );
    let _ = path;
    // A return with staffing at 50%: below its trigger.
    let fields = [
        ("quarter", q.label()),
        ("service_users_supported", "20".into()),
        ("maintained_independent_living", "19".into()),
        ("new_service_users", "2".into()),
        ("departures", "2".into()),
        ("planned_departures", "2".into()),
        ("unavailable_unit_days", "0".into()),
        ("occupied_unit_days", occupied),
        ("support_hours_contracted", "100".into()),
        ("support_hours_delivered", "50".into()),
    ];
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = provider
        .post_form(&format!("/services/{}/returns/new", s.id), &pairs)
        .await;
    assert_eq!(r.status(), 303);
    let at = location(&r);
    let (_, page) = provider.text(&at).await;
    assert!(page.contains("Below trigger of"), "the text marker");
    let held = t
        .app
        .db_for_tests()
        .count_schedules_between(s.id, &q.start().to_string(), &q.end().to_string())
        .await
        .unwrap();
    if held != 20 {
        assert!(
            page.contains(&format!("value in the return 20, value held {held}")),
            "the authority's figure beside the return's"
        );
    }
    let id: i64 = at
        .trim_start_matches("/returns/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // Another organisation cannot see it or its service's returns.
    let limited = t.signed_in("limited").await;
    assert_eq!(limited.get(&format!("/returns/{id}")).await.status(), 404);
    assert_eq!(
        limited
            .get(&format!("/services/{}/returns", s.id))
            .await
            .status(),
        404
    );
    assert_eq!(
        limited
            .get(&format!("/services/{}/returns/workbook", s.id))
            .await
            .status(),
        404
    );
    // The queue is the team's: at the same address a provider gets its own overview.
    let (status, own) = provider.text("/returns").await;
    assert_eq!(status, 200);
    assert!(own.contains("Your returns") && !own.contains("Returns to check"));

    // The officer: queue, refused acceptance without an explanation, then an explanation request.
    let officer = t.signed_in("officer").await;
    let (status, queue) = officer.text("/returns").await;
    assert_eq!(status, 200);
    assert!(queue.contains("below trigger"));
    let r = officer
        .post_form(
            &format!("/returns/{id}/check"),
            &[("decision", "accept"), ("remarks", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("cannot be accepted until the provider"));
    assert_eq!(
        officer
            .post_form(
                &format!("/returns/{id}/check"),
                &[("decision", "explain"), ("remarks", "Why?")]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        provider
            .post_form(
                &format!("/returns/{id}/explain"),
                &[("explanation", "Staff off sick")]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        officer
            .post_form(
                &format!("/returns/{id}/check"),
                &[("decision", "accept"), ("remarks", "")]
            )
            .await
            .status(),
        303
    );
    let (_, page) = officer.text(&format!("/returns/{id}")).await;
    assert!(page.contains("Accepted") && page.contains("officer"));

    // Reports.
    let (status, tracker) = officer.text("/returns/tracker").await;
    assert_eq!(status, 200);
    assert!(tracker.contains("received"));
    let pdf = officer.get("/returns/tracker.pdf").await;
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    let csv = officer
        .get("/returns/tracker.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv
        .trim_start_matches('\u{feff}')
        .starts_with("quarter,provider,service,due,received,state"));
    let (status, analysis) = officer.text("/returns/analysis?by=provider").await;
    assert_eq!(status, 200);
    assert!(
        analysis.contains("SPI") || analysis.contains("KPI"),
        "the accepted return is analysed"
    );
    let xlsx = officer.get("/returns/analysis.xlsx").await;
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    assert!(officer
        .get("/returns/analysis.csv")
        .await
        .text()
        .await
        .unwrap()
        .trim_start_matches('\u{feff}')
        .starts_with("group,indicator"));
    let (status, chart) = provider.text(&format!("/services/{}/analysis", s.id)).await;
    assert_eq!(status, 200);
    assert!(chart.contains("<svg"), "a chart");
    let (status, _) = officer.text("/returns/triggers").await;
    assert_eq!(status, 200);
    let board = t.signed_in("board").await;
    assert_eq!(
        board
            .post_form(
                "/returns/triggers",
                &[
                    ("year", &q.year().label()),
                    ("indicator", "staffing"),
                    ("value", "95")
                ]
            )
            .await
            .status(),
        403
    );

    // Security review finding 6: names that begin with = + - @ came out of the CSV exports as
    // live formulas. Every export writes them as text, with a byte order mark for Excel.
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        &format!("UPDATE providers SET name = '=HYPERLINK(\"http://evil.example\",\"Pay\")' WHERE id = {}", s.provider_id),
    )
    .await
    .unwrap();
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        &format!(
            "UPDATE services SET name = '@SUM(1+1)', public_name = '+Tŷ' WHERE id = {}",
            s.id
        ),
    )
    .await
    .unwrap();
    for path in [
        "/returns/tracker.csv",
        "/returns/analysis.csv?by=provider",
        "/returns/analysis.csv?by=service",
    ] {
        let r = officer.get(path).await;
        assert!(
            r.headers()
                .get("content-disposition")
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("attachment; filename=\""),
            "{path}"
        );
        let bytes = r.bytes().await.unwrap();
        assert!(
            bytes.starts_with(b"\xEF\xBB\xBF"),
            "{path}: a byte order mark"
        );
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let cells: Vec<String> = csv::Reader::from_reader(text.as_bytes())
            .records()
            .flat_map(|r| r.unwrap().iter().map(String::from).collect::<Vec<_>>())
            .collect();
        assert!(!cells.is_empty(), "{path}");
        for c in &cells {
            assert!(
                !c.starts_with(['=', '+', '@']),
                "{path}: a live formula {c:?}"
            );
        }
        assert!(
            cells
                .iter()
                .any(|c| c.starts_with("'=HYPERLINK") || c.starts_with("'@SUM")),
            "{path}: the names are there, as text"
        );
    }
}

// Security review finding 7: a service reference holding `"` turned the workbook download
// into a second file name; one with a line break broke it (500). References are checked where
// they are entered, and every download's Content-Disposition is built by one function.
#[tokio::test]
async fn hostile_references_cannot_inject_a_download_file_name() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let p = principal(&t, "provider").await;
    let s = t
        .app
        .db_for_tests()
        .list_services(&p.service_filter())
        .await
        .unwrap()
        .items[0]
        .clone();
    // Entering one is refused beside the field.
    let (_, form) = officer.text(&format!("/services/{}/edit", s.id)).await;
    assert!(form.contains("name=\"reference\""));
    let r = officer
        .post_form(
            &format!("/services/{}/edit", s.id),
            &[
                ("reference", "BRK\";filename*=UTF-8''evil.html"),
                ("name", &s.name),
                ("provider_id", &s.provider_id.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(field_error(&r.text().await.unwrap(), "reference").contains("only letters, numbers"));
    // One already held (from before the check) cannot break the header either.
    let provider = t.signed_in("provider").await;
    for hostile in ["BRK\";filename*=UTF-8''evil.html", "BRK\r\nX-Evil: 1"] {
        hearth_store::testing::exec(
            t.app.db_for_tests(),
            &format!(
                "UPDATE services SET reference = '{}' WHERE id = {}",
                hostile.replace('\'', "''"),
                s.id
            ),
        )
        .await
        .unwrap();
        let r = provider
            .get(&format!("/services/{}/returns/workbook", s.id))
            .await;
        assert_eq!(r.status(), 200, "{hostile:?}");
        let cd = r
            .headers()
            .get("content-disposition")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert_eq!(cd.matches("filename=").count(), 1, "{cd}");
        assert_eq!(cd.matches("filename*=").count(), 1, "{cd}");
        assert!(
            !cd.contains("evil.html\"") && !r.headers().contains_key("x-evil"),
            "{cd}"
        );
    }
}

/// The server's resident memory in MiB (the test and the server share the process).
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

// Security review finding 1: a 12 KB workbook with one cell at XFD1048576 aborted the server
// (a grid of rows x columns was built before the cell count was checked), and one at XFD2000
// took 1.2 s and a gigabyte. Each is refused at once, memory does not move, and the server
// answers other requests throughout.
#[tokio::test]
async fn hostile_workbooks_are_refused_at_once_while_the_server_keeps_serving() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let p = principal(&t, "provider").await;
    let s = t
        .app
        .db_for_tests()
        .list_services(&p.service_filter())
        .await
        .unwrap()
        .items[0]
        .clone();
    let page = format!("/services/{}/returns", s.id);
    let csrf = provider.csrf_from(&page).await;
    let q = Quarter::for_date(t.app.today()).previous();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hearth-docs/tests/hostile");
    let before = rss_mib();
    for name in [
        "far-cell-XFD1048576.xlsx",
        "far-cell-XFD2000.xlsx",
        "far-cell-A1048576.xlsx",
        "huge-shared-strings.xlsx",
    ] {
        let file = std::fs::read(dir.join(name)).unwrap();
        let mut body = Vec::new();
        let boundary = "hearthboundary7";
        // The hostile files carry the quarter Q1 sheet.
        for (k, v) in [
            ("quarter", format!("{} Q1", q.year().label())),
            ("comment", String::new()),
        ] {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .into_bytes(),
            );
        }
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n").into_bytes());
        body.extend(file);
        body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
        let other = t.client();
        let health = tokio::spawn(async move {
            for _ in 0..20 {
                assert_eq!(other.get("/healthz").await.status(), 200);
            }
        });
        let started = std::time::Instant::now();
        let r = provider
            .http
            .post(t.url(&format!("/services/{}/returns/upload", s.id)))
            .header("x-csrf-token", &csrf)
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(body)
            .send()
            .await
            .unwrap();
        let took = started.elapsed();
        let text = r.text().await.unwrap();
        assert!(
            text.contains("far outside") || text.contains("pieces of text"),
            "{name} is refused with its reason"
        );
        assert!(
            took < std::time::Duration::from_secs(1),
            "{name} took {took:?}"
        );
        health.await.unwrap();
    }
    let after = rss_mib();
    assert!(
        after < before + 100,
        "memory moved from {before} MiB to {after} MiB"
    );
    assert_eq!(provider.get(&page).await.status(), 200, "still serving");
}
