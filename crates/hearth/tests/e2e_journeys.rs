//! End to end in headless Chromium: the "Journeys that go wrong" of the usability issue
//! (issue 10), each walked as a person does it now that it works: links clicked, fields typed
//! into, Enter pressed, forms sent, and what the page then shows read back. axe-core finds no
//! serious accessibility issue on any page visited.
//!
//! - Journey 1 (Enter in a text field of "Request a new client schedule" sends the form) is
//!   walked in `e2e_requests.rs`, with the decision that follows; it is not repeated here.
//! - Journeys 2, 3 and 4: a provider finds its returns from the header and the home card,
//!   sends an empty web return (each error names its field), then a full one with a breach
//!   (every trigger shown, the breach said once, each indicator named once).
//! - Journeys 5, 6 (the request queue's service column) and 9 (its plurals and empty
//!   state): an officer decides two requests from the queue with the one decision form.
//! - Journeys 6 and 9: the staff lists of services and contracts name the provider, sort,
//!   filter, export, and say what a list filtered to nothing means.
//! - Journey 7: the administrator reads an edit on the audit trail.
//! - Journey 8: the directory on a phone (`e2e_directory.rs` covers the folded filters, the
//!   results heading on a phone and Back to search on a desktop; this adds the first result's
//!   place, Back to search on a phone, and the error summary's order).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use hearth_domain::performance::Quarter;
use support::*;

/// axe-core finds nothing serious or critical on the page.
async fn accessible(b: &Browser, page: &str) {
    let v = b.serious_accessibility_violations().await;
    assert!(v.is_empty(), "{page}: {v:?}");
}

/// The visible text of every element `css` selects, in page order.
async fn texts(b: &Browser, css: &str) -> Vec<String> {
    let v = b
        .execute(&format!(
            "return [...document.querySelectorAll({css:?})].map(e => e.innerText.trim());"
        ))
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The `attr` attribute of every element `css` selects, in page order.
async fn attrs(b: &Browser, css: &str, attr: &str) -> Vec<String> {
    let v = b
        .execute(&format!(
            "return [...document.querySelectorAll({css:?})].map(e => e.getAttribute({attr:?}) || '');"
        ))
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap_or_default().to_string())
        .collect()
}

/// The cells' text of each body row of the first table in the main content.
async fn rows(b: &Browser) -> Vec<Vec<String>> {
    let v = b
        .execute(
            "const t = document.querySelector('main table');
             return t ? [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim())) : [];",
        )
        .await;
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect()
}

/// The column headers of the first table in the main content.
async fn headers(b: &Browser) -> Vec<String> {
    texts(b, "main table thead th").await
}

/// The text of the page's main content.
async fn main_text(b: &Browser) -> String {
    b.text_of("main").await
}

