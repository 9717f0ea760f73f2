//! End to end in headless Chromium (issue 11, loading existing records): an administrator
//! opens Import from the menu, uploads files with a problem and reads it by file, line and
//! column, then uploads good files, imports them, and follows the job run until it is done;
//! the records are then in the authority's lists. axe-core finds nothing on any page.
//!
//! With `HEARTH_SCREENSHOTS=DIR` set, the pages are saved there (`admin-import*.png`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use std::time::{Duration, Instant};
use support::*;

const PROVIDERS: &str =
    "reference,name,postcode,email\nE2E001,Fieldfare Housing,BK2 2JB,hello@fieldfare.example\n";
const SERVICES: &str = "reference,provider_reference,name,service_type,term,client_group,contracted_units,postcode\nE2E/SH/1,E2E001,Fieldfare Court,sheltered,long,older_people,14,BK2 2JB\n";
const BAD_SERVICES: &str = "reference,provider_reference,name,service_type,term,client_group,contracted_units,postcode\nE2E/SH/1,E2E999,Fieldfare Court,sheltered,long,older_people,fourteen,BK2 2JB\n";

#[tokio::test]
async fn an_administrator_checks_and_imports_records_in_the_browser() {
    if !browser_available() {
        return;
    }
    let (data, server) = demo_server("e2e-imports", false);
    let base = server.url("");
    let files = data.0.join("upload");
    std::fs::create_dir_all(&files).unwrap();
    let write = |name: &str, text: &str| {
        let p = files.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let providers = write("providers.csv", PROVIDERS);
    let bad = write("bad-services.csv", BAD_SERVICES);
    let services = write("services.csv", SERVICES);

    let b = Browser::start().await;
    browser_sign_in(&b, &base, &data.0, "admin", 0).await;
    b.click("#navigation a[href='/admin/records']").await;
    b.wait_url("/admin/records").await;
    let page = b.text_of("main").await;
    assert!(page.contains("Import and export records"), "{page}");
    assert_accessible(&b, "import page").await;
    screenshot_if_asked(&b, "admin-import").await;

    // Files with problems: each named by file, line and column.
    b.type_into("#files", &format!("{providers}\n{bad}")).await;
    click_and_wait(
        &b,
        "form[action='/admin/records/upload'] button[type=submit]",
    )
    .await;
    b.wait_url("/admin/records/uploads/").await;
    let page = b.text_of("main").await;
    assert!(page.contains("2 problems found"), "{page}");
    assert!(page.contains("There is no provider E2E999"), "{page}");
    assert!(page.contains("contracted_units"), "{page}");
    assert!(!page.contains("Import these records"));
    assert_accessible(&b, "upload with problems").await;
    screenshot_if_asked(&b, "admin-import-problems").await;

    // Good files, imported as a job run followed to the end.
    b.goto(&format!("{base}/admin/records")).await;
    b.type_into("#files", &format!("{providers}\n{services}"))
        .await;
    click_and_wait(
        &b,
        "form[action='/admin/records/upload'] button[type=submit]",
    )
    .await;
    b.wait_text("No problems found").await;
    assert_accessible(&b, "upload checked").await;
    screenshot_if_asked(&b, "admin-import-checked").await;
    click_and_wait(&b, "form[action$='/import'] button[type=submit]").await;
    let run = b.wait_url("/runs/").await;
    let start = Instant::now();
    loop {
        b.goto(&run).await;
        let page = b.text_of("main").await;
        if page.contains("Done") {
            break;
        }
        assert!(!page.contains("Failed"), "the import failed: {page}");
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the import's run did not finish: {page}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_accessible(&b, "the import's run").await;

    // The imported service is in the authority's list.
    b.goto(&format!("{base}/services?q=Fieldfare")).await;
    let page = b.text_of("main").await;
    assert!(page.contains("Fieldfare Court"), "{page}");
    b.quit().await;
    drop(server);
}
