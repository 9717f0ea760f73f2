//! The administrator's import in the browser (issue 11): the templates download, an upload is
//! checked and its problems listed and downloadable, nothing is written until "Import these
//! records", which starts a job run that imports them; another authority's upload is not
//! found, and other roles are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::*;

const BOUNDARY: &str = "----HearthImportBoundary7QX";

fn multipart(csrf: &str, files: &[(&str, &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n")
            .as_bytes(),
    );
    for (name, content) in files {
        out.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: text/csv\r\n\r\n{content}\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

async fn upload(c: &Client, files: &[(&str, &str)]) -> reqwest::Response {
    let csrf = c.csrf_from("/admin/records").await;
    c.http
        .post(format!("{}/admin/records/upload", c.base))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(multipart(&csrf, files))
        .send()
        .await
        .unwrap()
}

const PROVIDERS: &str = "reference,name,postcode\r\nWEB001,Web Upload Housing,BS1 4DJ\r\n";
const SERVICES: &str = "reference,provider_reference,name,service_type,term,client_group,contracted_units\r\nWEB/SH/1,WEB001,Upload Court,sheltered,long,older_people,12\r\n";
const BAD_SERVICES: &str = "reference,provider_reference,name,service_type,term,client_group,contracted_units\r\nWEB/SH/1,NOBODY,Upload Court,castle,long,older_people,12\r\n";

#[tokio::test]
async fn an_administrator_checks_an_upload_then_imports_it_as_a_job_run() {
    for db in each_db().await {
        let t = TestApp::start(db).await;
        let name = t.db_name;
        let admin = t.signed_in("admin").await;
        let (status, page) = admin.text("/admin/records").await;
        assert_eq!(status, 200);
        assert!(page.contains("href=\"/admin/records/templates/schedules.xlsx\""));
        // A template downloads with its header row.
        let r = admin.get("/admin/records/templates/providers.csv").await;
        assert_eq!(r.status(), 200);
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("reference,name,address,postcode"));
        // An export of the authority's own records.
        let r = admin.get("/admin/records/export/services.csv").await;
        assert_eq!(r.status(), 200);
        assert!(r.text().await.unwrap().lines().count() > 10, "{name}");
        assert_eq!(
            admin
                .get("/admin/records/export/nothing.csv")
                .await
                .status(),
            404
        );

        // No file chosen: said beside the field.
        let r = upload(&admin, &[]).await;
        assert_eq!(r.status(), 422);
        assert!(!field_error(&r.text().await.unwrap(), "files").is_empty());

        // Files with problems: listed, downloadable, and no import button.
        let r = upload(
            &admin,
            &[("providers.csv", PROVIDERS), ("services.csv", BAD_SERVICES)],
        )
        .await;
        assert_eq!(r.status(), 303, "{name}");
        let checked = location(&r);
        let (_, page) = admin.text(&checked).await;
        assert!(page.contains("2 problems found"), "{name}: {page}");
        assert!(page.contains("There is no provider NOBODY"));
        assert!(!page.contains("Import these records"));
        let r = admin.get(&format!("{checked}/problems.csv")).await;
        let problems = r.text().await.unwrap();
        assert!(
            problems.contains("services.csv,2,service_type"),
            "{problems}"
        );
        let r = admin.post_form(&format!("{checked}/import"), &[]).await;
        assert_eq!(
            r.status(),
            409,
            "{name}: an upload with problems is not imported"
        );

        // Good files: the counts, then the import as a job run.
        let r = upload(
            &admin,
            &[("services.csv", SERVICES), ("providers.csv", PROVIDERS)],
        )
        .await;
        let checked = location(&r);
        let (_, page) = admin.text(&checked).await;
        assert!(page.contains("No problems found"), "{name}: {page}");
        assert!(page.contains("Import these records"));
        let authority = principal(&t, "admin").await.authority_id();
        assert!(!t
            .app
            .db_for_tests()
            .import_keys(authority)
            .await
            .unwrap()
            .services
            .contains_key("WEB/SH/1"));
        let r = admin.post_form(&format!("{checked}/import"), &[]).await;
        assert_eq!(r.status(), 303, "{name}");
        let run = location(&r);
        assert!(run.starts_with("/runs/"), "{run}");
        // A node's runner takes the run and imports the files.
        let claimed = t
            .app
            .claim_run(&[hearth_app::runs::RunKind::ImportRecords], "test-node", 60)
            .await
            .unwrap()
            .expect("the import's run");
        let result = t
            .app
            .run_import_records(&claimed.run, &claimed.progress)
            .await
            .unwrap();
        claimed.progress.finish(&result).await.unwrap();
        assert_eq!(result["written"], true, "{name}: {result}");
        let keys = t.app.db_for_tests().import_keys(authority).await.unwrap();
        assert!(keys.services.contains_key("WEB/SH/1"), "{name}");
        let (_, page) = admin.text(&run).await;
        assert!(page.contains("Records import"), "{name}");
        // The uploaded files are gone once imported.
        assert_eq!(admin.get(&checked).await.status(), 404, "{name}");
    }
}

#[tokio::test]
async fn another_authoritys_upload_is_not_found_and_other_roles_are_refused() {
    let t = TestApp::start(hearth_store::testing::sqlite().await.unwrap()).await;
    let admin = t.signed_in("admin").await;
    let r = upload(&admin, &[("providers.csv", PROVIDERS)]).await;
    let checked = location(&r);
    // Moved to another authority: its administrators would not see it.
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "INSERT INTO authorities (name, code, created_at) VALUES ('Elsewhere', 'ELS', 0)",
    )
    .await
    .ok();
    hearth_store::testing::exec(
        t.app.db_for_tests(),
        "UPDATE import_files SET authority_id = (SELECT id FROM authorities WHERE code = 'ELS')",
    )
    .await
    .unwrap();
    assert_eq!(admin.get(&checked).await.status(), 404);
    for (user, status) in [("officer", 403), ("provider", 404)] {
        let c = t.signed_in(user).await;
        assert_eq!(c.get("/admin/records").await.status(), status, "{user}");
    }
}