/// The page's title.
async fn title(b: &Browser) -> String {
    b.execute("return document.title;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Clicks `css` (a link or a form's button) and waits for the new page to load and its
/// address to contain `part`; the old page is marked first, so a page at the same address
/// is not mistaken for the new one.
async fn follow(b: &Browser, css: &str, part: &str) -> String {
    b.execute("window.hearthOldPage = true; return 0;").await;
    b.click(css).await;
    let start = std::time::Instant::now();
    loop {
        let loaded = b
            .execute(
                "return window.hearthOldPage === undefined && document.readyState === 'complete';",
            )
            .await;
        if loaded.as_bool() == Some(true) {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no new page after clicking {css}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.wait_url(part).await
}

/// Empties a text field (as a person selecting its text and deleting it).
async fn clear(b: &Browser, css: &str) {
    b.execute(&format!(
        "document.querySelector({css:?}).value = ''; return 0;"
    ))
    .await;
}

/// Chooses the option of the select `css` whose text is `label`; its value.
async fn choose(b: &Browser, css: &str, label: &str) -> String {
    let v = b
        .execute(&format!(
            "const s = document.querySelector({css:?});
             const o = [...s.options].find(o => o.text.trim() === {label:?});
             if (!o) return null;
             s.value = o.value; return o.value;"
        ))
        .await;
    v.as_str()
        .unwrap_or_else(|| panic!("{css} has no option {label:?}"))
        .to_string()
}

/// The number on the home page's card `label`.
async fn card_count(b: &Browser, label: &str) -> usize {
    let v = b
        .execute(&format!(
            "const a = [...document.querySelectorAll('main .hearth-card a')].find(a => a.innerText.trim() === {label:?});
             return a ? a.parentElement.querySelector('.hearth-count').innerText.trim() : null;"
        ))
        .await;
    v.as_str()
        .unwrap_or_else(|| panic!("no card {label:?}"))
        .parse()
        .unwrap()
}

/// Where the directory's first result starts, from the top of the page.
async fn first_result_top(b: &Browser) -> f64 {
    b.execute(
        "const li = document.querySelector('[data-testid=results] li');
         return li ? li.getBoundingClientRect().top + window.scrollY : null;",
    )
    .await
    .as_f64()
    .expect("a result")
}

/// The terms of a directory search's address that are set, decoded and in order
/// ("postcode=BK2+2JB&distance=" and "postcode=BK2%202JB" are the same search).
fn search_terms(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let decode = |s: &str| s.replace('+', " ").replace("%20", " ");
    let mut terms: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.to_string(), decode(v)))
        .collect();
    terms.sort();
    terms
}

/// "1 service", "2 services": the count a list states.
fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What the returns overview says of `n` overdue returns.
fn overdue_sentence(n: usize) -> String {
    if n == 1 {
        "1 return is overdue.".to_string()
    } else {
        format!("{n} returns are overdue.")
    }
}

/// What a download link gives, fetched with the browser's own session as a click would:
/// (status, content type, body as text when it is text, first bytes).
struct Download {
    status: u64,
    content_type: String,
    disposition: String,
    text: String,
    head: Vec<u8>,
}

async fn download(b: &Browser, href: &str) -> Download {
    let v = b
        .execute_async(&format!(
            "const done = arguments[arguments.length - 1];
             fetch({href:?}, {{ credentials: 'same-origin' }})
               .then(async r => {{
                 const buf = new Uint8Array(await r.arrayBuffer());
                 const type = r.headers.get('content-type') || '';
                 done({{ status: r.status, type, disposition: r.headers.get('content-disposition') || '',
                        text: type.startsWith('text/') ? new TextDecoder().decode(buf) : '',
                        head: Array.from(buf.slice(0, 4)) }});
               }})
               .catch(e => done({{ status: 0, type: String(e), disposition: '', text: '', head: [] }}));"
        ))
        .await;
    Download {
        status: v["status"].as_u64().unwrap_or(0),
        content_type: v["type"].as_str().unwrap_or_default().to_string(),
        disposition: v["disposition"].as_str().unwrap_or_default().to_string(),
        text: v["text"].as_str().unwrap_or_default().to_string(),
        head: v["head"]
            .as_array()
            .map(|a| a.iter().map(|x| x.as_u64().unwrap_or(0) as u8).collect())
            .unwrap_or_default(),
    }
}

/// Journeys 2, 3 and 4: a provider reaches its returns overview from the home page's "Returns
/// due" card and from the header; it lists every service for each quarter, with due dates,
/// status, overdue tags and a link to act. Following "Send return", the provider sends the
/// web form empty: the error summary has one link per figure, each naming its own field.
/// Then it sends the figures with staffing below its trigger: the return's page shows the
/// trigger of every indicator, the breach once, and each indicator's name once.
#[tokio::test]
async fn journeys_2_3_4_a_provider_finds_its_returns_and_sends_one_by_web_form() {
    if !browser_available() {
        return;
    }
    // Without the demo's history, so the quarters shown have no return yet.
    let (data, server) = demo_server("e2e-journeys-returns", false);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "provider", 0).await;
    accessible(&b, "provider home").await;

    // The provider's services, from the header's Services.
    follow(&b, "#navigation a[href='/services']", "/services").await;
    let services: Vec<String> = rows(&b).await.into_iter().map(|r| r[0].clone()).collect();
    assert!(services.len() > 1, "{services:?}");
    accessible(&b, "provider's services").await;

    // Journey 4: the home card "Returns due" leads to the returns overview.
    follow(&b, "#navigation a[href='/home']", "/home").await;
    let due_count = card_count(&b, "Returns due").await;
    let card = b
        .execute(
            "return [...document.querySelectorAll('main .hearth-card a')].find(a => a.innerText.trim() === 'Returns due').getAttribute('href');",
        )
        .await;
    assert_eq!(
        card.as_str(),
        Some("/returns"),
        "the card links the returns overview, not the services list"
    );
    follow(&b, "main .hearth-card a[href='/returns']", "/returns").await;
    assert!(main_text(&b).await.contains("Your returns"));
    // ... and the header's Returns is the same page, marked as the current one.
    let current = attrs(&b, "#navigation a[href='/returns']", "aria-current").await;
    assert_eq!(
        current,
        ["page"],
        "the header marks Returns as the current page"
    );
    follow(&b, "#navigation a[href='/home']", "/home").await;
    follow(&b, "#navigation a[href='/returns']", "/returns").await;
    accessible(&b, "returns overview").await;

    let today = hearth_domain::clock::uk_today();
    let q = Quarter::for_date(today).previous();
    let quarters = texts(&b, "main h2").await;
    assert!(
        quarters[0].starts_with(&format!("Quarter {}", q.label())),
        "the last quarter ended comes first: {quarters:?}"
    );
    assert!(quarters.len() >= 2, "several quarters: {quarters:?}");
    let tables = b
        .execute(
            "return [...document.querySelectorAll('main table')].map(t => [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.innerText.trim())));",
        )
        .await;
    let tables = tables.as_array().unwrap();
    assert_eq!(tables.len(), quarters.len(), "one table per quarter");
    for (heading, table) in quarters.iter().zip(tables) {
        let lines = table.as_array().unwrap();
        let names: Vec<&str> = lines.iter().map(|r| r[0].as_str().unwrap()).collect();
        let mut sorted_services = services.clone();
        sorted_services.sort();
        let mut sorted_names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        sorted_names.sort();
        assert_eq!(sorted_names, sorted_services, "{heading}: every service");
        for line in lines {
            let (due, status, act) = (
                line[1].as_str().unwrap(),
                line[2].as_str().unwrap(),
                line[3].as_str().unwrap(),
            );
            assert!(
                chrono::NaiveDate::parse_from_str(due, "%d %B %Y").is_ok(),
                "{heading}: a due date, not {due:?}"
            );
            assert!(!status.is_empty(), "{heading}: a status");
            assert!(
                act.starts_with("Send return") && act.contains("Ask for more time"),
                "{heading}: a link to act: {act:?}"
            );
        }
    }
    // Nothing came for the older quarters, long past their due dates: overdue, in red.
    let older = tables.last().unwrap().as_array().unwrap();
    assert!(older.iter().all(|l| l[2].as_str() == Some("Overdue")));
    let red = texts(&b, "main table .govuk-tag--red").await;
    assert!(
        !red.is_empty() && red.iter().all(|t| t == "Overdue"),
        "{red:?}"
    );
    let overdue_note = b.text_of("[data-testid=overdue-count]").await;
    assert_eq!(
        overdue_note,
        overdue_sentence(red.len()),
        "the count of overdue returns"
    );
    let last = tables[0].as_array().unwrap();
    assert_eq!(
        due_count,
        last.len(),
        "the card counts the services without a return for the last quarter"
    );

    // The first service's "Send return" leads to its returns, with due dates and overdue marks.
    let first = last[0][0].as_str().unwrap().to_string();
    let send = attrs(&b, "main table a[href$='/returns']", "href").await;
    let service_returns = send[0].clone();
    follow(
        &b,
        &format!("main table a[href='{service_returns}']"),
        &service_returns,
    )
    .await;
    assert!(main_text(&b).await.contains(&first));
    assert!(headers(&b).await.contains(&"Due".to_string()));
    assert!(
        !texts(&b, "[data-testid=overdue]").await.is_empty(),
        "the service's list marks the overdue quarters"
    );
    accessible(&b, "a service's returns").await;
    let form_href = attrs(&b, "main table a[href*='/returns/new?quarter=']", "href")
        .await
        .into_iter()
        .find(|h| {
            h.replace("%2F", "/")
                .replace("%20", " ")
                .replace('+', " ")
                .ends_with(&q.label())
        })
        .expect("a link to send the last quarter's return");
    follow(&b, &format!("a[href='{form_href}']"), "/returns/new").await;
    let form_text = main_text(&b).await;
    assert!(form_text.contains("Quarterly return"));
    accessible(&b, "the return form").await;

    // Journey 3: sent empty, the summary has a link for each figure, each naming its field.
    b.click("form[action$='/returns/new'] button[type=submit]")
        .await;
    b.wait_text("govuk-error-summary").await;
    assert!(
        title(&b).await.starts_with("Error: "),
        "the title says there is an error"
    );
    let links = texts(&b, ".govuk-error-summary__list a").await;
    let targets = attrs(&b, ".govuk-error-summary__list a", "href").await;
    assert_eq!(
        links.len(),
        hearth_app::returns::FIELDS.len(),
        "one link per figure: {links:?}"
    );
    let distinct: std::collections::HashSet<&String> = links.iter().collect();
    assert_eq!(distinct.len(), links.len(), "no two the same: {links:?}");
    let fields: Vec<String> = hearth_app::returns::FIELDS
        .iter()
        .map(|(k, _)| format!("#{k}"))
        .collect();
    assert_eq!(
        targets, fields,
        "the links in the form's order, each to its field"
    );
    for (link, (field, _)) in links.iter().zip(hearth_app::returns::FIELDS) {
        assert!(
            link.starts_with("Enter ") && link != "Enter a figure (0 if none)",
            "{field}: {link}"
        );
        let beside = b.text_of(&format!("#{field}-error")).await;
        assert_eq!(
            beside.trim_start_matches("Error:").trim(),
            link,
            "{field}: the message beside the field is the summary's"
        );
    }
    assert!(links
        .contains(&"Enter the number of new service users in the quarter (0 if none)".to_string()));
    assert!(links.contains(&"Enter the support hours delivered (0 if none)".to_string()));
    accessible(&b, "the return form with errors").await;
    // The summary's link takes the person to the field.
    b.click(".govuk-error-summary__list a[href='#departures']")
        .await;
    let focused = b.execute("return document.activeElement.id;").await;
    assert_eq!(focused.as_str(), Some("departures"));

    // Journey 2: the figures, with staffing at 50% (below its trigger) and utilisation at
    // 95% (meeting it). Enter in the last field sends the form.
    let units: i64 = form_text
        .split("Contracted units: ")
        .nth(1)
        .and_then(|s| s.split('.').next())
        .and_then(|s| s.trim().parse().ok())
        .expect("the form states the contracted units");
    let occupied = (units * i64::from(q.days()) * 95 / 100).to_string();
    let figures = [
        ("service_users_supported", "20"),
        ("maintained_independent_living", "19"),
        ("new_service_users", "2"),
        ("departures", "2"),
        ("planned_departures", "2"),
        ("unavailable_unit_days", "0"),
        ("occupied_unit_days", occupied.as_str()),
        ("support_hours_contracted", "100"),
    ];
    for (field, value) in figures {
        b.type_into(&format!("#{field}"), value).await;
    }
    b.type_into("#support_hours_delivered", "50\u{E007}").await;
    b.wait_url("sent=1").await;
    b.wait_text("Return sent").await;
    accessible(&b, "the return sent").await;
    let lines = b
        .execute(
            "return [...document.querySelectorAll('[data-testid=indicators] tbody tr')].map(r => [...r.cells].map(c => c.innerText.trim()));",
        )
        .await;
    let lines: Vec<Vec<String>> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    assert!(lines.len() >= 5, "{lines:?}");
    for l in &lines {
        let trigger = &l[2];
        assert!(
            trigger.starts_with("At least ")
                || trigger.starts_with("At most ")
                || trigger == "No trigger",
            "every indicator's trigger is shown: {l:?}"
        );
        if let Some((code, rest)) = l[0].split_once(": ") {
            let first_word = code.split(' ').next().unwrap_or(code);
            assert!(
                !rest.starts_with(code) && code.matches(first_word).count() == 1,
                "the name once: {l:?}"
            );
        }
    }
    let row = |code: &str| {
        lines
            .iter()
            .find(|l| l[0].starts_with(&format!("{code}: ")))
            .unwrap_or_else(|| panic!("no {code} row in {lines:?}"))
            .clone()
    };
    let utilisation = row("SPI 2");
    assert!(
        utilisation[0].contains("utilisation")
            && utilisation[2].starts_with("At least ")
            && !utilisation[1].contains("trigger"),
        "utilisation meets its trigger, and the column still says what it is: {utilisation:?}"
    );
    let staffing = row("SPI 3");
    assert!(staffing[0].contains("staffing"));
    assert_eq!(
        staffing[1].matches("Below trigger of").count(),
        1,
        "the breach is said once: {staffing:?}"
    );
    assert!(staffing[2].starts_with("At least "), "{staffing:?}");
    let page = main_text(&b).await;
    assert_eq!(
        page.matches("Below trigger of").count(),
        texts(&b, "[data-testid=breach]").await.len(),
        "each breach once on the whole page"
    );
    for ind in hearth_domain::performance::Indicator::NATIONAL {
        let doubled = format!("{} {}", ind.short_label(), ind.short_label());
        assert!(!page.contains(&doubled), "{doubled:?} on the return's page");
    }

    // Back on the overview, the quarter shows what came, and one fewer return is overdue.
    follow(&b, "#navigation a[href='/returns']", "/returns").await;
    let now_last = rows(&b).await;
    let sent = now_last.iter().find(|l| l[0] == first).unwrap();
    assert!(sent[2].starts_with("Received"), "{sent:?}");
    assert!(sent[3].starts_with("View"), "{sent:?}");
    let red_now = texts(&b, "main table .govuk-tag--red").await.len();
    let was_overdue = last[0][2].as_str() == Some("Overdue");
    assert_eq!(
        red_now,
        red.len() - usize::from(was_overdue),
        "the return sent is no longer overdue"
    );
    assert_eq!(
        b.text_of("[data-testid=overdue-count]").await,
        overdue_sentence(red_now)
    );
    accessible(&b, "returns overview after sending").await;
    b.quit().await;
}

/// Journey 5, with the queue of journeys 6 and 9: an officer opens the requests queue from the
/// home page. It names each request's service and counts in the singular for one; a filter
/// that finds nothing says so and what to do. A new client schedule is decided with the one
/// form (radios and one remarks box): no choice is an error beside the radios; approved, a
/// banner links the schedule made and the next request, which is rejected with remarks.
#[tokio::test]
async fn journeys_5_6_9_an_officer_decides_requests_from_the_queue() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-journeys-requests", true);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "officer", 0).await;
    accessible(&b, "officer home").await;
    let before = card_count(&b, "Requests to approve").await;
    assert!(before >= 2, "the demo has requests waiting: {before}");
    follow(&b, "main .hearth-card a[href='/requests']", "/requests").await;
    accessible(&b, "requests queue").await;

    // Journey 6: the queue has a service column, filled for requests about a service.
    let head = headers(&b).await;
    let col = |name: &str| {
        head.iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no {name} column in {head:?}"))
    };
    let (service, kind, request) = (col("Service"), col("Type"), col("Request"));
    let queue = rows(&b).await;
    assert_eq!(queue.len(), before, "the card counts the queue");
    assert!(main_text(&b)
        .await
        .contains(&plural(queue.len(), "request", "requests")));
    let schedules: Vec<&Vec<String>> = queue
        .iter()
        .filter(|r| r[kind] == "New client schedule")
        .collect();
    assert!(!schedules.is_empty(), "{queue:?}");
    for r in &schedules {
        assert!(!r[service].is_empty(), "the service is named: {r:?}");
    }

    // Journey 9: a type with one request waiting says "1 request"; a type with none says
    // what is empty and what to do.
    let mut kinds: std::collections::HashMap<&str, usize> = Default::default();
    for r in &queue {
        *kinds.entry(r[kind].as_str()).or_default() += 1;
    }
    if let Some((one, _)) = kinds.iter().find(|(_, n)| **n == 1) {
        let value = choose(&b, "#kind", one).await;
        follow(
            &b,
            "form[action='/requests'] button[type=submit]",
            &format!("kind={value}"),
        )
        .await;
        let html = b.source().await;
        assert!(html.contains(">1 request<"), "one, in the singular");
        assert!(!html.contains("1 requests"));
        assert_eq!(rows(&b).await.len(), 1);
        accessible(&b, "requests queue of one").await;
    }
    let options = texts(&b, "#kind option").await;
    let none = options
        .iter()
        .skip(1)
        .find(|o| !kinds.contains_key(o.as_str()))
        .expect("a type of request with none waiting");
    let value = choose(&b, "#kind", none).await;
    follow(
        &b,
        "form[action='/requests'] button[type=submit]",
        &format!("kind={value}"),
    )
    .await;
    assert_eq!(
        b.text_of("[data-testid=empty]").await,
        "No requests match these filters. Pending requests from providers appear here until someone approves or rejects them."
    );
    assert!(rows(&b).await.is_empty(), "no empty table");
    accessible(&b, "requests queue filtered to nothing").await;
    // Journey 6: by provider, any type (the form sends the others empty).
    let provider_col = col("Provider");
    let provider = queue[0][provider_col].clone();
    let value = choose(&b, "#provider", &provider).await;
    b.select_value("#kind", "").await;
    follow(
        &b,
        "form[action='/requests'] button[type=submit]",
        &format!("provider={value}"),
    )
    .await;
    let theirs = rows(&b).await;
    assert_eq!(
        theirs.len(),
        queue.iter().filter(|r| r[provider_col] == provider).count(),
        "{provider}'s requests: {theirs:?}"
    );
    assert!(theirs.iter().all(|r| r[provider_col] == provider));
    accessible(&b, "requests queue of one provider").await;

    // Journey 5: open a new client schedule from the queue.
    follow(&b, "#navigation a[href='/requests']", "/requests").await;
    let first = schedules[0];
    let client = first[request].split(" from ").next().unwrap().to_string();
    let hrefs = attrs(&b, "main tbody a[href^='/requests/']", "href").await;
    let names = texts(&b, "main tbody a[href^='/requests/']").await;
    let href = hrefs[names.iter().position(|n| *n == first[request]).unwrap()].clone();
    follow(&b, &format!("main tbody a[href='{href}']"), &href).await;
    accessible(&b, "a request to decide").await;
    assert_eq!(
        texts(&b, "form input[name=decision]").await.len(),
        2,
        "approve or reject"
    );
    assert_eq!(
        texts(&b, "form textarea[name=remarks]").await.len(),
        1,
        "one remarks box"
    );
    assert_eq!(
        attrs(&b, "#remarks", "aria-describedby").await,
        ["remarks-hint"],
        "the hint is tied to the box"
    );
    // No choice made: the error is beside the radios and in the summary.
    b.click("[data-testid=decide]").await;
    b.wait_text("Select approve or reject").await;
    assert!(title(&b).await.starts_with("Error: "));
    assert_eq!(
        attrs(&b, ".govuk-error-summary__list a", "href").await,
        ["#decision"]
    );
    assert!(b
        .text_of("#decision-error")
        .await
        .contains("Select approve or reject"));
    accessible(&b, "a decision with an error").await;
    // Approve, with a remark.
    b.click("[data-testid=approve]").await;
    b.type_into("#remarks", "Checked against the referral")
        .await;
    b.click("[data-testid=decide]").await;
    let decided = b.wait_url("decided=1").await;
    b.wait_text("Request approved and applied").await;
    accessible(&b, "the approval's banner").await;
    let banner = b.text_of(".govuk-notification-banner").await;
    assert!(banner.contains("View the client's schedule"), "{banner}");
    let next = attrs(&b, "[data-testid=next-request]", "href").await;
    assert_eq!(next.len(), 1, "the next request waiting: {banner}");
    let next = next[0].clone();
    assert_ne!(next, href);
    // The banner's link leads to the schedule made.
    follow(&b, "[data-testid=result-link]", "/schedules/").await;
    assert!(main_text(&b).await.contains(&client), "{client}'s schedule");
    accessible(&b, "the schedule made").await;
    // Back to the banner, and on to the next request.
    b.goto(&decided).await;
    follow(&b, "[data-testid=next-request]", &next).await;
    assert!(
        !texts(&b, "[data-testid=decide]").await.is_empty(),
        "the next request waits for a decision"
    );
    // Rejecting needs remarks: the error is beside the box, tied to it.
    b.click("[data-testid=reject]").await;
    b.click("[data-testid=decide]").await;
    b.wait_text("remarks-error").await;
    assert!(title(&b).await.starts_with("Error: "));
    assert_eq!(
        attrs(&b, "#remarks", "aria-describedby").await,
        ["remarks-hint remarks-error"]
    );
    let kept = b
        .execute("return document.querySelector('[data-testid=reject]').checked;")
        .await;
    assert_eq!(kept.as_bool(), Some(true), "the choice made is kept");
    accessible(&b, "a rejection without remarks").await;
    b.click("[data-testid=reject]").await;
    b.type_into("#remarks", "The start date is before the referral")
        .await;
    b.click("[data-testid=decide]").await;
    b.wait_url("decided=1").await;
    b.wait_text("Request rejected").await;
    assert!(main_text(&b)
        .await
        .contains("The start date is before the referral"));
    accessible(&b, "the rejection's banner").await;

    // Two fewer waiting, on the home page and in the queue.
    follow(&b, "#navigation a[href='/home']", "/home").await;
    assert_eq!(card_count(&b, "Requests to approve").await, before - 2);
    follow(&b, "#navigation a[href='/requests']", "/requests").await;
    let after = rows(&b).await;
    assert_eq!(after.len(), before - 2);
    assert!(!after.iter().any(|r| r[request] == first[request]));
    b.quit().await;
}

