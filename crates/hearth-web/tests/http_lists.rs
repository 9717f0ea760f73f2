//! Staff lists (issue 10, journey 6: sorting, filters a long list needs, CSV and XLSX export)
//! and responsible officers (core records: the officers on the provider's and the service's
//! pages, "my providers" on the officer's home, the officer filter).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

/// The link texts of a list table's first column, in order.
fn first_column(page: &str) -> Vec<String> {
    let body = &page[page.find("<tbody").unwrap()..];
    let body = &body[..body.find("</tbody>").unwrap()];
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let cell = &row[row.find("<td").unwrap()..];
            let a = &cell[cell.find("<a").unwrap()..];
            let text = &a[a.find('>').unwrap() + 1..a.find("</a>").unwrap()];
            text.replace("&amp;", "&")
        })
        .collect()
}

/// The number at the top of a list ("12 providers").
fn count(page: &str) -> i64 {
    let at = page.find("<p class=\"govuk-body\">").unwrap();
    page[at + "<p class=\"govuk-body\">".len()..]
        .split(' ')
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap_or(0)
}

#[tokio::test]
async fn column_headers_sort_the_list_both_ways() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, page) = officer.text("/providers").await;
    assert!(
        page.contains("aria-sort=\"ascending\""),
        "sorted by name by default"
    );
    let names = first_column(&page);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(
        page.contains("href=\"/providers?sort=-name\""),
        "the name header sorts descending next"
    );

    let (_, page) = officer.text("/providers?sort=-name").await;
    assert!(page.contains("aria-sort=\"descending\""));
    let desc = first_column(&page);
    assert!(desc.first() >= desc.last(), "{desc:?}");
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");

    // Contracts by end date, latest first; the pagination keeps the order.
    let (_, page) = officer.text("/contracts?sort=-ends").await;
    assert!(page.contains("aria-sort=\"descending\""));
    if page.contains("govuk-pagination") {
        assert!(page.contains("sort=-ends&amp;page=2") || page.contains("sort=-ends&page=2"));
    }
    // An unknown order is the default one, not an error.
    let (status, _) = officer.text("/services?sort=password_hash").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn my_providers_on_the_home_page_is_the_officer_filter() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, home) = officer.text("/home").await;
    let card = &home[..home.find(">My providers</a>").expect("a My providers card")];
    let n: i64 = card[card.rfind("hearth-count\">").unwrap() + "hearth-count\">".len()..]
        .split('<')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(home.contains("href=\"/providers?officer=me\""));
    let (_, mine) = officer.text("/providers?officer=me").await;
    assert_eq!(count(&mine), n);
    let (_, all) = officer.text("/providers").await;
    assert!(n > 0 && n < count(&all), "{n} of {}", count(&all));
    assert!(mine.contains("<option value=\"me\" selected>Me</option>"));
}

#[tokio::test]
async fn exports_hold_the_whole_filtered_list() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, page) = officer.text("/services?officer=me").await;
    let n = count(&page);
    assert!(page.contains("href=\"/services.csv?officer=me\""));
    let r = officer.get("/services.csv?officer=me").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert!(lines[0].contains("Reference,Service,Provider"));
    assert_eq!(
        lines.len() as i64 - 1,
        n,
        "one row per listed service, every page of it"
    );

    let r = officer.get("/contracts.xlsx?status=active").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // A provider's export holds only its own services.
    let provider = t.signed_in("provider").await;
    let p = principal(&t, "provider").await;
    let own = t.app.list_services(&p, &Default::default()).await.unwrap();
    let csv = provider.get("/services.csv").await.text().await.unwrap();
    assert_eq!(csv.trim_end().split("\r\n").count() as i64 - 1, own.total);
    for s in &own.items {
        assert!(csv.contains(&s.reference));
    }
    let everyone = t
        .app
        .list_services(&principal(&t, "officer").await, &Default::default())
        .await
        .unwrap();
    let theirs = everyone
        .items
        .iter()
        .find(|s| s.provider_id != provider_id(&p))
        .unwrap();
    assert!(!csv.contains(&format!("{},", theirs.reference)));
    // ... and providers may not export the provider list at all.
    assert_eq!(provider.get("/providers.csv").await.status(), 404);
}

#[tokio::test]
async fn officers_are_shown_and_changed_and_a_stranger_is_refused_beside_the_field() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let p = principal(&t, "provider").await;
    let pid = provider_id(&p);
    let (_, page) = officer.text(&format!("/providers/{pid}")).await;
    assert!(page.contains("Responsible officers"));
    assert!(
        page.contains("Cara Contracts"),
        "the demo's contract manager"
    );
    assert!(page.contains(&format!("href=\"/providers/{pid}/officers\"")));

    // Someone who may not be named: the provider's own user.
    let stranger = p.user_id().unwrap().to_string();
    let form = format!("/providers/{pid}/officers");
    let r = officer
        .post_form(
            &form,
            &[("lead_officer", &stranger), ("contract_manager", "")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(field_error(&body, "lead_officer").contains("Select an officer"));
    let (_, page) = officer.text(&format!("/providers/{pid}")).await;
    assert!(page.contains("Cara Contracts"), "nothing changed");

    let olu = principal(&t, "officer")
        .await
        .user_id()
        .unwrap()
        .to_string();
    let r = officer
        .post_form(&form, &[("lead_officer", &olu), ("contract_manager", "")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = officer.text(&format!("/providers/{pid}")).await;
    let section = &page[page.find("Responsible officers").unwrap()..];
    let section = &section[..section.find("</dl>").unwrap()];
    assert!(section.contains("Olu Officer"));
    assert!(
        section.contains("Not named"),
        "the contract manager was cleared"
    );

    // The provider sees its officers but cannot change them.
    let provider = t.signed_in("provider").await;
    let (_, page) = provider.text("/organisation").await;
    assert!(page.contains("Olu Officer"));
    assert!(!page.contains("Change responsible officers"));
    let r = provider
        .post_form(&form, &[("lead_officer", &olu), ("contract_manager", "")])
        .await;
    assert_eq!(r.status(), 404);

    // A service shows its provider's officers as the provider's.
    let services = t.app.list_services(&p, &Default::default()).await.unwrap();
    let s = services
        .items
        .iter()
        .find(|s| s.lead_officer_id.is_none())
        .unwrap();
    let (_, page) = officer.text(&format!("/services/{}", s.id)).await;
    let section = &page[page.find("Responsible officers").unwrap()..];
    assert!(section.contains("Olu Officer") && section.contains("The provider's"));
}
