//! Findings of the usability review (issue 10, "Journeys that go wrong" 2, 3 and 9, and "GOV.UK
//! patterns"), each as the page shows it: a return's triggers and names, the return form's
//! error messages, "Error: " titles, the security code field, plurals, the home cards' font and
//! sentence-case tags.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;
use hearth_domain::performance::{Indicator, Quarter};

/// The id of the first service a directory results page links to.
fn first_directory_result(page: &str) -> i64 {
    page.split("/directory/services/")
        .nth(1)
        .and_then(|s| s.split(['"', '?']).next())
        .and_then(|id| id.parse().ok())
        .expect("a directory result")
}

/// The page's `<title>` text.
fn title(body: &str) -> &str {
    let start = body.find("<title>").unwrap() + "<title>".len();
    &body[start..start + body[start..].find("</title>").unwrap()]
}

/// The opening tag of the input named `name`.
fn input_tag<'a>(body: &'a str, name: &str) -> &'a str {
    let at = body
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}"));
    let start = body[..at].rfind("<input").unwrap();
    &body[start..at + body[at..].find('>').unwrap()]
}

/// The (link target, message) pairs of the error summary.
fn summary_links(body: &str) -> Vec<(String, String)> {
    error_summary(body)
        .split("<a href=\"#")
        .skip(1)
        .map(|s| {
            let (field, rest) = s.split_once('"').unwrap();
            let msg = &rest[rest.find('>').unwrap() + 1..rest.find("</a>").unwrap()];
            (field.to_string(), msg.to_string())
        })
        .collect()
}

/// A return sent for the last quarter for the provider's first service, with staffing at 50%
/// (below its trigger) and utilisation at 95% (meets it); its page's address.
async fn sent_return(t: &TestApp, provider: &Client) -> String {
    let p = principal(t, "provider").await;
    let mut f = p.service_filter();
    f.per_page = 100;
    let s = t.app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let q = Quarter::for_date(t.app.today()).previous();
    let occupied = (s.contracted_units * i64::from(q.days()) * 95 / 100).to_string();
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
    location(&r)
}

// Finding 2 of "Journeys that go wrong": the Trigger column was blank for every figure that
// met its trigger, a breach said "Below trigger of 90.0%" twice, and names were doubled
// ("KPI 2 KPI 2: ...", "SPI 2 SPI 2: utilisation").
#[tokio::test]
async fn a_return_shows_every_trigger_a_breach_once_and_each_name_once() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let at = sent_return(&t, &provider).await;
    let officer = t.signed_in("officer").await;
    for (who, c) in [("provider", &provider), ("officer", &officer)] {
        let (status, page) = c.text(at.split('?').next().unwrap()).await;
        assert_eq!(status, 200);
        let table = &page[page.find("data-testid=\"indicators\"").unwrap()..];
        let table = &table[..table.find("</table>").unwrap()];
        let rows: Vec<&str> = table.split("<tr").skip(2).collect();
        assert!(!rows.is_empty(), "{who}");
        for row in &rows {
            let cells: Vec<&str> = row.split("<td").skip(1).collect();
            let trigger = &cells[1][cells[1].find('>').unwrap() + 1..];
            let trigger = &trigger[..trigger.find("</td>").unwrap()];
            assert!(
                trigger.starts_with("At least ")
                    || trigger.starts_with("At most ")
                    || trigger == "No trigger",
                "{who}: every row's trigger is shown: {row}"
            );
        }
        // Utilisation meets its trigger, and the column still says what it is.
        let utilisation = rows
            .iter()
            .find(|r| r.contains("SPI 2: utilisation"))
            .unwrap();
        assert!(
            utilisation.contains("At least 90.0%")
                && !utilisation.contains("data-testid=\"breach\""),
            "{who}: {utilisation}"
        );
        // Staffing breaches it: the marker once, the trigger in its column.
        let staffing = rows.iter().find(|r| r.contains("SPI 3: staffing")).unwrap();
        assert_eq!(
            staffing.matches("Below trigger of 90.0%").count(),
            1,
            "{who}: {staffing}"
        );
        assert!(staffing.contains("At least 90.0%"), "{who}: {staffing}");
        assert_eq!(
            page.matches("Below trigger of").count(),
            page.matches("data-testid=\"breach\"").count(),
            "{who}: each breach is said once"
        );
        for ind in Indicator::NATIONAL {
            let doubled = format!("{} {}", ind.short_label(), ind.short_label());
            assert!(
                !page.contains(&doubled),
                "{who}: {doubled:?} on the return's page"
            );
        }
    }
    // The triggers page and the service's chart name each indicator once too.
    let (_, triggers) = officer.text("/returns/triggers").await;
    assert!(triggers.contains("SPI 2: utilisation") && triggers.contains("At least 90.0%"));
    for ind in Indicator::NATIONAL {
        let doubled = format!("{} {}", ind.short_label(), ind.short_label());
        assert!(
            !triggers.contains(&doubled),
            "{doubled:?} on the triggers page"
        );
    }
}