/// Journeys 6 and 9: an officer's lists of services and contracts. Each names the provider
/// (two providers run a "Chapel Gardens Sheltered Scheme"), sorts by its column headers,
/// filters by provider or status, and offers the list as shown in CSV and XLSX. A search
/// that finds one says "1 service"; filters that find none say so and lead back.
#[tokio::test]
async fn journeys_6_9_staff_lists_name_the_provider_sort_filter_and_export() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-journeys-lists", true);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "officer", 0).await;

    // Services, from the header: a provider column, filled on every row.
    follow(&b, "#navigation a[href='/services']", "/services").await;
    accessible(&b, "services").await;
    let head = headers(&b).await;
    assert_eq!(head[1], "Provider", "{head:?}");
    let all = rows(&b).await;
    assert!(all.len() > 5);
    assert!(all.iter().all(|r| !r[1].is_empty()), "{all:?}");
    let total_text = main_text(&b).await;
    assert!(total_text.contains(&plural(all.len(), "service", "services")));

    // The two services of one name are told apart by their providers.
    b.type_into("#q", "Chapel Gardens\u{E007}").await;
    b.wait_url("q=Chapel").await;
    b.wait_text("2 services").await;
    let same = rows(&b).await;
    assert_eq!(same.len(), 2, "{same:?}");
    assert_eq!(same[0][0], same[1][0], "one name");
    assert_ne!(same[0][1], same[1][1], "two providers");
    accessible(&b, "services named alike").await;

    // One found: "1 service".
    let reference = same[0][2].clone();
    clear(&b, "#q").await;
    b.type_into("#q", &format!("{reference}\u{E007}")).await;
    b.wait_url(&format!("q={}", reference.split('/').next().unwrap()))
        .await;
    b.wait_text(">1 service<").await;
    assert_eq!(rows(&b).await.len(), 1);
    assert!(!main_text(&b).await.contains("1 services"));
    accessible(&b, "a search finding one service").await;

    // The column headers sort: by name, then the other way.
    follow(&b, "#navigation a[href='/services']", "/services").await;
    let sorted = attrs(&b, "main thead th", "aria-sort").await;
    assert_eq!(sorted[0], "ascending", "by name at first: {sorted:?}");
    let names: Vec<String> = rows(&b).await.into_iter().map(|r| r[0].clone()).collect();
    follow(&b, "main thead th a[href*='sort=-name']", "sort=-name").await;
    assert_eq!(
        attrs(&b, "main thead th", "aria-sort").await[0],
        "descending"
    );
    let desc: Vec<String> = rows(&b).await.into_iter().map(|r| r[0].clone()).collect();
    let mut reversed = names.clone();
    reversed.reverse();
    if names.len() == all.len() {
        // One page: the same services the other way round (ties keep no order, so compare
        // the names only).
        assert_eq!(desc, reversed);
    } else {
        assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    }
    accessible(&b, "services sorted").await;
    follow(&b, "main thead th a[href*='sort=units']", "sort=units").await;
    let units: Vec<i64> = rows(&b)
        .await
        .into_iter()
        .map(|r| r[5].replace(',', "").parse().unwrap())
        .collect();
    assert!(
        units.windows(2).all(|w| w[0] <= w[1]),
        "by units: {units:?}"
    );

    // Filtered by provider, keeping the order.
    let provider = same[0][1].clone();
    let id = b
        .execute(&format!(
            "const o = [...document.querySelectorAll('#provider option')].find(o => o.text.startsWith({provider:?} + ' ('));
             document.querySelector('#provider').value = o.value; return o.value;"
        ))
        .await;
    let id = id.as_str().unwrap().to_string();
    follow(
        &b,
        "form[action='/services'] button[type=submit]",
        &format!("provider={id}"),
    )
    .await;
    let url = b.url().await;
    assert!(url.contains("sort=units"), "the order is kept: {url}");
    let theirs = rows(&b).await;
    assert!(!theirs.is_empty());
    assert!(
        theirs.iter().all(|r| r[1] == provider),
        "only {provider}'s: {theirs:?}"
    );
    assert!(main_text(&b)
        .await
        .contains(&plural(theirs.len(), "service", "services")));
    accessible(&b, "services of one provider").await;
    // The downloads hold the list as shown.
    let csv_href = attrs(&b, "main a[href^='/services.csv']", "href").await;
    let xlsx_href = attrs(&b, "main a[href^='/services.xlsx']", "href").await;
    assert_eq!(
        (csv_href.len(), xlsx_href.len()),
        (1, 1),
        "CSV and XLSX links"
    );
    assert!(
        csv_href[0].contains(&format!("provider={id}")),
        "{csv_href:?}"
    );
    let csv = download(&b, &csv_href[0]).await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.content_type.starts_with("text/csv"),
        "{}",
        csv.content_type
    );
    assert!(
        csv.disposition.starts_with("attachment"),
        "{}",
        csv.disposition
    );
    let lines: Vec<&str> = csv.text.trim_end().lines().collect();
    assert!(
        lines[0].contains("Reference,Service,Provider"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len() - 1, theirs.len(), "one line per service listed");
    assert!(lines[1..].iter().all(|l| l.contains(&provider)));
    let xlsx = download(&b, &xlsx_href[0]).await;
    assert_eq!(xlsx.status, 200);
    assert_eq!(
        xlsx.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert_eq!(&xlsx.head[..2], b"PK", "a workbook");

    // Journey 9: filters that find nothing say so, and lead back to the whole list.
    clear(&b, "#q").await;
    b.type_into("#q", "Chapel Gardens").await;
    // A provider that runs no service of that name.
    let other = b
        .execute(&format!(
            "const o = [...document.querySelectorAll('#provider option')].find(o => o.value
                && !o.text.startsWith({:?} + ' (') && !o.text.startsWith({:?} + ' ('));
             document.querySelector('#provider').value = o.value; return o.value;",
            same[0][1], same[1][1]
        ))
        .await;
    assert!(other.as_str().is_some_and(|v| !v.is_empty()), "{other}");
    follow(
        &b,
        "form[action='/services'] button[type=submit]",
        "q=Chapel",
    )
    .await;
    let empty = b.text_of("[data-testid=empty]").await;
    assert_eq!(
        empty,
        "No services match “Chapel Gardens” with these filters. Choose other filters, or show all services."
    );
    assert!(
        texts(&b, "main a[href^='/services.csv']").await.is_empty(),
        "nothing to download"
    );
    accessible(&b, "services filtered to nothing").await;
    follow(&b, "[data-testid=empty] a", "/services").await;
    assert_eq!(rows(&b).await.len(), all.len(), "the whole list again");

    // Contracts: the provider named, filtered by status, sorted by end date, exported.
    follow(&b, "#navigation a[href='/contracts']", "/contracts").await;
    accessible(&b, "contracts").await;
    assert_eq!(headers(&b).await[1], "Provider");
    let contracts = rows(&b).await;
    assert!(contracts.iter().all(|r| !r[1].is_empty()));
    let status = contracts[contracts.len() - 1][3].clone();
    choose(&b, "#status", &status).await;
    follow(
        &b,
        "form[action='/contracts'] button[type=submit]",
        "status=",
    )
    .await;
    let some = rows(&b).await;
    assert!(
        !some.is_empty() && some.iter().all(|r| r[3] == status),
        "{some:?}"
    );
    assert!(main_text(&b)
        .await
        .contains(&plural(some.len(), "contract", "contracts")));
    accessible(&b, "contracts of one status").await;
    follow(&b, "main thead th a[href*='sort=ends']", "sort=ends").await;
    assert!(b.url().await.contains("status="), "the filter is kept");
    let ends: Vec<chrono::NaiveDate> = rows(&b)
        .await
        .iter()
        .map(|r| chrono::NaiveDate::parse_from_str(&r[4], "%d %b %Y").unwrap())
        .collect();
    assert!(
        ends.windows(2).all(|w| w[0] <= w[1]),
        "by end date: {ends:?}"
    );
    follow(&b, "main thead th a[href*='sort=-ends']", "sort=-ends").await;
    let ends: Vec<chrono::NaiveDate> = rows(&b)
        .await
        .iter()
        .map(|r| chrono::NaiveDate::parse_from_str(&r[4], "%d %b %Y").unwrap())
        .collect();
    assert!(
        ends.windows(2).all(|w| w[0] >= w[1]),
        "latest first: {ends:?}"
    );
    for href in [
        attrs(&b, "main a[href^='/contracts.csv']", "href").await,
        attrs(&b, "main a[href^='/contracts.xlsx']", "href").await,
    ] {
        assert_eq!(href.len(), 1);
        let d = download(&b, &href[0]).await;
        assert_eq!(d.status, 200, "{}", href[0]);
        assert!(d.disposition.starts_with("attachment"), "{}", href[0]);
    }
    accessible(&b, "contracts sorted").await;
    b.quit().await;
}

