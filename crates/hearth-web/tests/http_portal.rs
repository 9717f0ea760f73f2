//! The provider portal and the commissioning team's approvals over HTTP (issue 3, F3.1 to
//! F3.8): the new-schedule form with every field, "copy address from property" and bad input;
//! the officer's queue, filters, the changes table, approval, rejection, the approval
//! conflict and read-only staff; schedule updates and changes of service; available places
//! and service details; contract documents (multipart upload, download, comments, signing,
//! history); contacts, assignments, deactivation and login requests; actions.
//!
//! The use-case rules themselves are tested in `hearth-app/tests/{requests,portal}.rs`; these
//! tests drive the forms (with their CSRF tokens), read the redirects and the pages, and
//! check what the database holds afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

use hearth_app::Principal;
use hearth_store::{
    Property, Request, RequestFilter, ScheduleRow, ScheduleSort, Service, ServiceFilter,
};

// ---------------- helpers ----------------

/// How the pages escape text (maud escapes &, <, > and ").
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for ch in s.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The services a principal may see.
async fn visible_services(t: &TestApp, p: &Principal) -> Vec<Service> {
    let mut f = p.service_filter();
    f.per_page = 1000;
    t.app.db_for_tests().list_services(&f).await.unwrap().items
}

async fn properties_of(t: &TestApp, service_id: i64) -> Vec<Property> {
    t.app
        .db_for_tests()
        .list_properties(&ServiceFilter {
            only_ids: Some(vec![service_id]),
            per_page: 1000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items
}

async fn current_schedules(t: &TestApp, service_id: i64) -> Vec<ScheduleRow> {
    let today = t.app.today().to_string();
    t.app
        .db_for_tests()
        .service_schedules(service_id, &today, false, ScheduleSort::Name, 1, 1000)
        .await
        .unwrap()
        .items
}

/// A current schedule of `service_id` whose client has no schedule anywhere else.
async fn lone_schedule(t: &TestApp, service_id: i64, skip: &[i64]) -> ScheduleRow {
    for s in current_schedules(t, service_id).await {
        if skip.contains(&s.id) || s.units_per_week > 160 {
            continue;
        }
        let all = t
            .app
            .db_for_tests()
            .client_schedules(s.client_id)
            .await
            .unwrap();
        if all.iter().all(|x| x.service_id == service_id) {
            return s;
        }
    }
    panic!("demo data: service {service_id} has a current schedule of a client seen nowhere else");
}

async fn all_requests(t: &TestApp) -> Vec<Request> {
    t.app
        .db_for_tests()
        .list_requests(&RequestFilter {
            limit: 100_000,
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn request_count(t: &TestApp) -> usize {
    all_requests(t).await.len()
}

/// The demo provider 0's services the journeys use: an accommodation-based short-term
/// service with properties, a long-term service, and another service to move a client to.
struct Fixture {
    provider_id: i64,
    contact_id: i64,
    accommodation: Service,
    properties: Vec<Property>,
    long_term: Service,
    other: Service,
}

async fn fixture(t: &TestApp) -> Fixture {
    let p = principal(t, "provider").await;
    let services = visible_services(t, &p).await;
    let mut accommodation = None;
    for s in services
        .iter()
        .filter(|s| s.service_type == "accommodation_based" && s.term == "short")
    {
        let props = properties_of(t, s.id).await;
        if !props.is_empty() && !current_schedules(t, s.id).await.is_empty() {
            accommodation = Some((s.clone(), props));
            break;
        }
    }
    let (accommodation, properties) = accommodation
        .expect("demo data: provider 0 runs a short-term accommodation service with properties");
    let long_term = services
        .iter()
        .find(|s| s.term == "long")
        .expect("demo data: provider 0 runs a long-term service")
        .clone();
    let other = services
        .iter()
        .find(|s| s.id != accommodation.id && s.id != long_term.id)
        .expect("demo data: provider 0 runs a third service")
        .clone();
    Fixture {
        provider_id: provider_id(&p),
        contact_id: contact_id(&p),
        accommodation,
        properties,
        long_term,
        other,
    }
}

fn dmy(d: chrono::NaiveDate) -> String {
    d.format("%-d/%-m/%Y").to_string()
}

fn in_days(t: &TestApp, n: i64) -> chrono::NaiveDate {
    t.app.today() + chrono::Duration::days(n)
}

/// Follows a 303 and returns (location, status, body) of the page it leads to.
async fn follow(c: &Client, r: reqwest::Response, what: &str) -> (String, u16, String) {
    assert_eq!(r.status(), 303, "{what}: a successful POST redirects");
    let to = location(&r);
    assert!(!to.is_empty(), "{what}: a location");
    let (status, body) = c.text(&to).await;
    (to, status, body)
}

/// The number right after `prefix` in a location ("/requests/12?sent=1" gives 12).
fn id_after(location: &str, prefix: &str) -> i64 {
    let rest = location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"));
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no id in {location}"))
}

/// Whether the input named `field` shows `value` (already escaped).
fn shows_value(body: &str, field: &str, value: &str) -> bool {
    let marker = format!("name=\"{field}\"");
    body.match_indices(&marker).any(|(i, _)| {
        let tag_end = body[i..].find('>').map_or(body.len(), |e| i + e);
        body[i..tag_end].contains(&format!("value=\"{value}\""))
    })
}

/// Whether the date input `field` shows `value` ("d/m/y" across its three boxes; anything
/// else stays whole in the day box).
fn shows_date(body: &str, field: &str, value: &str) -> bool {
    let parts: Vec<&str> = value.splitn(3, '/').map(str::trim).collect();
    match parts.as_slice() {
        [d, m, y] => {
            shows_value(body, &format!("{field}-day"), d)
                && shows_value(body, &format!("{field}-month"), m)
                && shows_value(body, &format!("{field}-year"), y)
        }
        _ => shows_value(body, &format!("{field}-day"), value.trim()),
    }
}

/// The text of the textarea named `field`.
fn textarea_text(body: &str, field: &str) -> String {
    let marker = format!("name=\"{field}\"");
    let Some(i) = body.find(&marker) else {
        return String::new();
    };
    let rest = &body[i..];
    let Some(open_end) = rest.find('>') else {
        return String::new();
    };
    let rest = &rest[open_end + 1..];
    rest[..rest.find("</textarea>").unwrap_or(0)].to_string()
}

/// A 422 with a GOV.UK error summary linking to each field and the message beside each field.
fn assert_invalid(status: u16, body: &str, fields: &[&str], what: &str) {
    assert_eq!(status, 422, "{what}: bad input answers 422");
    let summary = error_summary(body);
    assert!(
        summary.contains("There is a problem"),
        "{what}: a GOV.UK error summary"
    );
    for f in fields {
        assert!(
            summary.contains(&format!("href=\"#{f}\"")),
            "{what}: the summary links to {f}\n{summary}"
        );
        assert!(
            !field_error(body, f).is_empty(),
            "{what}: a message beside {f}"
        );
    }
}

/// The text of the label of the control `name`.
fn label_of(body: &str, name: &str) -> Option<String> {
    let marker = format!("for=\"{name}\">");
    let i = body.find(&marker)? + marker.len();
    let rest = &body[i..];
    Some(strip_tags(&rest[..rest.find("</label>")?]))
}

/// The legend of the date input whose boxes are named `NAME-day` and so on.
fn legend_of(body: &str, name: &str) -> Option<String> {
    let hint = body.find(&format!("id=\"{name}-hint\""))?;
    let start = body[..hint].rfind("<legend")?;
    let rest = &body[start..];
    let rest = &rest[rest.find('>')? + 1..];
    Some(strip_tags(&rest[..rest.find("</legend>")?]))
}

/// The number on a home-page card.
fn home_count(body: &str, label: &str) -> i64 {
    let at = body
        .find(&format!(">{label}</"))
        .unwrap_or_else(|| panic!("no {label:?} card on the home page"));
    let before = &body[..at];
    let i = before
        .rfind("class=\"hearth-count\"")
        .unwrap_or_else(|| panic!("no count for {label:?}"));
    let rest = &before[i..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    rest[..rest.find('<').unwrap()]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("the {label:?} card shows a number"))
}

/// The value of a summary-list row.
fn summary_value(body: &str, key: &str) -> String {
    let marker = format!(">{key}</dt>");
    let Some(i) = body.find(&marker) else {
        return String::new();
    };
    let rest = &body[i + marker.len()..];
    let end = rest.find("</dd>").unwrap_or(rest.len());
    strip_tags(&rest[..end])
}

/// A row of the "what this request changes" table: (struck-through old, highlighted new).
fn change_row(body: &str, label: &str) -> Option<(Option<String>, Option<String>)> {
    let table_at = body.find("data-testid=\"changes\"")?;
    let table = &body[table_at..];
    let table = &table[..table.find("</table>").unwrap_or(table.len())];
    let row_at = table.find(&format!(">{}</th>", esc(label)))?;
    let row = &table[row_at..];
    let row = &row[..row.find("</tr>").unwrap_or(row.len())];
    let marked = |open: &str, close: &str| -> Option<String> {
        let i = row.find(open)?;
        let rest = &row[i + open.len()..];
        let text = strip_tags(&rest[..rest.find(close)?]);
        Some(
            text.trim_start_matches("removed:")
                .trim_start_matches("new:")
                .trim()
                .to_string(),
        )
    };
    Some((
        marked("<del class=\"hearth-old\">", "</del>"),
        marked("<ins class=\"hearth-new\">", "</ins>"),
    ))
}

fn link(path: &str) -> String {
    format!("href=\"{path}\"")
}

/// A valid new-schedule form (short- or long-term).
fn new_schedule_fields(t: &TestApp, first: &str, last: &str) -> Vec<(&'static str, String)> {
    vec![
        ("title", "Ms".into()),
        ("first_name", first.into()),
        ("last_name", last.into()),
        ("date_of_birth", "14/2/1958".into()),
        ("ethnicity", "White British".into()),
        ("address", "Flat 2, 9 Mill Lane".into()),
        ("address2", "".into()),
        ("town", "Brackenshire".into()),
        ("postcode", "bk1 2aa".into()),
        ("uprn", "100012345678".into()),
        ("ni_number", "AB123456C".into()),
        ("hb_number", "12345678".into()),
        ("level", "Service Level 1".into()),
        ("tenancy_reference", "T-2291".into()),
        ("start_date", dmy(in_days(t, -3))),
        ("units_per_week", "3".into()),
        ("comment", "Referred by the housing options team".into()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn with(
    mut v: Vec<(&'static str, String)>,
    field: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    for (k, val) in &mut v {
        if *k == field {
            *val = value.to_string();
        }
    }
    v
}

/// Submits a valid new-schedule request through the form; returns the request's id.
async fn submit_new_schedule(
    t: &TestApp,
    c: &Client,
    service_id: i64,
    first: &str,
    last: &str,
) -> i64 {
    let fields = new_schedule_fields(t, first, last);
    let r = c
        .post_form(
            &format!("/services/{service_id}/schedules/new"),
            &refs(&fields),
        )
        .await;
    assert_eq!(
        r.status(),
        303,
        "{}: a valid new schedule is sent",
        t.db_name
    );
    id_after(&location(&r), "/requests/")
}

/// Sends the "request an update" form of a schedule.
async fn submit_schedule_update(
    c: &Client,
    schedule_id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    c.post_form(&format!("/schedules/{schedule_id}"), fields)
        .await
}

/// The officer approves a request from its page.
async fn approve(c: &Client, request_id: i64) -> reqwest::Response {
    let token = c.csrf_from(&format!("/requests/{request_id}")).await;
    c.post_raw(
        &format!("/requests/{request_id}/approve"),
        &[("remarks", "")],
        Some(&token),
    )
    .await
}

async fn status_of(t: &TestApp, request_id: i64) -> String {
    t.app
        .db_for_tests()
        .request(request_id)
        .await
        .unwrap()
        .unwrap()
        .status
}

// ---------------- multipart (the harness client has no multipart feature) ----------------

const BOUNDARY: &str = "----HearthTestBoundary7MA4YWxkTrZu0gW";

/// One part: name, optional (file name, content type), content.
struct Part<'a> {
    name: &'a str,
    file: Option<(&'a str, &'a str)>,
    content: &'a [u8],
}

fn multipart_body(parts: &[Part]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match p.file {
            Some((filename, ct)) => {
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{}\"; filename=\"{filename}\"\r\n",
                        p.name
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(format!("Content-Type: {ct}\r\n\r\n").as_bytes());
            }
            None => out.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{}\"\r\n\r\n",
                    p.name
                )
                .as_bytes(),
            ),
        }
        out.extend_from_slice(p.content);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// Adds a document to a contract as the form does: csrf, title and a file part.
async fn add_document(
    c: &Client,
    contract_id: i64,
    title: &str,
    file: (&str, &str, &[u8]),
) -> reqwest::Response {
    let csrf = c.csrf_from(&format!("/contracts/{contract_id}")).await;
    let (filename, ct, content) = file;
    let body = multipart_body(&[
        Part {
            name: "csrf",
            file: None,
            content: csrf.as_bytes(),
        },
        Part {
            name: "document_type",
            file: None,
            content: b"specification",
        },
        Part {
            name: "title",
            file: None,
            content: title.as_bytes(),
        },
        Part {
            name: "file",
            file: Some((filename, ct)),
            content,
        },
    ]);
    c.http
        .post(format!("{}/contracts/{contract_id}/documents", c.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

// ---------------- 1. the new-schedule journey ----------------

#[tokio::test]
async fn a_provider_requests_a_new_schedule_with_every_field_of_the_form() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let c = t.signed_in("provider").await;
        let (_, home) = c.text("/home").await;
        let pending_before = home_count(&home, "Requests pending");

        // Services, then a service, then its "Request a new schedule".
        let (status, body) = c.text("/services").await;
        assert_eq!(status, 200);
        assert!(
            body.contains(&link(&format!("/services/{}", f.accommodation.id))),
            "{name}: the service is listed"
        );
        let (status, body) = c.text(&format!("/services/{}", f.accommodation.id)).await;
        assert_eq!(status, 200);
        let new_path = format!("/services/{}/schedules/new", f.accommodation.id);
        assert!(
            body.contains(&link(&new_path)),
            "{name}: the service page links to the new-schedule form"
        );

        let (status, form) = c.text(&new_path).await;
        assert_eq!(status, 200, "{name}");
        assert!(
            extract_csrf(&form).is_some(),
            "the form carries a CSRF token"
        );
        // Every field of the source form; the mandatory ones are those not marked "(optional)".
        let fields: &[(&str, &str, bool)] = &[
            ("title", "title", false),
            ("first_name", "forename", true),
            ("last_name", "surname", true),
            ("date_of_birth", "date of birth", false),
            ("ethnicity", "ethnicity", false),
            ("address", "address line 1", false),
            ("address2", "address line 2", false),
            ("town", "town", false),
            ("postcode", "postcode", false),
            ("uprn", "uprn", false),
            ("ni_number", "national insurance", false),
            ("hb_number", "housing benefit", false),
            ("tenancy_reference", "tenancy reference", false),
            ("start_date", "start date", true),
            ("units_per_week", "units per week", true),
            ("comment", "comment", false),
        ];
        for (field, words, mandatory) in fields {
            // A date is three boxes under one legend (GOV.UK date input).
            let date = field.ends_with("_date") || *field == "date_of_birth";
            let input = if date {
                format!("{field}-day")
            } else {
                field.to_string()
            };
            assert!(
                form.contains(&format!("name=\"{input}\"")),
                "{name}: the form has {field}"
            );
            let label = if date {
                legend_of(&form, field)
            } else {
                label_of(&form, field)
            }
            .unwrap_or_else(|| panic!("{field} has a label"));
            assert!(
                label.to_lowercase().contains(words),
                "{field}: label {label:?} should mention {words:?}"
            );
            assert_eq!(
                !label.ends_with("(optional)"),
                *mandatory,
                "{field}: label {label:?} marks it mandatory={mandatory}"
            );
        }
        assert!(
            form.contains("name=\"returning\" type=\"checkbox\""),
            "{name}: the returning-client checkbox"
        );
        assert!(label_of(&form, "returning")
            .unwrap()
            .to_lowercase()
            .contains("returning client"));
        assert!(
            form.contains("name=\"copy_property\" value=\"yes\""),
            "{name}: the copy-address button"
        );
        for p in &f.properties {
            assert!(
                form.contains(&format!("<option value=\"{}\"", p.id)),
                "{name}: property {} offered",
                p.id
            );
        }
        // On a long-term service the housing benefit number is asked for as mandatory.
        let (status, long_form) = c
            .text(&format!("/services/{}/schedules/new", f.long_term.id))
            .await;
        assert_eq!(status, 200);
        let hb = label_of(&long_form, "hb_number").unwrap();
        assert!(
            !hb.ends_with("(optional)"),
            "{name}: long-term services mark the housing benefit number mandatory ({hb:?})"
        );

        // "Copy address from property" fills the address, keeps what was typed, sends nothing.
        let before = request_count(&t).await;
        let p = f.properties.last().unwrap();
        let r = c
            .post_form(
                &new_path,
                &[
                    ("copy_property", "yes"),
                    ("property_id", &p.id.to_string()),
                    ("first_name", "Nadia"),
                    ("last_name", "Quillfeather"),
                    ("comment", "Moved in last week"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200, "{name}: the form is shown again");
        let body = r.text().await.unwrap();
        assert!(
            error_summary(&body).is_empty(),
            "{name}: no errors when copying"
        );
        assert!(
            shows_value(&body, "address", &esc(&p.address_line1)),
            "{name}: address line 1 copied"
        );
        assert!(
            shows_value(&body, "address2", &esc(&p.address_line2)),
            "{name}: address line 2 copied"
        );
        assert!(
            shows_value(&body, "town", &esc(&p.town)),
            "{name}: town copied"
        );
        assert!(
            shows_value(&body, "postcode", &esc(&p.postcode)),
            "{name}: postcode copied"
        );
        if let Some(u) = &p.uprn {
            assert!(shows_value(&body, "uprn", u), "{name}: UPRN copied");
        }
        assert!(
            body.contains(&format!("<option value=\"{}\" selected", p.id)),
            "{name}: the property stays selected"
        );
        assert!(
            shows_value(&body, "first_name", "Nadia")
                && shows_value(&body, "last_name", "Quillfeather"),
            "{name}: typed names kept"
        );
        assert_eq!(textarea_text(&body, "comment"), "Moved in last week");
        assert_eq!(
            request_count(&t).await,
            before,
            "{name}: copying creates no request"
        );
        // Copying without choosing a property says so.
        let r = c
            .post_form(
                &new_path,
                &[
                    ("copy_property", "yes"),
                    ("property_id", ""),
                    ("first_name", "Nadia"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["property_id"], "copy without a property");
        assert_eq!(request_count(&t).await, before);

        // Invalid input: 422, the error summary and messages, what was typed kept, nothing sent.
        let good = new_schedule_fields(&t, "Nadia", "Quillfeather");
        #[allow(clippy::type_complexity)]
        let cases: Vec<(&str, i64, Vec<(&'static str, String)>, &str, Option<&str>)> = vec![
            (
                "bad NI number",
                f.accommodation.id,
                with(good.clone(), "ni_number", "QQ123"),
                "ni_number",
                None,
            ),
            (
                "bad postcode",
                f.accommodation.id,
                with(good.clone(), "postcode", "NOT A POSTCODE"),
                "postcode",
                None,
            ),
            (
                "missing surname",
                f.accommodation.id,
                with(good.clone(), "last_name", ""),
                "last_name",
                Some("surname"),
            ),
            (
                "long-term service without HB or NI number",
                f.long_term.id,
                with(with(good.clone(), "hb_number", ""), "ni_number", ""),
                "hb_number",
                Some("housing benefit number"),
            ),
        ];
        for (what, service_id, fields, field, message) in cases {
            let r = c
                .post_form(
                    &format!("/services/{service_id}/schedules/new"),
                    &refs(&fields),
                )
                .await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_invalid(status, &body, &[field], &format!("{name}: {what}"));
            if let Some(m) = message {
                assert!(
                    field_error(&body, field).contains(m),
                    "{name}: {what}: the message mentions {m:?}: {}",
                    field_error(&body, field)
                );
            }
            for (k, v) in &fields {
                if *k == "comment" {
                    assert_eq!(
                        textarea_text(&body, k),
                        *v,
                        "{name}: {what}: the comment is kept"
                    );
                } else if k.ends_with("_date") || *k == "date_of_birth" {
                    assert!(
                        shows_date(&body, k, &esc(v)),
                        "{name}: {what}: {k} keeps {v:?}"
                    );
                } else if !matches!(*k, "ethnicity") {
                    assert!(
                        shows_value(&body, k, &esc(v)),
                        "{name}: {what}: {k} keeps {v:?}"
                    );
                }
            }
            assert!(
                body.contains("<option value=\"White British\" selected"),
                "{name}: {what}: the ethnicity stays chosen"
            );
            assert_eq!(
                request_count(&t).await,
                before,
                "{name}: {what}: no request created"
            );
        }

        // A valid submission becomes a pending request.
        let r = c.post_form(&new_path, &refs(&good)).await;
        let (to, status, page) = follow(&c, r, "new schedule").await;
        assert!(to.ends_with("?sent=1"), "{to}");
        let rid = id_after(&to, "/requests/");
        assert_eq!(status, 200);
        assert!(
            page.contains("Request sent"),
            "{name}: the request page confirms it was sent"
        );
        assert_eq!(summary_value(&page, "Status"), "Pending");
        assert_eq!(
            request_count(&t).await,
            before + 1,
            "{name}: exactly one request"
        );
        let req = t.app.db_for_tests().request(rid).await.unwrap().unwrap();
        assert_eq!(
            (req.kind.as_str(), req.status.as_str()),
            ("new_schedule", "pending")
        );
        assert_eq!(
            (req.provider_id, req.service_id),
            (f.provider_id, Some(f.accommodation.id))
        );
        assert_eq!(req.comment, "Referred by the housing options team");

        // Listed under "Your requests", counted on the home page, and not yet a schedule.
        let (status, list) = c.text("/requests").await;
        assert_eq!(status, 200);
        assert!(
            list.contains(&link(&format!("/requests/{rid}"))),
            "{name}: the request is listed"
        );
        assert!(
            list.contains("Nadia Quillfeather"),
            "{name}: with its summary"
        );
        let (_, home) = c.text("/home").await;
        assert_eq!(
            home_count(&home, "Requests pending"),
            pending_before + 1,
            "{name}: the home page counts it"
        );
        let (_, service_page) = c.text(&format!("/services/{}", f.accommodation.id)).await;
        assert!(
            !service_page.contains("Quillfeather"),
            "{name}: not on the schedule list until approved"
        );
        assert!(
            service_page.contains("1 pending request"),
            "{name}: the service page shows it pending"
        );
    }
}

// ---------------- 2. the officer's queue and decisions ----------------

#[tokio::test]
async fn an_officer_filters_the_queue_sees_the_changes_and_approves_or_rejects() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let limited = principal(&t, "limited").await;
        let limited_service = visible_services(&t, &limited).await.remove(0);
        let provider = t.signed_in("provider").await;
        let lim = t.signed_in("limited").await;

        let r_new =
            submit_new_schedule(&t, &provider, f.accommodation.id, "Nadia", "Quillfeather").await;
        let r_lim = submit_new_schedule(&t, &lim, limited_service.id, "Owen", "Brackwater").await;
        let s = lone_schedule(&t, f.accommodation.id, &[]).await;
        let units = s.units_per_week.to_string();
        let up1 = (s.units_per_week + 1).to_string();
        let up2 = (s.units_per_week + 2).to_string();
        let r = submit_schedule_update(
            &provider,
            s.id,
            &[("level", &s.level), ("units_per_week", &up1)],
        )
        .await;
        assert_eq!(r.status(), 303, "{name}: update request 1");
        let r_up1 = id_after(&location(&r), "/requests/");
        let r = submit_schedule_update(
            &provider,
            s.id,
            &[("level", &s.level), ("units_per_week", &up2)],
        )
        .await;
        assert_eq!(r.status(), 303, "{name}: update request 2");
        let r_up2 = id_after(&location(&r), "/requests/");
        assert_eq!(
            t.app
                .db_for_tests()
                .request(r_up1)
                .await
                .unwrap()
                .unwrap()
                .kind,
            "update_schedule"
        );

        // The queue and its filters.
        let officer = t.signed_in("officer").await;
        let shows = |body: &str, id: i64| body.contains(&link(&format!("/requests/{id}")));
        let (status, queue) = officer.text("/requests").await;
        assert_eq!(status, 200);
        for id in [r_new, r_lim, r_up1, r_up2] {
            assert!(shows(&queue, id), "{name}: request {id} in the queue");
        }
        let p1 = provider_id(&limited);
        let (_, q) = officer
            .text(&format!("/requests?provider={}", f.provider_id))
            .await;
        assert!(
            shows(&q, r_new) && shows(&q, r_up1) && !shows(&q, r_lim),
            "{name}: filtered to provider 0"
        );
        let (_, q) = officer.text(&format!("/requests?provider={p1}")).await;
        assert!(
            shows(&q, r_lim) && !shows(&q, r_new) && !shows(&q, r_up1),
            "{name}: filtered to provider 1"
        );
        let (_, q) = officer.text("/requests?kind=new_schedule").await;
        assert!(
            shows(&q, r_new) && shows(&q, r_lim) && !shows(&q, r_up1),
            "{name}: filtered to new schedules"
        );
        let (_, q) = officer.text("/requests?kind=update_schedule").await;
        assert!(
            shows(&q, r_up1) && shows(&q, r_up2) && !shows(&q, r_new),
            "{name}: filtered to updates"
        );
        let (_, q) = officer
            .text(&format!(
                "/requests?provider={}&kind=update_schedule",
                f.provider_id
            ))
            .await;
        assert!(
            shows(&q, r_up1) && !shows(&q, r_new) && !shows(&q, r_lim),
            "{name}: filters combine"
        );
        let (_, q) = officer.text("/requests?older_than_days=1").await;
        assert!(
            [r_new, r_lim, r_up1, r_up2]
                .iter()
                .all(|id| !shows(&q, *id)),
            "{name}: nothing waits more than a day yet"
        );
        let (_, q) = officer.text("/requests?older_than_days=0").await;
        assert!(shows(&q, r_new), "{name}: 0 days is no age filter");

        // What a request changes: new values highlighted; removed ones struck through.
        let (status, page) = officer.text(&format!("/requests/{r_new}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains("<ins class=\"hearth-new\">"),
            "{name}: new values are highlighted"
        );
        assert_eq!(
            change_row(&page, "Surname"),
            Some((None, Some("Quillfeather".into()))),
            "{name}"
        );
        assert_eq!(
            change_row(&page, "Postcode"),
            Some((None, Some("BK1 2AA".into()))),
            "{name}: normalised"
        );
        assert!(
            page.contains("data-testid=\"approve\"") && page.contains("data-testid=\"reject\"")
        );
        let (_, page) = officer.text(&format!("/requests/{r_up1}")).await;
        assert!(
            page.contains("<del class=\"hearth-old\">"),
            "{name}: removed values are struck through"
        );
        assert_eq!(
            change_row(&page, "Estimated units per week"),
            Some((Some(units.clone()), Some(up1.clone()))),
            "{name}"
        );
        assert_eq!(
            change_row(&page, "Service level"),
            None,
            "{name}: unchanged fields are not listed"
        );

        // Approve: the client appears on the provider's schedule list.
        let token = officer.csrf_from(&format!("/requests/{r_new}")).await;
        let r = officer
            .post_raw(
                &format!("/requests/{r_new}/approve"),
                &[("remarks", "Checked against HB records")],
                Some(&token),
            )
            .await;
        let (to, status, page) = follow(&officer, r, "approve").await;
        assert_eq!(
            (to.as_str(), status),
            (format!("/requests/{r_new}?decided=1").as_str(), 200)
        );
        assert_eq!(summary_value(&page, "Status"), "Approved", "{name}");
        assert!(page.contains("Checked against HB records"));
        assert!(
            !page.contains("data-testid=\"approve\""),
            "{name}: no decision buttons once decided"
        );
        let (_, list) = provider
            .text(&format!("/services/{}", f.accommodation.id))
            .await;
        assert!(
            list.contains("Quillfeather, Nadia"),
            "{name}: the client is on the schedule list"
        );
        let (_, mine) = provider.text(&format!("/requests/{r_new}")).await;
        assert_eq!(summary_value(&mine, "Status"), "Approved");
        // Deciding twice is refused.
        let r = officer
            .post_raw(
                &format!("/requests/{r_new}/approve"),
                &[("remarks", "")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 409, "{name}: already approved");

        // Reject: remarks are required; with them the provider sees the rejection.
        let r = officer
            .post_raw(
                &format!("/requests/{r_lim}/reject"),
                &[("remarks", "  ")],
                Some(&token),
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["remarks"], "reject without remarks");
        assert_eq!(
            status_of(&t, r_lim).await,
            "pending",
            "{name}: still pending"
        );
        let r = officer
            .post_raw(
                &format!("/requests/{r_lim}/reject"),
                &[("remarks", "The start date is before the referral")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        assert_eq!(status_of(&t, r_lim).await, "rejected");
        let (_, page) = lim.text(&format!("/requests/{r_lim}")).await;
        assert_eq!(summary_value(&page, "Status"), "Rejected", "{name}");
        assert!(
            page.contains("The start date is before the referral"),
            "{name}: the provider sees the remarks"
        );
        let (_, list) = lim.text("/requests").await;
        assert!(
            list.contains(&link(&format!("/requests/{r_lim}"))) && list.contains(">Rejected<"),
            "{name}"
        );

        // Read-only staff may look but not decide.
        let board = t.signed_in("board").await;
        let (status, page) = board.text(&format!("/requests/{r_up2}")).await;
        assert_eq!(status, 200);
        assert!(
            !page.contains("data-testid=\"approve\""),
            "{name}: no decision buttons for read-only staff"
        );
        let bt = board.csrf_from("/requests").await;
        let r = board
            .post_raw(
                &format!("/requests/{r_up2}/approve"),
                &[("remarks", "")],
                Some(&bt),
            )
            .await;
        assert_eq!(r.status(), 403, "{name}: read-only approve");
        let r = board
            .post_raw(
                &format!("/requests/{r_up2}/reject"),
                &[("remarks", "No")],
                Some(&bt),
            )
            .await;
        assert_eq!(r.status(), 403, "{name}: read-only reject");
        assert_eq!(status_of(&t, r_up2).await, "pending", "{name}");

        // The conflict: two updates of one schedule; the second cannot overwrite the first.
        let r = officer
            .post_raw(
                &format!("/requests/{r_up1}/approve"),
                &[("remarks", "")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 303, "{name}: the first update applies");
        let r = officer
            .post_raw(
                &format!("/requests/{r_up2}/approve"),
                &[("remarks", "")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 409, "{name}: the second update conflicts");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("data-testid=\"conflict\""),
            "{name}: the conflict is shown"
        );
        assert!(
            body.contains("This schedule has changed since the request was made"),
            "{name}: with its message"
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .schedule_detail(s.id)
                .await
                .unwrap()
                .unwrap()
                .units_per_week,
            s.units_per_week + 1,
            "{name}: not overwritten"
        );
        assert_eq!(
            status_of(&t, r_up2).await,
            "pending",
            "{name}: the conflicting request stays pending"
        );
    }
}

// ---------------- 3. schedule updates ----------------

#[tokio::test]
async fn a_provider_ends_a_schedule_and_moves_a_client_to_another_service() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let provider = t.signed_in("provider").await;
        let officer = t.signed_in("officer").await;
        let ending = lone_schedule(&t, f.accommodation.id, &[]).await;
        let moving = lone_schedule(&t, f.accommodation.id, &[ending.id]).await;

        let path = format!("/schedules/{}", ending.id);
        let (status, page) = provider.text(&path).await;
        assert_eq!(status, 200, "{name}");
        assert!(
            page.contains("name=\"end_date-day\"")
                && page.contains("<option value=\"lost_contact\""),
            "{name}: end date and reasons"
        );
        assert!(
            page.contains(&format!("<option value=\"{}\"", f.other.id)),
            "{name}: other services offered for a change of service"
        );
        let units = ending.units_per_week.to_string();
        let end = in_days(&t, 14);

        // An end date without a reason is refused, keeping what was typed.
        let before = request_count(&t).await;
        let r = submit_schedule_update(
            &provider,
            ending.id,
            &[
                ("level", &ending.level),
                ("units_per_week", &units),
                ("end_date", &dmy(end)),
            ],
        )
        .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["end_reason"], "end date without a reason");
        assert!(
            shows_date(&body, "end_date", &dmy(end)),
            "{name}: the end date is kept"
        );
        assert_eq!(request_count(&t).await, before);

        // End it with a date and a reason.
        let r = submit_schedule_update(
            &provider,
            ending.id,
            &[
                ("level", &ending.level),
                ("units_per_week", &units),
                ("end_date", &dmy(end)),
                ("end_reason", "lost_contact"),
                ("comment", "No contact since October"),
            ],
        )
        .await;
        let (to, status, _) = follow(&provider, r, "end a schedule").await;
        assert_eq!(status, 200);
        let rid = id_after(&to, "/requests/");
        assert_eq!(request_count(&t).await, before + 1);
        assert_eq!(
            t.app
                .db_for_tests()
                .request(rid)
                .await
                .unwrap()
                .unwrap()
                .kind,
            "update_schedule"
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .schedule_detail(ending.id)
                .await
                .unwrap()
                .unwrap()
                .end_date,
            None,
            "{name}: not ended until approved"
        );
        let (_, page) = officer.text(&format!("/requests/{rid}")).await;
        assert_eq!(
            change_row(&page, "Reason for end date"),
            Some((None, Some("Lost contact".into()))),
            "{name}"
        );
        assert!(
            matches!(change_row(&page, "End date"), Some((None, Some(_)))),
            "{name}: the end date is new"
        );
        assert_eq!(approve(&officer, rid).await.status(), 303, "{name}");
        let after = t
            .app
            .db_for_tests()
            .schedule_detail(ending.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            after.end_date.as_deref(),
            Some(end.to_string().as_str()),
            "{name}"
        );
        assert_eq!(after.end_reason.as_deref(), Some("lost_contact"), "{name}");

        // A change of service: one request of kind change_service.
        let before = request_count(&t).await;
        let move_on = in_days(&t, 7);
        let r = submit_schedule_update(
            &provider,
            moving.id,
            &[
                ("level", &moving.level),
                ("units_per_week", &moving.units_per_week.to_string()),
                ("end_date", &dmy(move_on)),
                ("new_service_id", &f.other.id.to_string()),
            ],
        )
        .await;
        let (to, status, _) = follow(&provider, r, "change of service").await;
        assert_eq!(status, 200);
        let rid = id_after(&to, "/requests/");
        assert_eq!(
            request_count(&t).await,
            before + 1,
            "{name}: exactly one request"
        );
        let req = t.app.db_for_tests().request(rid).await.unwrap().unwrap();
        assert_eq!(req.kind, "change_service", "{name}");
        let (_, page) = officer.text(&format!("/requests/{rid}")).await;
        let (_, new_service) =
            change_row(&page, "New schedule on service").expect("the new service is shown");
        assert!(new_service.unwrap().contains(&esc(&f.other.name)), "{name}");
        assert_eq!(
            change_row(&page, "Reason for end date").and_then(|r| r.1),
            Some("Change of service".into())
        );
        assert_eq!(approve(&officer, rid).await.status(), 303, "{name}");
        let all = t
            .app
            .db_for_tests()
            .client_schedules(moving.client_id)
            .await
            .unwrap();
        let old = all.iter().find(|x| x.id == moving.id).unwrap();
        assert_eq!(
            old.end_reason.as_deref(),
            Some("change_of_service"),
            "{name}"
        );
        assert!(
            all.iter().any(|x| x.service_id == f.other.id
                && x.end_date.is_none()
                && x.start_date == move_on.to_string()),
            "{name}: {all:?}"
        );
        let (_, list) = provider.text(&format!("/services/{}", f.other.id)).await;
        assert!(
            list.contains(&esc(&format!(
                "{}, {}",
                moving.last_name, moving.first_name
            ))),
            "{name}: the client is on the new service"
        );
    }
}

// ---------------- 4. service details and available places ----------------

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<String> {
    let marker = format!(" {name}=\"");
    let i = tag.find(&marker)? + marker.len();
    let rest = &tag[i..];
    Some(unescape(&rest[..rest.find('"')?]))
}

/// What a browser would send for the form posting to `action`, as it stands on the page
/// (text inputs, checked checkboxes, textareas, selected options; not the CSRF token).
fn form_fields(body: &str, action: &str) -> Vec<(String, String)> {
    let at = body
        .find(&format!("action=\"{action}\""))
        .unwrap_or_else(|| panic!("no form posting to {action}"));
    let form = &body[at..];
    let form = &form[..form.find("</form>").unwrap_or(form.len())];
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = form[i..].find('<') {
        let start = i + off;
        let tag_end = form[start..].find('>').map_or(form.len(), |e| start + e);
        let tag = &form[start..tag_end];
        if tag.starts_with("<input ") {
            let kind = attr(tag, "type").unwrap_or_else(|| "text".into());
            if let Some(name) = attr(tag, "name").filter(|n| n != "csrf") {
                match kind.as_str() {
                    "checkbox" | "radio" => {
                        if tag.contains(" checked") {
                            out.push((name, attr(tag, "value").unwrap_or_else(|| "on".into())));
                        }
                    }
                    "submit" | "file" | "button" => {}
                    _ => out.push((name, attr(tag, "value").unwrap_or_default())),
                }
            }
        } else if tag.starts_with("<textarea ") {
            if let Some(name) = attr(tag, "name") {
                let rest = &form[tag_end + 1..];
                out.push((
                    name,
                    unescape(&rest[..rest.find("</textarea>").unwrap_or(0)]),
                ));
            }
        } else if tag.starts_with("<select ") {
            if let Some(name) = attr(tag, "name") {
                let rest = &form[tag_end..];
                let options = &rest[..rest.find("</select>").unwrap_or(rest.len())];
                let selected = options
                    .split("<option")
                    .find(|o| o.contains(" selected"))
                    .and_then(|o| attr(&format!(" {}", o.trim_start()), "value"));
                out.push((name, selected.unwrap_or_default()));
            }
        }
        i = tag_end.max(start + 1);
    }
    out
}

fn set_field(fields: &mut Vec<(String, String)>, name: &str, value: Option<&str>) {
    fields.retain(|(k, _)| k != name);
    if let Some(v) = value {
        fields.push((name.to_string(), v.to_string()));
    }
}

fn as_refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

#[tokio::test]
async fn available_places_save_at_once_and_other_details_change_by_request() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let sid = f.accommodation.id;
        let c = t.signed_in("provider").await;
        let details = format!("/services/{sid}/details");
        let places = format!("/services/{sid}/places");
        let (status, page) = c.text(&details).await;
        assert_eq!(status, 200, "{name}");
        assert!(
            page.contains(&format!("action=\"{places}\""))
                && page.contains(&format!("action=\"{details}\""))
        );
        let before = request_count(&t).await;

        // Saved at once: the figure the service page (and the directory) shows changes.
        let r = c.post_form(&places, &[("available_places", "4")]).await;
        let (to, status, page) = follow(&c, r, "places").await;
        assert_eq!(
            (to.as_str(), status),
            (format!("{details}?saved=1").as_str(), 200),
            "{name}"
        );
        assert!(page.contains("Available places saved"), "{name}");
        assert!(shows_value(&page, "available_places", "4"));
        assert_eq!(
            t.app
                .db_for_tests()
                .service(sid)
                .await
                .unwrap()
                .unwrap()
                .available_places,
            Some(4),
            "{name}"
        );
        let (_, service_page) = c.text(&format!("/services/{sid}")).await;
        assert_eq!(
            summary_value(&service_page, "Available places"),
            "4",
            "{name}"
        );
        let (_, v) = c.text(&format!("/api/v1/services/{sid}")).await;
        let v: serde_json::Value = serde_json::from_str(&v).unwrap();
        assert_eq!(
            v["available_places"], 4,
            "{name}: the API shows the new figure"
        );
        assert_eq!(
            request_count(&t).await,
            before,
            "{name}: no request for places"
        );

        // Bad values are refused beside the field and change nothing.
        for bad in ["-1", "abc", "2.5"] {
            let r = c.post_form(&places, &[("available_places", bad)]).await;
            let status = r.status().as_u16();
            let body = r.text().await.unwrap();
            assert_invalid(
                status,
                &body,
                &["available_places"],
                &format!("{name}: places {bad:?}"),
            );
            assert!(
                shows_value(&body, "available_places", bad),
                "{name}: {bad:?} kept"
            );
            assert_eq!(
                t.app
                    .db_for_tests()
                    .service(sid)
                    .await
                    .unwrap()
                    .unwrap()
                    .available_places,
                Some(4),
                "{name}: {bad:?} changes nothing"
            );
        }

        // Cleared with a blank.
        let r = c.post_form(&places, &[("available_places", "")]).await;
        assert_eq!(r.status(), 303, "{name}");
        assert_eq!(
            t.app
                .db_for_tests()
                .service(sid)
                .await
                .unwrap()
                .unwrap()
                .available_places,
            None,
            "{name}: cleared"
        );
        let (_, service_page) = c.text(&format!("/services/{sid}")).await;
        assert!(
            summary_value(&service_page, "Available places").starts_with("Not set"),
            "{name}"
        );
        assert_eq!(request_count(&t).await, before);

        // Other details go to the commissioning team as a request and change nothing yet.
        let (_, page) = c.text(&details).await;
        let unchanged = form_fields(&page, &details);
        assert!(
            unchanged.iter().any(|(k, _)| k == "public_name"),
            "{name}: the details form as it stands"
        );
        let current = t.app.db_for_tests().service(sid).await.unwrap().unwrap();
        let mut fields = unchanged.clone();
        set_field(&mut fields, "languages", Some("English, Polish"));
        set_field(
            &mut fields,
            "interpreter",
            if current.interpreter != 0 {
                None
            } else {
                Some("yes")
            },
        );
        set_field(&mut fields, "comment", Some("New bilingual staff"));
        let r = c.post_form(&details, &as_refs(&fields)).await;
        let (to, status, _) = follow(&c, r, "details request").await;
        assert_eq!(status, 200);
        let rid = id_after(&to, "/requests/");
        assert_eq!(request_count(&t).await, before + 1, "{name}");
        assert_eq!(
            t.app
                .db_for_tests()
                .request(rid)
                .await
                .unwrap()
                .unwrap()
                .kind,
            "service_details"
        );
        let now = t.app.db_for_tests().service(sid).await.unwrap().unwrap();
        assert_eq!(
            now.languages, current.languages,
            "{name}: unchanged until approved"
        );
        let officer = t.signed_in("officer").await;
        let (_, page) = officer.text(&format!("/requests/{rid}")).await;
        let (_, new) = change_row(&page, "Languages supported").expect("languages listed");
        assert_eq!(new.as_deref(), Some("English, Polish"), "{name}");
        assert_eq!(approve(&officer, rid).await.status(), 303, "{name}");
        let after = t.app.db_for_tests().service(sid).await.unwrap().unwrap();
        assert_eq!(after.languages, "English, Polish", "{name}");
        assert_eq!(after.interpreter, 1 - current.interpreter, "{name}");

        // Sending the form back exactly as it stands is "nothing has changed", not a request.
        let before = request_count(&t).await;
        let (_, page) = c.text(&details).await;
        let unchanged = form_fields(&page, &details);
        let r = c.post_form(&details, &as_refs(&unchanged)).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(
            status,
            &body,
            &["public_name"],
            &format!("{name}: details sent back unchanged"),
        );
        assert_eq!(
            request_count(&t).await,
            before,
            "{name}: no request for an unchanged form"
        );
    }
}

// ---------------- 5. contract documents ----------------

const TINY_PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

#[tokio::test]
async fn contract_documents_are_added_downloaded_commented_and_signed() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let p = principal(&t, "provider").await;
        let mut cf = p.contract_filter();
        cf.per_page = 100;
        let contract = t
            .app
            .db_for_tests()
            .list_contracts(&cf)
            .await
            .unwrap()
            .items
            .remove(0);
        let cid = contract.id;
        let provider = t.signed_in("provider").await;
        let (_, home) = provider.text("/home").await;
        let unsigned_before = home_count(&home, "Documents not signed");

        let officer = t.signed_in("officer").await;
        let (status, page) = officer.text(&format!("/contracts/{cid}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&format!("action=\"/contracts/{cid}/documents\""))
                && page.contains("enctype=\"multipart/form-data\""),
            "{name}"
        );

        // Generated (no file chosen: an empty file part, as a browser sends it).
        let r = add_document(
            &officer,
            cid,
            "Service specification 2026",
            ("", "application/octet-stream", b""),
        )
        .await;
        let (to, status, page) = follow(&officer, r, "generated document").await;
        assert_eq!(status, 200, "{name}");
        let generated = id_after(&to, "/documents/");
        assert!(page.contains("Service specification 2026"));
        assert!(
            page.contains(">Service specification<"),
            "its type is shown"
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .contract_document(generated)
                .await
                .unwrap()
                .unwrap()
                .source,
            "generated"
        );
        // Uploaded PDF.
        let r = add_document(
            &officer,
            cid,
            "Signed lease",
            ("lease.pdf", "application/pdf", TINY_PDF),
        )
        .await;
        let (to, _, _) = follow(&officer, r, "uploaded document").await;
        let uploaded = id_after(&to, "/documents/");
        assert_eq!(
            t.app
                .db_for_tests()
                .contract_document(uploaded)
                .await
                .unwrap()
                .unwrap()
                .source,
            "uploaded"
        );
        // Not a PDF: refused beside the file field; nothing added.
        let r = add_document(
            &officer,
            cid,
            "Minutes",
            (
                "minutes.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                b"PK\x03\x04 not a pdf",
            ),
        )
        .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["file"], "non-PDF upload");
        assert!(
            field_error(&body, "file").contains("PDF"),
            "{name}: the message says it must be a PDF"
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .contract_documents(cid)
                .await
                .unwrap()
                .len(),
            2,
            "{name}: nothing added"
        );
        // Without a title.
        let r = add_document(&officer, cid, " ", ("", "application/octet-stream", b"")).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["title"], "document without a title");
        assert_eq!(
            t.app
                .db_for_tests()
                .contract_documents(cid)
                .await
                .unwrap()
                .len(),
            2
        );

        // The officer moves the generated one to "agreed".
        let ot = officer.csrf_from(&format!("/documents/{generated}")).await;
        let r = officer
            .post_raw(
                &format!("/documents/{generated}/progress"),
                &[("progress", "agreed")],
                Some(&ot),
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");

        // The provider sees both, counted on the home page as not signed.
        let (status, page) = provider.text(&format!("/contracts/{cid}")).await;
        assert_eq!(status, 200);
        assert!(
            page.contains(&link(&format!("/documents/{generated}")))
                && page.contains(&link(&format!("/documents/{uploaded}"))),
            "{name}"
        );
        assert!(
            !page.contains("enctype=\"multipart/form-data\""),
            "{name}: providers cannot add documents"
        );
        let (_, home) = provider.text("/home").await;
        assert_eq!(
            home_count(&home, "Documents not signed"),
            unsigned_before + 2,
            "{name}"
        );

        // Downloads are PDFs.
        for (id, exact) in [(generated, None), (uploaded, Some(TINY_PDF))] {
            let r = provider.get(&format!("/documents/{id}/file")).await;
            assert_eq!(r.status(), 200, "{name}: download {id}");
            assert_eq!(r.headers().get("content-type").unwrap(), "application/pdf");
            let bytes = r.bytes().await.unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{name}: a PDF");
            if let Some(e) = exact {
                assert_eq!(
                    &bytes[..],
                    e,
                    "{name}: the uploaded file comes back unchanged"
                );
            }
        }

        // Comments.
        let doc = format!("/documents/{generated}");
        let r = provider
            .post_form(
                &format!("{doc}/comments"),
                &[("provider_comments", "Clause 4 agreed by our board")],
            )
            .await;
        let (_, _, page) = follow(&provider, r, "comments").await;
        assert_eq!(
            summary_value(&page, "Provider comments"),
            "Clause 4 agreed by our board",
            "{name}"
        );
        assert_eq!(
            textarea_text(&page, "provider_comments"),
            "Clause 4 agreed by our board"
        );
        // Providers cannot move the progress.
        let pt = provider.csrf_from(&doc).await;
        let r = provider
            .post_raw(
                &format!("{doc}/progress"),
                &[("progress", "signed")],
                Some(&pt),
            )
            .await;
        assert_eq!(
            r.status(),
            404,
            "{name}: progress is the commissioning team's"
        );

        // Signing needs the password.
        let r = provider
            .post_raw(
                &format!("{doc}/sign"),
                &[("password", "not my password")],
                Some(&pt),
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["password"], "sign with a wrong password");
        assert!(
            t.app
                .db_for_tests()
                .document_signatures(generated)
                .await
                .unwrap()
                .is_empty(),
            "{name}: not signed"
        );
        let password = t.account("provider").password.clone();
        let r = provider
            .post_raw(
                &format!("{doc}/sign"),
                &[("password", &password)],
                Some(&pt),
            )
            .await;
        let (to, status, page) = follow(&provider, r, "sign").await;
        assert_eq!(
            (to.as_str(), status),
            (format!("{doc}?done=signed").as_str(), 200)
        );
        assert!(page.contains("Document signed"), "{name}");
        let display = t
            .app
            .db_for_tests()
            .user_by_username("provider")
            .await
            .unwrap()
            .unwrap()
            .display_name;
        assert!(
            summary_value(&page, "Signed").contains(&esc(&display)),
            "{name}: who signed is shown"
        );
        assert_eq!(
            summary_value(&page, "Progress"),
            "Agreed",
            "{name}: signing never changes the progress"
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .contract_document(generated)
                .await
                .unwrap()
                .unwrap()
                .progress,
            "agreed"
        );
        let sigs = t
            .app
            .db_for_tests()
            .document_signatures(generated)
            .await
            .unwrap();
        assert_eq!(sigs.len(), 1, "{name}");
        // The history shows the signature, by whom.
        let history = &page[page.find(">History<").expect("a history table")..];
        let signed_row = history
            .split("</tr>")
            .find(|row| row.contains(">Signed<"))
            .expect("a Signed row in the history");
        assert!(
            signed_row.contains(">provider<"),
            "{name}: the history names the signer: {signed_row}"
        );
        assert!(
            history.contains("Progress changed from draft to agreed"),
            "{name}: the officer's change is in the history"
        );
        let (_, home) = provider.text("/home").await;
        assert_eq!(
            home_count(&home, "Documents not signed"),
            unsigned_before + 1,
            "{name}"
        );
        // The officer sees it signed, progress as set.
        let (_, page) = officer.text(&doc).await;
        assert!(
            summary_value(&page, "Signed").contains(&esc(&display)),
            "{name}"
        );
    }
}

// ---------------- 6. contacts ----------------

#[tokio::test]
async fn contacts_are_added_by_request_assignments_are_one_per_service_and_logins_are_handed_over()
{
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let provider = t.signed_in("provider").await;
        let officer = t.signed_in("officer").await;
        let (status, _) = provider.text("/contacts").await;
        assert_eq!(status, 200);
        let (status, form) = provider.text("/contacts/new").await;
        assert_eq!(status, 200);
        assert!(form.contains("name=\"position_type\""));

        // Bad input.
        let before = request_count(&t).await;
        let r = provider
            .post_form(
                "/contacts/new",
                &[
                    ("first_name", ""),
                    ("last_name", "Tarrant"),
                    ("position_type", "wizard"),
                    ("email", "nope"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(
            status,
            &body,
            &["first_name", "position_type", "email"],
            "bad contact",
        );
        assert!(
            shows_value(&body, "last_name", "Tarrant"),
            "{name}: typed values kept"
        );
        assert_eq!(request_count(&t).await, before);

        // Add a contact: a request, approved, then listed.
        let r = provider
            .post_form(
                "/contacts/new",
                &[
                    ("first_name", "Imogen"),
                    ("last_name", "Tarrant"),
                    ("position_type", "support_worker"),
                    ("email", "imogen@example.org"),
                ],
            )
            .await;
        let (to, _, _) = follow(&provider, r, "add contact").await;
        let rid = id_after(&to, "/requests/");
        assert_eq!(
            t.app
                .db_for_tests()
                .request(rid)
                .await
                .unwrap()
                .unwrap()
                .kind,
            "contact_add"
        );
        let (_, list) = provider.text("/contacts").await;
        assert!(
            !list.contains("Imogen Tarrant"),
            "{name}: not until approved"
        );
        assert_eq!(approve(&officer, rid).await.status(), 303);
        let (_, list) = provider.text("/contacts").await;
        assert!(
            list.contains("Imogen Tarrant"),
            "{name}: listed once approved"
        );
        let imogen = t
            .app
            .db_for_tests()
            .provider_contacts(f.provider_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.last_name == "Tarrant")
            .unwrap();
        assert!(list.contains(&link(&format!("/contacts/{}", imogen.id))));

        // Service manager of a service, once only.
        let scope = format!("service:{}", f.accommodation.id);
        let r = provider
            .post_form(
                &format!("/contacts/{}/assignments", imogen.id),
                &[("assignment", "service_manager"), ("scope", &scope)],
            )
            .await;
        let (to, _, _) = follow(&provider, r, "assignment").await;
        assert_eq!(
            approve(&officer, id_after(&to, "/requests/"))
                .await
                .status(),
            303,
            "{name}"
        );
        let with_login: Vec<i64> = t
            .app
            .db_for_tests()
            .list_users(None)
            .await
            .unwrap()
            .iter()
            .filter_map(|u| u.contact_id)
            .collect();
        let other = t
            .app
            .db_for_tests()
            .provider_contacts(f.provider_id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.id != imogen.id && c.active != 0 && !with_login.contains(&c.id))
            .expect("demo data: another contact without a login");
        let before = request_count(&t).await;
        let r = provider
            .post_form(
                &format!("/contacts/{}/assignments", other.id),
                &[("assignment", "service_manager"), ("scope", &scope)],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(status, &body, &["assignment"], "a second service manager");
        assert!(
            field_error(&body, "assignment").contains("Imogen Tarrant"),
            "{name}: the message names the holder: {}",
            field_error(&body, "assignment")
        );
        assert_eq!(request_count(&t).await, before, "{name}: no request");

        // Deactivation is refused while the contact holds an assignment, naming it.
        let r = provider
            .post_form(&format!("/contacts/{}/deactivate", imogen.id), &[])
            .await;
        assert_eq!(r.status(), 422, "{name}: deactivation refused");
        let body = r.text().await.unwrap();
        let i = body
            .find("data-testid=\"problem\"")
            .expect("the problem is shown");
        let problem = strip_tags(&body[i..i + body[i..].find("</p>").unwrap()]);
        assert!(
            problem.contains("Service manager") && problem.contains(&esc(&f.accommodation.name)),
            "{name}: names the assignment: {problem}"
        );
        assert_eq!(request_count(&t).await, before, "{name}: no request");
        assert_eq!(
            t.app
                .db_for_tests()
                .contact(imogen.id)
                .await
                .unwrap()
                .unwrap()
                .active,
            1
        );

        // A login request, approved, shows a temporary password once.
        let r = provider
            .post_form(&format!("/contacts/{}/login", other.id), &[])
            .await;
        let (to, _, _) = follow(&provider, r, "login request").await;
        let rid = id_after(&to, "/requests/");
        assert_eq!(
            t.app
                .db_for_tests()
                .request(rid)
                .await
                .unwrap()
                .unwrap()
                .kind,
            "login_request"
        );
        let token = officer.csrf_from(&format!("/requests/{rid}")).await;
        let r = officer
            .post_raw(
                &format!("/requests/{rid}/approve"),
                &[("remarks", "")],
                Some(&token),
            )
            .await;
        let shown = if r.status() == 303 {
            let (_, status, body) = follow(&officer, r, "approve login").await;
            assert_eq!(status, 200);
            body
        } else {
            assert_eq!(
                r.status(),
                200,
                "{name}: approving a login answers with the page"
            );
            r.text().await.unwrap()
        };
        assert_eq!(status_of(&t, rid).await, "approved", "{name}");
        let user = t
            .app
            .db_for_tests()
            .list_users(None)
            .await
            .unwrap()
            .into_iter()
            .find(|u| u.contact_id == Some(other.id))
            .expect("a user for the contact");
        assert_eq!(user.must_change_password, 1, "{name}");
        let temp = temporary_password_in(&shown);
        assert!(
            temp.is_some(),
            "{name}: the approval page shows the temporary password for {}",
            user.username
        );
        assert!(shown.contains(&user.username), "{name}: and the username");
        let temp = temp.unwrap();
        let (_, again) = officer.text(&format!("/requests/{rid}")).await;
        assert!(!again.contains(&temp), "{name}: shown once only");
        let (_, again) = provider.text(&format!("/requests/{rid}")).await;
        assert!(!again.contains(&temp), "{name}: never to the provider");
        assert_eq!(
            t.client().login(&user.username, &temp).await.status(),
            303,
            "{name}: the temporary password works"
        );
    }
}

/// A temporary password ("word-word-word-NN") in a page.
fn temporary_password_in(body: &str) -> Option<String> {
    body.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .find(|tok| {
            let parts: Vec<&str> = tok.split('-').collect();
            parts.len() == 4
                && parts[..3]
                    .iter()
                    .all(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_lowercase()))
                && parts[3].len() == 2
                && parts[3].chars().all(|c| c.is_ascii_digit())
        })
        .map(str::to_string)
}

// ---------------- 7. actions ----------------

async fn action_count(t: &TestApp) -> usize {
    let authority = t
        .app
        .db_for_tests()
        .user_by_username("officer")
        .await
        .unwrap()
        .unwrap()
        .authority_id
        .unwrap();
    t.app
        .db_for_tests()
        .list_actions(authority, None, false)
        .await
        .unwrap()
        .len()
}

/// The card of one action on /actions.
fn action_card(body: &str, id: i64) -> Option<String> {
    let marker = format!("data-testid=\"action-{id}\"");
    let at = body.find(&marker)?;
    // From the start of the card's tag (its class says whether it is overdue) to the next card.
    let i = body[..at].rfind('<').unwrap_or(at);
    let rest = &body[at + marker.len()..];
    let end = rest.find("data-testid=\"action-").map_or(body.len(), |e| {
        let next = at + marker.len() + e;
        body[..next].rfind('<').unwrap_or(next)
    });
    Some(body[i..end].to_string())
}

#[tokio::test]
async fn actions_are_set_by_the_team_and_marked_done_by_the_provider() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let officer = t.signed_in("officer").await;
        let provider = t.signed_in("provider").await;
        let (_, home) = provider.text("/home").await;
        let due_before = home_count(&home, "Actions due");

        let new = format!("/providers/{}/actions/new", f.provider_id);
        let (status, form) = officer.text(&new).await;
        assert_eq!(status, 200, "{name}");
        assert!(
            form.contains(&format!("<option value=\"{}\"", f.contact_id)),
            "{name}: the provider's contacts are offered"
        );

        // Bad input.
        let before = action_count(&t).await;
        let r = officer
            .post_form(
                &new,
                &[
                    ("title", ""),
                    ("due_date-day", "soon"),
                    ("due_date-month", ""),
                    ("due_date-year", ""),
                    ("priority", "urgent"),
                    ("description", "Typed details"),
                ],
            )
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(
            status,
            &body,
            &["title", "due_date", "priority"],
            "bad action",
        );
        assert!(
            shows_value(&body, "due_date-day", "soon")
                && textarea_text(&body, "description") == "Typed details",
            "{name}: typed values kept"
        );
        assert_eq!(action_count(&t).await, before, "{name}: nothing created");

        // One overdue for the provider's contact, one for the organisation.
        let contact = f.contact_id.to_string();
        let r = officer
            .post_form(
                &new,
                &[
                    ("title", "Send the fire risk assessment"),
                    ("contact_id", &contact),
                    ("due_date", &dmy(in_days(&t, -10))),
                    ("priority", "high"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        assert_eq!(location(&r), format!("/actions?provider={}", f.provider_id));
        let r = officer
            .post_form(
                &new,
                &[
                    ("title", "Update the complaints policy"),
                    ("contact_id", ""),
                    ("due_date", &dmy(in_days(&t, 60))),
                    ("priority", "low"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{name}");
        assert_eq!(action_count(&t).await, before + 2);
        let authority = t
            .app
            .db_for_tests()
            .user_by_username("officer")
            .await
            .unwrap()
            .unwrap()
            .authority_id
            .unwrap();
        let actions = t
            .app
            .db_for_tests()
            .list_actions(authority, Some(f.provider_id), false)
            .await
            .unwrap();
        let overdue = actions
            .iter()
            .find(|a| a.title == "Send the fire risk assessment")
            .unwrap()
            .id;
        let later = actions
            .iter()
            .find(|a| a.title == "Update the complaints policy")
            .unwrap()
            .id;

        // The provider sees both, the overdue one marked; "mine" filters.
        let (status, page) = provider.text("/actions").await;
        assert_eq!(status, 200);
        let card = action_card(&page, overdue).expect("the overdue action is listed");
        assert!(
            card.contains("Overdue") && card.contains("hearth-overdue"),
            "{name}: marked overdue"
        );
        let card = action_card(&page, later).expect("the organisation's action is listed");
        assert!(
            !card.contains("Overdue") && card.contains(">Open<"),
            "{name}: not overdue"
        );
        let (_, mine) = provider.text("/actions?show=mine").await;
        assert!(
            action_card(&mine, overdue).is_some() && action_card(&mine, later).is_none(),
            "{name}: mine shows only the contact's"
        );
        let (_, home) = provider.text("/home").await;
        assert_eq!(
            home_count(&home, "Actions due"),
            due_before + 1,
            "{name}: the overdue one is due"
        );
        // Another organisation does not see them.
        let lim = t.signed_in("limited").await;
        let (_, theirs) = lim.text("/actions").await;
        assert!(
            action_card(&theirs, overdue).is_none() && action_card(&theirs, later).is_none(),
            "{name}"
        );

        // Done needs a note.
        let r = provider
            .post_form(&format!("/actions/{overdue}/done"), &[("note", " ")])
            .await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        assert_invalid(
            status,
            &body,
            &[&format!("note-{overdue}")],
            "done without a note",
        );
        assert_eq!(
            t.app
                .db_for_tests()
                .action(overdue)
                .await
                .unwrap()
                .unwrap()
                .status,
            "open",
            "{name}"
        );
        let r = provider
            .post_form(
                &format!("/actions/{overdue}/done"),
                &[("note", "Sent on 3 November")],
            )
            .await;
        let (to, _, page) = follow(&provider, r, "done").await;
        assert_eq!(to, "/actions");
        let card = action_card(&page, overdue).unwrap();
        assert!(
            card.contains(">Done<") && !card.contains("Overdue"),
            "{name}: done, no longer overdue"
        );
        let (_, home) = provider.text("/home").await;
        assert_eq!(home_count(&home, "Actions due"), due_before, "{name}");

        // The team sees the completion with the note.
        let (_, page) = officer
            .text(&format!("/actions?provider={}", f.provider_id))
            .await;
        let card = action_card(&page, overdue).expect("the officer sees the action");
        assert!(
            card.contains(">Done<") && card.contains("Sent on 3 November"),
            "{name}: {card}"
        );
        assert!(
            summary_value(&card, "Done").contains("provider"),
            "{name}: by whom"
        );
    }
}

/// Issue 10, journeys 5 and 6: one decision form (approve or reject, with remarks tied to
/// their hint), a success banner linking what the approval made and the next request, and a
/// queue that names each request's service.
#[tokio::test]
async fn one_decision_form_a_banner_with_links_and_the_next_request() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let f = fixture(&t).await;
        let provider = t.signed_in("provider").await;
        let first =
            submit_new_schedule(&t, &provider, f.accommodation.id, "Ada", "Pembridge").await;
        let second =
            submit_new_schedule(&t, &provider, f.accommodation.id, "Bea", "Pembridge").await;
        let officer = t.signed_in("officer").await;

        // The queue names the service of each request, and counts in the singular for one.
        let (_, queue) = officer.text("/requests").await;
        assert!(queue.contains(">Service<"), "{name}: a service column");
        assert!(
            queue.contains(&esc(&f.accommodation.name)),
            "{name}: the service named"
        );
        let (_, one) = officer.text("/requests?kind=service_details").await;
        assert!(
            one.contains("No requests match these filters"),
            "{name}: empty state says what to do"
        );

        // One form: two radios and one remarks box whose hint is tied to it.
        let (_, page) = officer.text(&format!("/requests/{first}")).await;
        assert!(page.contains(&format!("action=\"/requests/{first}/decide\"")));
        assert!(
            page.contains("data-testid=\"approve\"") && page.contains("data-testid=\"reject\"")
        );
        assert_eq!(
            page.matches("name=\"remarks\"").count(),
            1,
            "{name}: one remarks box"
        );
        assert!(
            page.contains("aria-describedby=\"remarks-hint\""),
            "{name}: the hint is tied to the box"
        );

        // No decision chosen: an error beside the radios, nothing decided.
        let token = officer.csrf_from(&format!("/requests/{first}")).await;
        let r = officer
            .post_raw(
                &format!("/requests/{first}/decide"),
                &[("remarks", "x")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 422, "{name}");
        let body = r.text().await.unwrap();
        assert!(body.contains("Select approve or reject"), "{name}");
        assert!(
            body.contains("<title>Error: "),
            "{name}: the title says there is an error"
        );
        assert_eq!(status_of(&t, first).await, "pending");

        // Reject without remarks: the error is beside the remarks box.
        let r = officer
            .post_raw(
                &format!("/requests/{first}/decide"),
                &[("decision", "reject"), ("remarks", "")],
                Some(&token),
            )
            .await;
        assert_eq!(r.status(), 422, "{name}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains("id=\"remarks-error\""),
            "{name}: error beside the box"
        );
        assert!(body.contains("aria-describedby=\"remarks-hint remarks-error\""));
        assert_eq!(status_of(&t, first).await, "pending");

        // Approve: a banner with a link to the schedule made and to the next request.
        let r = officer
            .post_raw(
                &format!("/requests/{first}/decide"),
                &[("decision", "approve"), ("remarks", "Checked")],
                Some(&token),
            )
            .await;
        let (to, status, page) = follow(&officer, r, "approve").await;
        assert_eq!(
            (to.as_str(), status),
            (format!("/requests/{first}?decided=1").as_str(), 200)
        );
        assert!(page.contains("Request approved and applied"), "{name}");
        assert!(
            page.contains("href=\"/schedules/"),
            "{name}: links the new schedule"
        );
        assert!(
            page.contains(&format!(
                "href=\"/requests/{second}\" data-testid=\"next-request\""
            )),
            "{name}: the next request waiting"
        );
        assert_eq!(status_of(&t, first).await, "approved");

        // Reject the last one: the banner says nothing else waits.
        let token = officer.csrf_from(&format!("/requests/{second}")).await;
        let r = officer
            .post_raw(
                &format!("/requests/{second}/decide"),
                &[
                    ("decision", "reject"),
                    ("remarks", "Duplicate of the first"),
                ],
                Some(&token),
            )
            .await;
        let (_, _, page) = follow(&officer, r, "reject").await;
        assert!(page.contains("Request rejected"), "{name}");
        assert!(page.contains("No other requests are waiting"), "{name}");
        assert_eq!(status_of(&t, second).await, "rejected");
    }
}