// Finding 3 of "Journeys that go wrong": the form's error summary was nine identical "Enter a
// figure (0 if none)" links. And "GOV.UK patterns": a page with errors is titled "Error: ...".
#[tokio::test]
async fn each_error_of_the_return_form_names_its_field_and_the_title_says_error() {
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
    let q = Quarter::for_date(t.app.today()).previous();
    let form = format!("/services/{}/returns/new", s.id);
    let (_, blank) = provider.text(&form).await;
    assert_eq!(title(&blank), "Quarterly return – Hearth", "no error yet");
    let r = provider
        .post_form(&form, &[("quarter", &q.label()), ("departures", "x")])
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert_eq!(title(&body), "Error: Quarterly return – Hearth");
    let links = summary_links(&body);
    assert_eq!(links.len(), hearth_app::returns::FIELDS.len(), "{links:?}");
    let distinct: std::collections::HashSet<&String> = links.iter().map(|(_, m)| m).collect();
    assert_eq!(
        distinct.len(),
        links.len(),
        "each message is its own: {links:?}"
    );
    assert!(links.contains(&(
        "new_service_users".to_string(),
        "Enter the number of new service users in the quarter (0 if none)".to_string()
    )));
    assert!(links.contains(&(
        "departures".to_string(),
        "Enter the number of service users who left in the quarter as a whole number, 0 or more"
            .to_string()
    )));
    for (field, message) in &links {
        assert!(
            field_error(&body, field).ends_with(&format!(" {message}")),
            "{field}: beside the field {:?}, in the summary {message:?}",
            field_error(&body, field)
        );
    }

    // Every form gets the title from the layout: the sign-in page too.
    let c = t.client();
    let (_, page) = c.text("/login").await;
    assert_eq!(title(&page), "Sign in – Hearth");
    let r = c.login("", "").await;
    let body = r.text().await.unwrap();
    assert!(!error_summary(&body).is_empty());
    assert!(
        title(&body).starts_with("Error: Sign in"),
        "{}",
        title(&body)
    );
}

// "GOV.UK patterns": the security code field brings up a number keypad.
#[tokio::test]
async fn the_security_code_fields_bring_up_a_number_keypad() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let r = c.login("officer", &t.account("officer").password).await;
    assert_eq!(location(&r), "/login/code");
    let (_, page) = c.text("/login/code").await;
    let tag = input_tag(&page, "code");
    for attr in [
        "inputmode=\"numeric\"",
        "autocomplete=\"one-time-code\"",
        "spellcheck=\"false\"",
    ] {
        assert!(tag.contains(attr), "sign-in: {attr} in {tag}");
    }
    // Enrolment: a user with no authenticator yet.
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "UPDATE users SET totp_secret = NULL WHERE username = 'provider'",
    )
    .await
    .unwrap();
    let c = t.client();
    let r = c.login("provider", &t.account("provider").password).await;
    assert_eq!(location(&r), "/login/enrol");
    let (_, page) = c.text("/login/enrol").await;
    let tag = input_tag(&page, "code");
    for attr in [
        "inputmode=\"numeric\"",
        "autocomplete=\"one-time-code\"",
        "spellcheck=\"false\"",
    ] {
        assert!(tag.contains(attr), "enrolment: {attr} in {tag}");
    }
}