/// Journey 7: the administrator changes a provider's telephone number, then finds the change
/// on the audit trail: the record type chosen from a list, a date range, what changed read
/// as "field: old → new" (not raw JSON), and a link to the record. A range with nothing in
/// it says so and what to do (journey 9).
#[tokio::test]
async fn journey_7_the_audit_trail_reads_as_changes_with_links() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-journeys-audit", true);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "admin", 0).await;

    // An edit to audit: a provider's telephone number.
    follow(&b, "#navigation a[href='/providers']", "/providers").await;
    accessible(&b, "providers").await;
    let href = attrs(&b, "main tbody a[href^='/providers/']", "href").await[0].clone();
    follow(&b, &format!("main tbody a[href='{href}']"), &href).await;
    accessible(&b, "a provider").await;
    let edit = format!("{href}/edit");
    follow(&b, &format!("main a[href='{edit}']"), &edit).await;
    accessible(&b, "a provider's edit form").await;
    let old_phone = b
        .execute("return document.querySelector('#phone').value;")
        .await
        .as_str()
        .unwrap()
        .to_string();
    let new_phone = "01632 960999";
    assert_ne!(old_phone, new_phone);
    clear(&b, "#phone").await;
    b.type_into("#phone", new_phone).await;
    b.click(&format!("form[action='{edit}'] button[type=submit]"))
        .await;
    b.wait_text(new_phone).await;
    assert!(!b.url().await.contains("/edit"), "saved");

    // The audit trail, from the header.
    follow(&b, "#navigation a[href='/admin/audit']", "/admin/audit").await;
    accessible(&b, "audit trail").await;
    let tag = b
        .execute("return document.querySelector('#record_type').tagName;")
        .await;
    assert_eq!(
        tag.as_str(),
        Some("SELECT"),
        "the record type is a list to choose from"
    );
    let record_types = texts(&b, "#record_type option").await;
    assert!(
        record_types.contains(&"Provider".to_string()),
        "{record_types:?}"
    );
    choose(&b, "#record_type", "Provider").await;
    let today = hearth_domain::clock::uk_today();
    use chrono::Datelike;
    for field in ["from", "to"] {
        b.type_into(&format!("#{field}"), &today.day().to_string())
            .await;
        b.type_into(&format!("#{field}-month"), &today.month().to_string())
            .await;
        b.type_into(&format!("#{field}-year"), &today.year().to_string())
            .await;
    }
    follow(
        &b,
        "form[action='/admin/audit'] button[type=submit]",
        "record_type=provider",
    )
    .await;
    accessible(&b, "audit trail searched").await;
    // The boxes keep what was typed.
    let kept = b
        .execute("return [document.querySelector('#from').value, document.querySelector('#to-year').value];")
        .await;
    assert_eq!(kept[0].as_str(), Some(today.day().to_string().as_str()));
    assert_eq!(kept[1].as_str(), Some(today.year().to_string().as_str()));
    let head = headers(&b).await;
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let (when, record, changed) = (col("When"), col("Record"), col("What changed"));
    let entries = rows(&b).await;
    assert!(!entries.is_empty(), "today's edit is found");
    let today_text = today.format("%-d %b %Y").to_string();
    for e in &entries {
        assert!(e[when].starts_with(&today_text), "within the dates: {e:?}");
        assert!(e[record].starts_with("Provider "), "providers only: {e:?}");
        assert!(
            !e[changed].contains('{') && !e[changed].contains("\":"),
            "no raw JSON: {e:?}"
        );
    }
    let edit_entry = entries
        .iter()
        .find(|e| e[changed].contains(new_phone))
        .expect("the edit is listed");
    assert!(
        edit_entry[changed]
            .lines()
            .any(|l| l == format!("phone: {old_phone} → {new_phone}")),
        "the changed field reads old → new: {edit_entry:?}"
    );
    assert!(
        !edit_entry[changed].contains("name:"),
        "only the fields that changed: {edit_entry:?}"
    );
    let old_shown = texts(&b, "[data-testid=changes] del.hearth-old").await;
    let new_shown = texts(&b, "[data-testid=changes] ins.hearth-new").await;
    assert!(old_shown.contains(&old_phone) && new_shown.contains(&new_phone.to_string()));
    // The record links to its page.
    let links = attrs(&b, "main tbody a[href^='/providers/']", "href").await;
    assert!(links.contains(&href), "{links:?}");
    follow(&b, &format!("main tbody a[href='{href}']"), &href).await;
    assert!(main_text(&b).await.contains(new_phone));

    // Dates with nothing in them: said so, with what to do.
    follow(&b, "#navigation a[href='/admin/audit']", "/admin/audit").await;
    for (field, value) in [("from", ["1", "1", "2001"]), ("to", ["31", "1", "2001"])] {
        b.type_into(&format!("#{field}"), value[0]).await;
        b.type_into(&format!("#{field}-month"), value[1]).await;
        b.type_into(&format!("#{field}-year"), value[2]).await;
    }
    follow(
        &b,
        "form[action='/admin/audit'] button[type=submit]",
        "from-year=2001",
    )
    .await;
    assert_eq!(
        b.text_of("[data-testid=empty]").await,
        "No entries match this search. Clear a filter or widen the dates."
    );
    assert!(rows(&b).await.is_empty());
    accessible(&b, "audit trail with nothing found").await;
    b.quit().await;
}

/// Journey 8: the directory on a phone. After a search by postcode (Enter in the field), the
/// first result is within the first screen; a service's "Back to search" returns to the same
/// search; a postcode Hearth does not know and a distance out of range are listed in the
/// error summary in the form's order.
#[tokio::test]
async fn journey_8_the_directory_on_a_phone() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-journeys-directory", true);
    // An invented postcode of the demo area.
    let postcodes = std::fs::read_to_string(data.0.join("demo-postcodes.csv")).unwrap();
    let postcode = postcodes
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').nth(1))
        .unwrap()
        .to_string();
    let b = Browser::start().await;
    b.set_window(390, 844).await;
    b.goto(&server.url("/directory")).await;
    accessible(&b, "directory on a phone").await;

    b.type_into("#postcode", &format!("{postcode}\u{E007}"))
        .await;
    let search = b.wait_url("postcode=").await;
    accessible(&b, "directory results on a phone").await;
    let screen = b
        .execute("return window.innerHeight;")
        .await
        .as_f64()
        .unwrap();
    let top = first_result_top(&b).await;
    assert!(
        top + 40.0 < screen,
        "the first result starts {top} px down a {screen} px screen"
    );
    let count = b.text_of("[data-testid=result-count]").await;
    assert!(
        count.ends_with(" found") && !count.starts_with("0 "),
        "{count}"
    );
    let n: usize = count.split(' ').next().unwrap().parse().unwrap();
    if n == 1 {
        assert_eq!(count, "1 service found");
    }

    // A service, and back to the same search.
    let name = b.text_of("[data-testid=results] li a").await;
    follow(
        &b,
        "[data-testid=results] li a[href^='/directory/services/']",
        "/directory/services/",
    )
    .await;
    assert!(main_text(&b).await.contains(&name));
    accessible(&b, "a service on a phone").await;
    let back = b
        .execute(
            "const a = document.querySelector('[data-testid=back-to-search]'); return a.getBoundingClientRect().top;",
        )
        .await
        .as_f64()
        .unwrap();
    assert!(
        back < screen,
        "Back to search is on the first screen: {back}"
    );
    let back = follow(&b, "[data-testid=back-to-search]", "postcode=").await;
    assert_eq!(
        search_terms(&back),
        search_terms(&search),
        "the same search: {back}, from {search}"
    );
    let kept = b
        .execute("return document.querySelector('#postcode').value;")
        .await;
    assert_eq!(
        kept.as_str(),
        Some(postcode.as_str()),
        "the form keeps the postcode"
    );
    assert_eq!(b.text_of("[data-testid=result-count]").await, count);
    let top = first_result_top(&b).await;
    assert!(top + 40.0 < screen, "still near the top: {top}");

    // A postcode Hearth does not know and a distance too far: the summary lists them in the
    // form's order, and its first link leads to the postcode.
    b.goto(&server.url("/directory")).await;
    b.type_into("#postcode", "ZZ99 9ZZ").await;
    b.type_into("#distance", "5000\u{E007}").await;
    b.wait_text("govuk-error-summary").await;
    assert!(title(&b).await.starts_with("Error: "));
    let order = b
        .execute(
            "const links = [...document.querySelectorAll('.govuk-error-summary__list a')].map(a => a.getAttribute('href'));
             const fields = [...document.querySelectorAll('#search input, #search select')].map(e => '#' + e.id);
             return [links, fields.filter(f => links.includes(f))];",
        )
        .await;
    assert_eq!(order[0], order[1], "the summary in the form's order");
    assert_eq!(order[0][0].as_str(), Some("#postcode"), "{order}");
    assert_eq!(order[0].as_array().unwrap().len(), 2, "{order}");
    let messages = texts(&b, ".govuk-error-summary__list a").await;
    assert!(messages[0].contains("ZZ99 9ZZ"), "{messages:?}");
    accessible(&b, "directory errors on a phone").await;
    b.click(".govuk-error-summary__list a[href='#postcode']")
        .await;
    let focused = b.execute("return document.activeElement.id;").await;
    assert_eq!(focused.as_str(), Some("postcode"));

    // A search that finds nothing says what to try (journey 9).
    b.goto(&server.url("/directory")).await;
    b.type_into("#q", "zzzzqqq\u{E007}").await;
    b.wait_url("q=zzzzqqq").await;
    assert_eq!(
        b.text_of("[data-testid=result-count]").await,
        "0 services found"
    );
    assert!(main_text(&b).await.contains(
        "Try fewer filters, a larger distance, or include services with no places available."
    ));
    accessible(&b, "directory with nothing found").await;
    b.quit().await;
}