// Finding 9 of "Journeys that go wrong": plurals ("1 requests"). The public directory says
// "1 unit", not "1 units".
#[tokio::test]
async fn a_count_of_one_is_singular() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let (_, page1) = c.text("/directory?include_full=yes&page=1").await;
    let id = first_directory_result(&page1);
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        &format!("UPDATE services SET contracted_units = 1, service_type = 'accommodation_based' WHERE id = {id}"),
    )
    .await
    .unwrap();
    let (status, page) = c.text(&format!("/directory/services/{id}")).await;
    assert_eq!(status, 200);
    let places = &page[page.find("data-testid=\"places\"").unwrap()..];
    let places = &places[..places.find("</div>").unwrap()];
    assert!(places.contains(" of 1 unit"), "{places}");
    assert!(!places.contains("1 units"), "{places}");
}

// "GOV.UK patterns": home page counts rendered in Times New Roman (a bare span has no font of
// its own in GOV.UK Frontend). Each card's text is GOV.UK body text.
#[tokio::test]
async fn home_page_counts_are_in_the_gov_uk_font() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    for who in ["provider", "officer"] {
        let c = t.signed_in(who).await;
        let (_, home) = c.text("/home").await;
        let counts = home.matches("class=\"hearth-count\"").count();
        assert!(counts >= 3, "{who}: {counts} counts");
        for (at, _) in home.match_indices("class=\"hearth-count\"") {
            let card = home[..at].rfind("<div class=\"").unwrap();
            let class = &home[card + "<div class=\"".len()..];
            let class = &class[..class.find('"').unwrap()];
            assert!(
                class.split(' ').any(|c| c == "govuk-body"),
                "{who}: a count inside {class:?}, with no GOV.UK font"
            );
        }
    }
}

// "GOV.UK patterns": tags are sentence case. A login request's tag said "open".
#[tokio::test]
async fn tags_are_in_sentence_case() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    t.app
        .request_account_help(
            hearth_domain::AccountHelpKind::ForgottenPassword,
            hearth_app::accounts::HelpRequest {
                username: "contracts".into(),
                ..Default::default()
            },
            "192.0.2.1",
        )
        .await
        .unwrap();
    let officer = t.signed_in("officer").await;
    for path in [
        "/account-requests",
        "/returns",
        "/returns/tracker",
        "/actions",
    ] {
        let (status, page) = officer.text(path).await;
        assert_eq!(status, 200, "{path}");
        let mut seen = 0;
        for piece in page.split("class=\"govuk-tag").skip(1) {
            let text = &piece[piece.find('>').unwrap() + 1..];
            let text = text[..text.find('<').unwrap()].trim();
            let first = text.chars().next().unwrap_or('A');
            assert!(
                first.is_uppercase() || first.is_ascii_digit(),
                "{path}: the tag {text:?} does not start with a capital"
            );
            let rest: String = text.chars().skip(1).collect();
            assert!(
                rest != rest.to_uppercase() || rest.chars().all(|c| !c.is_alphabetic()),
                "{path}: the tag {text:?} is in capitals"
            );
            seen += 1;
        }
        if path == "/account-requests" {
            assert!(seen >= 1, "the request's tag");
            assert!(
                page.contains(">Open</strong>"),
                "the request's tag reads Open"
            );
        }
    }
}

// Going live (issue 11) and "radios where a choice has few options" (issue 10): the settings
// page chooses the password rules and the authority's part of the UK with radios; a bad region
// is refused beside its field and changes nothing.
#[tokio::test]
async fn settings_choose_the_password_rules_and_the_region_with_radios() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = t.signed_in("admin").await;
    let (_, page) = admin.text("/admin/settings").await;
    assert!(input_tag(&page, "password_policy").contains("type=\"radio\""));
    assert!(input_tag(&page, "region").contains("type=\"radio\""));
    assert!(
        page.contains("value=\"england-and-wales\" checked"),
        "the demo authority is in England and Wales"
    );
    let r = admin
        .post_form(
            "/admin/settings",
            &[
                ("password_policy", "uk"),
                ("idle_minutes", "20"),
                ("region", "atlantis"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.unwrap();
    assert!(title(&body).starts_with("Error: "));
    assert_eq!(
        summary_links(&body),
        [(
            "region".to_string(),
            "Choose England and Wales, Scotland or Northern Ireland".to_string()
        )]
    );
    let r = admin
        .post_form(
            "/admin/settings",
            &[
                ("password_policy", "uk"),
                ("idle_minutes", "20"),
                ("region", "scotland"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = admin.text("/admin/settings").await;
    assert!(page.contains("value=\"scotland\" checked"), "saved");
}

// Journey 9: "1 providers" and the like. A search that finds one record says so in the
// singular.
#[tokio::test]
async fn lists_of_one_record_and_one_day_are_singular() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let officer = t.signed_in("officer").await;
    let (_, list) = officer.text("/providers").await;
    let name = list
        .split("href=\"/providers/")
        .find(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|s| s.split('>').nth(1))
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    let (_, page) = officer
        .text(&format!("/providers?q={}", name.replace(' ', "+")))
        .await;
    assert!(page.contains(">1 provider<"), "{name}: {page}");
    assert!(!page.contains("1 providers"));
    // A search that finds nothing says so, and what to do.
    let (_, page) = officer.text("/providers?q=zzzzqqq").await;
    assert!(
        page.contains("No providers match “zzzzqqq”. Check the spelling"),
        "{page}"
    );
    assert!(!page.contains("0 providers"));
}

/// The href of the first link with `data-testid="back-to-search"`.
fn back_href(body: &str) -> String {
    let at = body.find("data-testid=\"back-to-search\"").unwrap();
    let start = body[..at].rfind("<a ").unwrap();
    let tag = &body[start..at];
    let href = tag.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()].replace("&amp;", "&")
}

// Journey 8: the directory on a phone. The filters fold away (open when one is used), the
// service page's "Back to search" returns to the search it came from and can lead nowhere
// else, and the error summary lists the fields in the form's order.
#[tokio::test]
async fn the_directory_keeps_the_search_and_folds_its_filters() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let c = t.client();
    let (_, page) = c.text("/directory").await;
    assert!(page.contains("<details class=\"govuk-details\" data-testid=\"filters\">"));
    let (_, page) = c
        .text("/directory?include_full=yes&client_group=older_people&page=1")
        .await;
    assert!(
        page.contains("data-testid=\"filters\" open"),
        "open while a filter is used"
    );
    assert!(
        page.find("data-testid=\"results\"").unwrap() < page.find("id=\"search\"").unwrap(),
        "after a search the results come before the form"
    );
    assert!(page.contains("href=\"#search\""), "a way to the form");
    let link = page
        .split("href=\"/directory/services/")
        .nth(1)
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .expect("a result");
    assert!(link.contains("?back="), "{link}");
    let (status, service) = c.text(&format!("/directory/services/{link}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        back_href(&service),
        "/directory?client_group=older_people&include_full=yes"
    );

    // A made-up `back` can only lead to the directory.
    let id = link.split('?').next().unwrap();
    for hostile in [
        "%2F%2Fevil.example",
        "q=%3Cscript%3E&x=%0d%0aSet-Cookie:a",
        "https://evil.example/",
        "%ZZ",
    ] {
        let (status, page) = c
            .text(&format!("/directory/services/{id}?back={hostile}"))
            .await;
        assert_eq!(status, 200, "{hostile}");
        let href = back_href(&page);
        assert!(href.starts_with("/directory"), "{hostile}: {href}");
        assert!(
            !href.contains("evil") && !href.contains('<'),
            "{hostile}: {href}"
        );
    }

    // Errors in the form's order: postcode, then distance.
    let r = c.get("/directory?postcode=ZZ99+9ZZ&distance=5000").await;
    let body = r.text().await.unwrap();
    let fields: Vec<String> = summary_links(&body).into_iter().map(|(f, _)| f).collect();
    assert_eq!(fields, ["postcode", "distance"], "{body}");
}

// Missing parts of the core records: visual and hearing impairment support are separate, and
// the directory's service page shows who can use the service and its manager.
#[tokio::test]
async fn a_service_page_shows_eligibility_its_manager_and_each_impairment_flag() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let db = t.app.db_for_tests();
    let (_, page1) = t.client().text("/directory?include_full=yes").await;
    let id = first_directory_result(&page1);
    hearth_store::testing::exec(
        db,
        &format!("UPDATE services SET visual_impairment_support = 1, hearing_impairment_support = 0, eligibility = 'Adults aged 18 or over' WHERE id = {id}"),
    )
    .await
    .unwrap();
    let (status, page) = t.client().text(&format!("/directory/services/{id}")).await;
    assert_eq!(status, 200);
    let row = |label: &str| {
        let at = page.find(label).unwrap_or_else(|| panic!("{label}"));
        let rest = &page[at..];
        let dd = rest.find("govuk-summary-list__value").unwrap();
        let text = &rest[dd..];
        text[text.find('>').unwrap() + 1..text.find("</dd>").unwrap()].to_string()
    };
    assert_eq!(row("Support for people with a visual impairment"), "Yes");
    assert_eq!(row("Support for people with a hearing impairment"), "No");
    assert_eq!(row("Who can use it"), "Adults aged 18 or over");
    let manager = row("Service manager");
    let expected = db
        .service_manager(id)
        .await
        .unwrap()
        .map(|c| c.full_name())
        .unwrap_or_else(|| "Not stated".into());
    assert_eq!(manager, expected);
}

// Journey 6: two providers' services may share a name, so the staff lists of services and
// contracts say whose each one is; providers, who see only their own, get no such column.
#[tokio::test]
async fn staff_lists_of_services_and_contracts_name_the_provider() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let db = t.app.db_for_tests();
    let officer = t.signed_in("officer").await;
    for path in ["/services", "/contracts"] {
        let (status, page) = officer.text(path).await;
        assert_eq!(status, 200);
        assert!(page.contains(">Provider</th>"), "{path}");
    }
    let (_, page) = officer.text("/services").await;
    let id: i64 = page
        .split("href=\"/services/")
        .find(|s| s.starts_with(|c: char| c.is_ascii_digit()))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    let s = db.service(id).await.unwrap().unwrap();
    let p = db.provider(s.provider_id).await.unwrap().unwrap();
    let row = &page[page.find(&format!("href=\"/services/{id}\"")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains(&format!(">{}<", p.name)), "{row}");
    let provider = t.signed_in("provider").await;
    let (_, page) = provider.text("/services").await;
    assert!(!page.contains(">Provider</th>"));
}

// The crawl found one title for two kinds of page: a provider's own organisation page and the
// back office's view of the same provider.
#[tokio::test]
async fn a_providers_own_organisation_page_has_its_own_title() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let (status, page) = provider.text("/organisation").await;
    assert_eq!(status, 200);
    assert!(
        title(&page).starts_with("Your organisation: "),
        "{}",
        title(&page)
    );
}

// Missing parts of the core records: a contract document has a type, and the commissioning
// team's comments sit beside the provider's (the briefing's Type and LA Comments columns).
// A provider cannot write the team's comments; a bad type is refused beside its field.
#[tokio::test]
async fn contract_documents_have_a_type_and_the_teams_comments() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let app = &t.app;
    let officer_p = principal(&t, "officer").await;
    let provider_p = principal(&t, "provider").await;
    let contract = app
        .list_contracts(&provider_p, &Default::default())
        .await
        .unwrap()
        .items
        .remove(0);
    let d = app
        .add_document_of(
            &officer_p,
            contract.id,
            hearth_domain::DocumentType::Variation,
            "Variation 3",
            None,
        )
        .await
        .unwrap();
    let officer = t.signed_in("officer").await;
    let r = officer
        .post_form(
            &format!("/documents/{}/team-comments", d.id),
            &[("authority_comments", "Two more units from April")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let provider = t.signed_in("provider").await;
    let (status, page) = provider.text(&format!("/documents/{}", d.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("Contract variation"), "the type is shown");
    assert!(
        page.contains("Two more units from April"),
        "the provider sees the team's comments"
    );
    assert!(
        page.contains("The commissioning team&#39;s comments changed")
            || page.contains("The commissioning team's comments changed"),
        "the history says what changed"
    );
    assert!(
        !page.contains("/team-comments\""),
        "no team form for providers"
    );
    let r = provider
        .post_form(
            &format!("/documents/{}/team-comments", d.id),
            &[("authority_comments", "forged")],
        )
        .await;
    assert!(r.status().is_client_error(), "{}", r.status());
    let (_, contract_page) = officer.text(&format!("/contracts/{}", contract.id)).await;
    assert!(contract_page.contains(">Type</th>") && contract_page.contains("Contract variation"));
    assert_eq!(
        app.document(&officer_p, d.id)
            .await
            .unwrap()
            .authority_comments,
        "Two more units from April"
    );
}

// "GOV.UK patterns": radios where a choice has few options. The return decision was a
// select of five.
#[tokio::test]
async fn the_return_decision_is_a_choice_of_radios() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = t.signed_in("provider").await;
    let path = sent_return(&t, &provider).await;
    let officer = t.signed_in("officer").await;
    let (status, page) = officer.text(&path).await;
    assert_eq!(status, 200);
    assert!(
        input_tag(&page, "decision").contains("type=\"radio\""),
        "{page}"
    );
    for value in ["accept", "incomplete", "explain", "escalate", "action"] {
        assert!(page.contains(&format!("value=\"{value}\"")), "{value}");
    }
    assert!(!page.contains("<select class=\"govuk-select\" id=\"decision\""));
}

/// GOV.UK date input (issue 10, "GOV.UK patterns"): a date is asked for in day, month and
/// year boxes; a box left empty is named beside the field and changes nothing; the three
/// boxes make the date.
#[tokio::test]
async fn dates_are_asked_for_in_day_month_and_year_boxes() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let provider = provider_id(&principal(&t, "provider").await);
    let officer = t.signed_in("officer").await;
    let new = format!("/providers/{provider}/actions/new");
    let (status, form) = officer.text(&new).await;
    assert_eq!(status, 200);
    for part in ["day", "month", "year"] {
        let tag = input_tag(&form, &format!("due_date-{part}"));
        assert!(tag.contains("inputmode=\"numeric\""), "{tag}");
    }
    assert!(form.contains("For example, 27 3 2026"));
    assert!(!form.contains("name=\"due_date\""), "one box per part");

    let authority = principal(&t, "officer").await.authority_id();
    let count = || async {
        t.app
            .db_for_tests()
            .list_actions(authority, Some(provider), true)
            .await
            .unwrap()
            .len()
    };
    let before = count().await;
    let post = |day: &'static str, month: &'static str, year: &'static str| {
        let officer = &officer;
        let new = &new;
        async move {
            officer
                .post_form(
                    new,
                    &[
                        ("title", "Send the lease"),
                        ("due_date-day", day),
                        ("due_date-month", month),
                        ("due_date-year", year),
                        ("priority", "high"),
                    ],
                )
                .await
        }
    };
    let r = post("5", "", "2027").await;
    assert_ne!(r.status(), 303);
    let body = r.text().await.unwrap();
    assert!(
        field_error(&body, "due_date").contains("Date must include a month"),
        "{}",
        field_error(&body, "due_date")
    );
    assert_eq!(
        summary_links(&body),
        vec![(
            "due_date".to_string(),
            "Date must include a month".to_string()
        )]
    );
    assert!(input_tag(&body, "due_date-day").contains("value=\"5\""));
    assert!(input_tag(&body, "due_date-year").contains("value=\"2027\""));
    assert_eq!(count().await, before, "nothing created");

    let r = post("5", "3", "2027").await;
    assert_eq!(r.status(), 303);
    let actions = t
        .app
        .db_for_tests()
        .list_actions(authority, Some(provider), true)
        .await
        .unwrap();
    let made = actions
        .iter()
        .find(|a| a.title == "Send the lease")
        .unwrap();
    assert_eq!(made.due_date, "2027-03-05");
}