/// Waits (up to `secs`) until the page holds `text`; the run's page refreshes itself while
/// its job run works the lines out on the server's runner.
async fn wait_long(b: &Browser, text: &str, secs: u64) -> String {
    let start = std::time::Instant::now();
    loop {
        let html = b.source().await;
        if html.contains(text) {
            return html;
        }
        assert!(
            start.elapsed().as_secs() < secs,
            "waited {secs} s for the page to hold {text:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// The payment run (issue 12): a finance officer prepares the period's run from Payments, the
/// page follows the job run to the preview; a second finance officer approves and pays it;
/// the provider finds the paid period on its Payments page, downloads the remittance advice
/// and a report. Every page is accessible.
#[tokio::test]
async fn payments_a_run_is_prepared_approved_by_a_second_officer_paid_and_its_remittance_read() {
    if !browser_available() {
        return;
    }
    // With the demo's history: a paid year so far, and the last ended period waiting.
    let (data, server) = demo_server("e2e-journeys-payments", true);
    let base = server.url("");
    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "finance", 0).await;
    b.click("a.govuk-service-navigation__link[href='/payments']")
        .await;
    b.wait_url("/payments").await;
    accessible(&b, "payments overview").await;
    // The period offered first is the first unpaid one whose run date has come.
    let chosen = b
        .execute("return document.querySelector('#period').selectedOptions[0].text;")
        .await;
    let period = chosen
        .as_str()
        .unwrap()
        .split(" (")
        .next()
        .unwrap()
        .to_string();
    assert!(period.contains(" P"), "{chosen}");
    b.click("form[action='/payments'] button[type=submit]")
        .await;
    let run_url = b.wait_url("/payments/").await;
    let html = wait_long(&b, "Waiting for approval", 120).await;
    assert!(html.contains(&period) && html.contains("By provider"));
    assert!(
        !html.contains("Approve the run"),
        "the officer who prepared it is not offered approval"
    );
    accessible(&b, "payment run preview").await;
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;

    // The second finance officer approves it, then pays it.
    browser_sign_in(&b, &base, &data.0, "payments", 0).await;
    let path = run_url.trim_start_matches(&base).to_string();
    b.goto(&format!("{base}{path}")).await;
    b.click("form[action$='/approve'] button[type=submit]")
        .await;
    b.wait_text("Run approved").await;
    b.click("form[action$='/commit'] button[type=submit]").await;
    let html = b.wait_text("Run paid").await;
    assert!(
        html.contains("finance.csv"),
        "the finance system's file is offered"
    );
    accessible(&b, "paid run").await;
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;

    // The provider: the paid period on its Payments page, the remittance and a report.
    browser_sign_in(&b, &base, &data.0, "provider", 0).await;
    b.click("a.govuk-service-navigation__link[href='/payments']")
        .await;
    b.wait_url("/payments").await;
    let html = b.wait_text(&period).await;
    assert!(html.contains("Remittance advice"));
    accessible(&b, "provider payments").await;
    let run_id = path.rsplit('/').next().unwrap().to_string();
    let pdf = attrs(&b, "a[href$='/remittance.pdf']", "href")
        .await
        .into_iter()
        .find(|h| h.starts_with(&format!("/payments/{run_id}/")))
        .expect("the paid period's remittance advice");
    let d = download(&b, &pdf).await;
    assert_eq!(d.status, 200);
    assert_eq!(d.head, b"%PDF".to_vec());
    let reports = pdf.replace("/remittance.pdf", "/reports");
    b.click(&format!("a[href='{reports}']")).await;
    b.wait_url("/reports").await;
    let html = b.wait_text("Service user means schedule").await;
    assert!(html.contains(&format!("Reports for {period}")));
    accessible(&b, "provider payment reports").await;
    let csv = download(
        &b,
        &format!("{reports}/service_user_subsidy_schedule?format=csv"),
    )
    .await;
    assert_eq!(csv.status, 200);
    assert!(csv
        .text
        .contains("Client,Days,Due,Charge,Subsidy,Adjustments,Paid"));
    b.quit().await;
    drop(server);
}

/// Day activities (issue 13): the provider records a week with an unplanned absence (an
/// immediate concern) and a bank holiday at a service closed on them, and confirms it; the
/// payment run pays the attended session only; the alert reaches the access point, and the
/// team finds it. Every page is accessible.
#[tokio::test]
async fn day_activities_a_week_is_confirmed_its_attended_session_paid_and_the_alert_reaches_the_team(
) {
    use chrono::{Datelike, Duration};
    use hearth_domain::calendar::{period_of, Region, RegionCalendar};
    use hearth_domain::day_activities::week_start;
    if !browser_available() {
        return;
    }
    let data = Tmp::new("e2e-journeys-day");
    let dir = data.0.to_str().unwrap().to_string();
    let out = hearth()
        .args(["--data-dir", &dir, "demo", "--no-serve"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A day service of the demo provider, closed on bank holidays and paid on actuals, with
    // two people planned in the week of the latest bank holiday that has ended: one on the
    // bank holiday and the day after (or before), one on that other day only, with no social
    // worker, so that their alerts go to the access point.
    let key = std::fs::read_to_string(data.0.join("audit.key")).unwrap();
    let db = hearth_store::Db::connect(&hearth_store::DbConfig {
        url: format!("sqlite://{}", data.0.join("hearth.db").display()),
        max_connections: 1,
        audit_key: key.trim().as_bytes().to_vec(),
    })
    .await
    .unwrap();
    let one = |sql: String| {
        let db = db.clone();
        async move { hearth_store::testing::scalar_i64(&db, &sql).await.unwrap() }
    };
    let pid =
        one("SELECT provider_id FROM services WHERE name = 'Millside Day Centre'".into()).await;
    let aid =
        one("SELECT authority_id FROM services WHERE name = 'Millside Day Centre'".into()).await;
    let region = hearth_store::testing::scalar_text(
        &db,
        &format!("SELECT region FROM authorities WHERE id = {aid}"),
    )
    .await
    .unwrap();
    let calendar = RegionCalendar::rules(Region::parse(&region).unwrap_or(Region::EnglandAndWales));
    let last_week = week_start(hearth_domain::clock::uk_today()) - Duration::weeks(1);
    let holiday = (0..800)
        .map(|k| last_week + Duration::days(6 - k))
        .find(|d| d.weekday().num_days_from_monday() < 5 && calendar.is_bank_holiday(*d))
        .unwrap();
    let week = week_start(holiday);
    let other = (0..5)
        .map(|k| week + Duration::days(k))
        .find(|d| *d != holiday && !calendar.is_bank_holiday(*d))
        .unwrap();
    let code = |d: chrono::NaiveDate| {
        ["mon", "tue", "wed", "thu", "fri"][d.weekday().num_days_from_monday() as usize]
    };
    let from = week - Duration::weeks(4);
    for sql in [
        format!("INSERT INTO services (authority_id, provider_id, reference, name, service_type, term, client_group, contracted_units, created_at, updated_at) VALUES ({aid}, {pid}, 'DAY/E2E', 'Riverside Day Centre', 'day_activities', 'long', 'mental_health', 20, 0, 0)"),
        format!("INSERT INTO contracts (authority_id, provider_id, reference, title, units, unit_rate_pence, start_date, end_date, status, created_at, updated_at, payment_basis) VALUES ({aid}, {pid}, 'DAPL/E2E', 'Riverside', 20, 4000, '{}', '{}', 'steady_state', 0, 0, 'actuals')", from - Duration::days(400), from + Duration::days(800)),
        "INSERT INTO contract_services (contract_id, service_id) SELECT c.id, s.id FROM contracts c, services s WHERE c.reference = 'DAPL/E2E' AND s.reference = 'DAY/E2E'".into(),
        format!("INSERT INTO clients (authority_id, title, first_name, last_name, created_at, updated_at) VALUES ({aid}, 'Mr', 'Alan', 'Riverbank', 0, 0), ({aid}, 'Ms', 'Bea', 'Riverbank', 0, 0)"),
        format!("INSERT INTO day_lines (authority_id, service_id, client_id, client_group, days, session_type, rate_pence, start_date, route, social_worker_name, created_at) SELECT {aid}, s.id, c.id, 'mental_health', '{}', 'full_day', 4000, '{from}', 'framework', 'Duty', 0 FROM services s, clients c WHERE s.reference = 'DAY/E2E' AND c.first_name = 'Alan' AND c.last_name = 'Riverbank'", if holiday < other { format!("{},{}", code(holiday), code(other)) } else { format!("{},{}", code(other), code(holiday)) }),
        format!("INSERT INTO day_lines (authority_id, service_id, client_id, client_group, days, session_type, rate_pence, start_date, route, social_worker_name, created_at) SELECT {aid}, s.id, c.id, 'mental_health', '{}', 'full_day', 4000, '{from}', 'framework', 'Duty', 0 FROM services s, clients c WHERE s.reference = 'DAY/E2E' AND c.first_name = 'Bea' AND c.last_name = 'Riverbank'", code(other)),
    ] {
        hearth_store::testing::exec(&db, &sql).await.unwrap();
    }
    let sid = one("SELECT id FROM services WHERE reference = 'DAY/E2E'".into()).await;
    let bea = one("SELECT l.id FROM day_lines l JOIN clients c ON c.id = l.client_id WHERE c.first_name = 'Bea' AND c.last_name = 'Riverbank'".into()).await;
    drop(db);
    let port = free_port();
    let mut cmd = hearth();
    cmd.args([
        "--data-dir",
        &dir,
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let server = start(cmd, port);
    let base = server.url("");
    let b = Browser::start().await;

    // The provider records the week: the bank holiday is closed, Bea was absent, not planned,
    // with an immediate concern; the rest attended. Then confirms it.
    browser_sign_in(&b, &base, &data.0, "provider", 0).await;
    b.click("a.govuk-service-navigation__link[href='/day-activities']")
        .await;
    b.wait_text("Riverside Day Centre").await;
    accessible(&b, "day activities, provider").await;
    b.goto(&format!("{base}/day-activities/{sid}/weeks/{week}"))
        .await;
    let html = b.wait_text("Service closed (bank holiday)").await;
    assert!(html.contains("Alan Riverbank") && html.contains("Bea Riverbank"));
    accessible(&b, "a week of actuals").await;
    screenshot_if_asked(&b, "provider-day-week").await;
    let f = |part: &str| format!("#s-{bea}-{other}-{part}");
    b.select_value(&f("outcome"), "absent").await;
    b.select_value(&f("reason"), "unknown").await;
    b.execute(&format!(
        "document.querySelector('#s-{bea}-{other}-family_contact').closest('details').open = true; return 1;"
    ))
    .await;
    b.type_into(
        &f("family_contact"),
        "Rang her brother at 10:05: he does not know where she is",
    )
    .await;
    b.select_value(&f("concern"), "social_worker").await;
    b.execute("document.querySelector('#rest_attended').checked = true; return 1;")
        .await;
    // Enter in a field saves (the first button), it never confirms.
    click_and_wait(&b, "#sessions button[type=submit]:not([formaction])").await;
    b.wait_text("Sessions saved").await;
    click_and_wait(&b, "button[formaction$='/confirm']").await;
    let html = b.wait_text("Week confirmed").await;
    assert!(
        !html.contains("Save the sessions"),
        "a confirmed week is not offered for change"
    );
    accessible(&b, "a confirmed week").await;
    // Bea did come after all: the provider asks for a change to the confirmed week.
    b.click(&format!(
        "a[href$='kind=amend_session&line={bea}&date={other}']"
    ))
    .await;
    b.wait_text("Why the confirmed session must change").await;
    accessible(&b, "a request to change a confirmed week").await;
    choose(&b, "#outcome", "Attended").await;
    b.type_into(
        "#details",
        "Bea arrived at 11:30 after a missed bus; the register was updated late",
    )
    .await;
    click_and_wait(
        &b,
        "form[enctype='multipart/form-data'] button[type=submit]",
    )
    .await;
    let html = b.wait_text("Request sent").await;
    assert!(html.contains("Bea Riverbank") && html.contains("A change to a confirmed week"));
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;

    // The finance officer prepares the run of the week's period (or the next run, when that
    // period is paid): Alan's attended session is paid, the bank holiday and Bea's absence
    // are not.
    browser_sign_in(&b, &base, &data.0, "finance", 0).await;
    b.goto(&format!("{base}/payments")).await;
    b.wait_text("Prepare a run").await;
    let anchor = chrono::NaiveDate::from_ymd_opt(2026, 4, 6).unwrap();
    let period = period_of(anchor, holiday).start.to_string();
    b.execute(&format!(
        "const s = document.querySelector('#period'); if ([...s.options].some(o => o.value === {period:?})) {{ s.value = {period:?}; }} return s.value;"
    ))
    .await;
    b.click("form[action='/payments'] button[type=submit]")
        .await;
    let run_url = b.wait_url("/payments/").await;
    wait_long(&b, "Waiting for approval", 120).await;
    let path = run_url.trim_start_matches(&base).to_string();
    let csv = download(&b, &format!("{path}/lines.csv")).await;
    assert_eq!(csv.status, 200);
    let riverside: Vec<&str> = csv
        .text
        .lines()
        .filter(|l| l.contains("Riverside Day Centre"))
        .collect();
    assert_eq!(riverside.len(), 1, "{riverside:?}");
    let week_text = week.format("%-d %b %Y").to_string();
    assert!(
        riverside[0].contains(&format!("Week of {week_text}: 1 session at £40.00")),
        "{riverside:?}"
    );
    b.click("[data-testid=sign-out]").await;
    b.wait_url("/signed-out").await;

    // The team finds the alert, sent to the mental health access point.
    browser_sign_in(&b, &base, &data.0, "officer", 0).await;
    b.click("a.govuk-service-navigation__link[href='/day-activities']")
        .await;
    b.wait_text("Weeks not confirmed").await;
    accessible(&b, "day activities, team").await;
    b.click("a[href='/day-activities/alerts']").await;
    let html = b.wait_text("Bea Riverbank").await;
    assert!(html.contains("Unplanned absence: immediate concern"));
    assert!(
        html.contains("mh.duty.one@example.gov.uk"),
        "to the access point"
    );
    accessible(&b, "absence alerts").await;
    screenshot_if_asked(&b, "team-day-alerts").await;
    // The team authorises the change with the social worker's agreement; the confirmed week
    // then shows Bea as attended.
    b.goto(&format!("{base}/day-activities")).await;
    b.click("a[href='/day-activities/requests']").await;
    b.wait_text("Bea Riverbank").await;
    accessible(&b, "the team's requests").await;
    b.execute(
        "[...document.querySelectorAll('table a')].find(a => a.textContent.includes('Bea Riverbank')).click(); return 1;",
    )
    .await;
    b.wait_text("Record the decision").await;
    accessible(&b, "a request to decide").await;
    b.click("input[name=decision][value=authorise]").await;
    b.type_into("#note", "Agreed by the duty social worker by phone")
        .await;
    click_and_wait(&b, "form[action$='/decide'] button[type=submit]").await;
    let html = b.wait_text("Request authorised").await;
    assert!(html.contains("The provider was told"), "{html}");
    b.goto(&format!("{base}/day-activities/{sid}/weeks/{week}"))
        .await;
    b.wait_text("Bea Riverbank").await;
    let bea_rows: Vec<Vec<String>> = rows(&b)
        .await
        .into_iter()
        .filter(|r| r.first().is_some_and(|c| c == "Bea Riverbank"))
        .collect();
    assert_eq!(bea_rows.len(), 1, "{bea_rows:?}");
    assert_eq!(
        bea_rows[0][2], "Attended",
        "the changed session: {bea_rows:?}"
    );
    b.quit().await;
    drop(server);
}
