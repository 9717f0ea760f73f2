//! The command line: help, audit verification (and tamper detection), a backup taken while
//! serving and a restore drill, user administration, refusing a newer schema.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use std::process::Output;
use support::*;

fn run(args: &[&str]) -> Output {
    hearth().args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn sqlite(path: &std::path::Path, sql: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let db = hearth_store::Db::connect(&hearth_store::DbConfig {
            url: format!("sqlite://{}", path.display()),
            max_connections: 1,
            audit_key: b"unused".to_vec(),
        })
        .await
        .unwrap();
        hearth_store::testing::exec(&db, sql).await.unwrap();
        db.close().await;
    });
}

#[test]
fn help_explains_every_subcommand() {
    let o = run(&["--help"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for sub in [
        "serve",
        "demo",
        "migrate",
        "authority",
        "user",
        "audit",
        "backup",
        "restore",
    ] {
        assert!(text.contains(sub), "--help mentions {sub}");
        let o = run(&[sub, "--help"]);
        assert!(o.status.success(), "{sub} --help");
        assert!(stdout(&o).len() > 80, "{sub} --help explains itself");
    }
}

#[test]
fn audit_verify_reports_the_first_edited_entry() {
    let data = Tmp::new("cli-audit");
    let dir = data.0.to_str().unwrap();
    assert!(run(&["--data-dir", dir, "demo", "--no-serve"])
        .status
        .success());
    let o = run(&["--data-dir", dir, "audit", "verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("audit trail intact"));
    sqlite(
        &data.0.join("hearth.db"),
        "UPDATE audit_log SET after_json = '{\"name\":\"forged\"}' WHERE id = 5",
    );
    let o = run(&["--data-dir", dir, "audit", "verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("BROKEN at entry 5"), "{}", stdout(&o));
}

#[test]
fn user_commands_add_reset_unlock_disable() {
    let data = Tmp::new("cli-user");
    let dir = data.0.to_str().unwrap();
    assert!(run(&["--data-dir", dir, "demo", "--no-serve"])
        .status
        .success());
    let o = run(&[
        "--data-dir",
        dir,
        "user",
        "add",
        "--username",
        "newofficer",
        "--name",
        "New Officer",
        "--role",
        "officer",
        "--authority",
        "BRK",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("temporary password"));
    let o = run(&[
        "--data-dir",
        dir,
        "user",
        "add",
        "--username",
        "x",
        "--name",
        "",
        "--role",
        "wizard",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "bad input is refused with reasons"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("role"));
    assert!(run(&["--data-dir", dir, "user", "disable", "newofficer"])
        .status
        .success());
    let list = stdout(&run(&["--data-dir", dir, "user", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("newofficer") && l.ends_with("disabled")),
        "{list}"
    );
    assert!(run(&["--data-dir", dir, "user", "enable", "newofficer"])
        .status
        .success());
    assert!(run(&["--data-dir", dir, "user", "unlock", "newofficer"])
        .status
        .success());
    let o = run(&["--data-dir", dir, "user", "reset-password", "newofficer"]);
    assert!(stdout(&o).contains("temporary password for newofficer"));
    assert!(!run(&["--data-dir", dir, "user", "unlock", "nobody"])
        .status
        .success());
    // Every change was audited and the chain holds.
    assert_eq!(
        run(&["--data-dir", dir, "audit", "verify"]).status.code(),
        Some(0)
    );
}

#[tokio::test]
async fn backup_while_serving_and_restore_drill() {
    let data = Tmp::new("cli-backup");
    let dir = data.0.to_str().unwrap().to_string();
    assert!(run(&["--data-dir", &dir, "demo", "--no-serve"])
        .status
        .success());
    let (password, secret) = demo_account(&data.0, "officer");
    let port = free_port();
    let mut cmd = hearth();
    cmd.args([
        "--data-dir",
        &dir,
        "serve",
        "--listen",
        &format!("127.0.0.1:{port}"),
    ]);
    let mut server = start(cmd, port);
    let base = server.url("");
    let c = client();
    sign_in(&c, &base, "officer", &password, &secret).await;
    let page = c
        .get(format!("{base}/providers/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let add = |reference: &'static str| {
        let c = c.clone();
        let base = base.clone();
        let csrf = csrf.clone();
        async move {
            let r = c
                .post(format!("{base}/providers/new"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("name", reference),
                    ("reference", reference),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
    };
    add("BEFORE-BACKUP").await;
    let backup = data.0.join("backup.db");
    let o = hearth()
        .args(["--data-dir", &dir, "backup", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "online backup while serving: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    add("AFTER-BACKUP").await;
    server.kill9();

    // Restore drill: the backup replaces the database; what came after it is gone, what came before is there.
    let o = hearth()
        .args(["--data-dir", &dir, "restore", backup.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
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
    let c = client();
    sign_in_at(&c, &server.url(""), "officer", &password, &secret, 30).await;
    let list = c
        .get(server.url("/providers?q=backup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("BEFORE-BACKUP"));
    assert!(!list.contains("AFTER-BACKUP"));
    assert_eq!(
        run(&["--data-dir", &dir, "audit", "verify"]).status.code(),
        Some(0)
    );
    // A damaged file is refused and changes nothing.
    std::fs::write(data.0.join("junk.db"), b"this is not a database").unwrap();
    let o = hearth()
        .args([
            "--data-dir",
            &dir,
            "restore",
            data.0.join("junk.db").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!o.status.success());
    drop(server);
}

#[test]
fn a_database_from_a_newer_version_is_refused() {
    let data = Tmp::new("cli-newer");
    let dir = data.0.to_str().unwrap();
    assert!(run(&["--data-dir", dir, "migrate"]).status.success());
    sqlite(
        &data.0.join("hearth.db"),
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)",
    );
    let o = run(&["--data-dir", dir, "migrate"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("newer than this program"));
}

#[test]
fn long_commands_are_job_runs_listed_and_shown() {
    let data = Tmp::new("cli-runs");
    let dir = data.0.to_str().unwrap();
    let o = run(&["--data-dir", dir, "demo", "--no-serve"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = data.0.join("demo-postcodes.csv");
    let o = run(&[
        "--data-dir",
        dir,
        "import",
        "postcodes",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("imported "), "{}", stdout(&o));
    // The demo's own runs come first (its load, and its payment runs' preparations).
    let out = stdout(&o);
    let id: String = out
        .split("services located (run ")
        .nth(1)
        .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_default();
    assert!(!id.is_empty(), "{out}");
    let list = stdout(&run(&["--data-dir", dir, "runs", "list"]));
    let lines: Vec<&str> = list.lines().collect();
    // Newest first: the import, then the demo's payment preparations, then the demo.
    assert!(
        lines[1].contains("import_postcodes") && lines[1].contains("done"),
        "{list}"
    );
    assert!(
        lines[1..lines.len() - 1]
            .iter()
            .skip(1)
            .all(|l| l.contains("payment_prepare") && l.contains("done")),
        "{list}"
    );
    let demo = lines.last().unwrap();
    assert!(demo.contains("demo") && demo.contains("done"), "{list}");
    assert!(
        demo.contains("7/7 100%") || demo.contains("6/6 100%"),
        "{list}"
    );
    let show = stdout(&run(&["--data-dir", dir, "runs", "show", &id]));
    assert!(show.contains("status         done"), "{show}");
    assert!(show.contains("\"rows_done\""), "{show}");
    assert!(show.contains("sha256"), "{show}");
    let o = run(&["--data-dir", dir, "runs", "show", "9999"]);
    assert!(!o.status.success());
    assert_eq!(
        run(&["--data-dir", dir, "audit", "verify"]).status.code(),
        Some(0)
    );
}

/// The value of the first `attr="..."` after `marker` in `page`.
fn text_after(page: &str, marker: &str) -> String {
    let i = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {page}"));
    let rest = &page[i + marker.len()..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].trim().to_string()
}

/// Going live (issue 11): from an empty data folder, an operator creates the authority and its
/// first administrator on the command line; the administrator signs in with the temporary
/// password, must choose a new one and set up an authenticator app, and reaches their home.
#[tokio::test]
async fn going_live_from_an_empty_database_to_a_first_administrator_signed_in() {
    let data = Tmp::new("cli-live");
    let dir = data.0.to_str().unwrap().to_string();
    assert!(run(&["--data-dir", &dir, "migrate"]).status.success());
    let list = stdout(&run(&["--data-dir", &dir, "authority", "list"]));
    assert!(list.contains("no authorities yet"), "{list}");

    // Bad input is refused with a reason per field and adds nothing.
    let o = run(&[
        "--data-dir",
        &dir,
        "authority",
        "add",
        "--code",
        "B R K",
        "--name",
        "",
        "--region",
        "wales",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("code: ") && err.contains("name: ") && err.contains("region: "),
        "{err}"
    );

    let o = run(&[
        "--data-dir",
        &dir,
        "authority",
        "add",
        "--code",
        "fvl",
        "--name",
        "Fernvale Borough Council",
        "--region",
        "scotland",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("added Fernvale Borough Council (FVL), Scotland"));
    let o = run(&[
        "--data-dir",
        &dir,
        "authority",
        "add",
        "--code",
        "FVL",
        "--name",
        "Again",
    ]);
    assert_eq!(o.status.code(), Some(2), "a code is used once");
    let list = stdout(&run(&["--data-dir", &dir, "authority", "list"]));
    assert!(
        list.lines().any(|l| l.starts_with("FVL")
            && l.contains("Fernvale Borough Council")
            && l.contains("Scotland")),
        "{list}"
    );

    let o = run(&[
        "--data-dir",
        &dir,
        "user",
        "add",
        "--username",
        "fvladmin",
        "--name",
        "Fern Admin",
        "--role",
        "administrator",
        "--authority",
        "FVL",
        "--email",
        "fern.admin@fernvale.example",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let temp = out
        .split("temporary password: ")
        .nth(1)
        .and_then(|s| s.lines().next())
        .unwrap()
        .trim()
        .to_string();

    // The administrator's first sign-in.
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
    let c = client();
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("csrf", extract_csrf(&page).as_str()),
            ("username", "fvladmin"),
            ("password", temp.as_str()),
            ("next", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let mut at = r.headers()["location"].to_str().unwrap().to_string();
    let new_password = "Fernvale winter hearth 2026";
    let mut steps = Vec::new();
    while at != "/home" {
        assert!(
            steps.len() < 4,
            "first sign-in went round in circles: {steps:?}"
        );
        steps.push(at.clone());
        let page = c
            .get(format!("{base}{at}"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = extract_csrf(&page);
        let r = match at.as_str() {
            "/account/password" => c
                .post(format!("{base}/account/password"))
                .form(&[
                    ("csrf", csrf.as_str()),
                    ("current_password", temp.as_str()),
                    ("new_password", new_password),
                    ("confirm_password", new_password),
                ])
                .send()
                .await
                .unwrap(),
            "/login/enrol" => {
                let secret = text_after(&page, "data-testid=\"totp-secret\"");
                c.post(format!("{base}/login/enrol"))
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("code", totp_now(&secret).as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
            other => panic!("unexpected step {other}: {page}"),
        };
        assert_eq!(r.status(), 303, "step {at}");
        at = r.headers()["location"].to_str().unwrap().to_string();
    }
    assert!(
        steps.contains(&"/account/password".to_string()),
        "{steps:?}"
    );
    assert!(steps.contains(&"/login/enrol".to_string()), "{steps:?}");
    let home = c
        .get(format!("{base}/home"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("Fern Admin"),
        "signed in as the new administrator"
    );
    let settings = c
        .get(format!("{base}/admin/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        settings.status(),
        200,
        "the administrator manages their authority"
    );
    drop(server);
    assert_eq!(
        run(&["--data-dir", &dir, "audit", "verify"]).status.code(),
        Some(0)
    );
}

/// `hearth demo` on PostgreSQL (issue 11): it loads into an empty database, replaces an
/// earlier demo, and refuses a database where a real authority has been set up.
#[tokio::test]
async fn the_demo_loads_into_postgresql_replaces_an_earlier_demo_and_nothing_else() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("skipping: set TEST_DATABASE_URL to a PostgreSQL server");
        return;
    };
    let url = hearth_store::testing::fresh_postgres_database(&base)
        .await
        .unwrap();
    let data = Tmp::new("cli-pg-demo");
    let dir = data.0.to_str().unwrap().to_string();
    let on_pg = |args: &[&str]| {
        hearth()
            .env("DATABASE_URL", &url)
            .env("HEARTH_AUDIT_KEY", "pg-demo-test-key")
            .args(["--data-dir", &dir])
            .args(args)
            .output()
            .unwrap()
    };
    let o = on_pg(&["demo", "--no-serve"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(data.0.join("demo-accounts.txt").exists());
    let list = stdout(&on_pg(&["authority", "list"]));
    assert!(list.contains("BRK"), "{list}");

    // Again: the earlier demo is replaced, not added to.
    let o = on_pg(&["demo", "--no-serve", "--no-history"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("replacing the earlier demo"));
    let list = stdout(&on_pg(&["authority", "list"]));
    assert_eq!(
        list.lines().filter(|l| l.starts_with("BRK")).count(),
        1,
        "{list}"
    );
    assert_eq!(on_pg(&["audit", "verify"]).status.code(), Some(0));

    // Once a real authority is set up here, the demo will not touch the database.
    let o = on_pg(&[
        "authority",
        "add",
        "--code",
        "FVL",
        "--name",
        "Fernvale Borough Council",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = on_pg(&["demo", "--no-serve"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds other data"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let list = stdout(&on_pg(&["authority", "list"]));
    assert!(
        list.contains("FVL") && list.contains("BRK"),
        "nothing was removed: {list}"
    );
}

#[test]
fn payment_runs_from_the_command_line_need_a_second_finance_officer_and_pay_once() {
    let data = Tmp::new("cli-payments");
    let dir = data.0.to_str().unwrap();
    assert!(run(&["--data-dir", dir, "demo", "--no-serve"])
        .status
        .success());
    // The demo leaves its last ended period prepared, waiting for approval.
    let o = run(&["--data-dir", dir, "payments", "list", "--as", "finance"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let list = stdout(&o);
    let Some(id) = list
        .lines()
        .find(|l| l.split('\t').nth(2) == Some("prepared"))
        .and_then(|l| l.split('\t').next())
    else {
        // A day early in a payment year has no period ended yet: nothing to approve.
        return;
    };
    let id = id.to_string();
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "approve",
        "--as",
        "finance",
        &id,
    ]);
    assert!(!o.status.success(), "the preparer may not approve");
    assert!(String::from_utf8_lossy(&o.stderr).contains("other than the one who prepared it"));
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "approve",
        "--as",
        "payments",
        &id,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "commit",
        "--as",
        "payments",
        &id,
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout(&o).contains("paid"));
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "commit",
        "--as",
        "payments",
        &id,
    ]);
    assert!(!o.status.success(), "a run is paid once");
    let file = data.0.join("finance.csv");
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "export",
        "--as",
        "finance",
        &id,
        file.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.contains("supplier_reference,payment_date,amount,cost_centre,run_id"));
    assert!(csv.contains(&format!("HEARTH-{id}")));
    // An officer cannot prepare.
    let o = run(&[
        "--data-dir",
        dir,
        "payments",
        "prepare",
        "--as",
        "officer",
        "--period",
        "2026-12-20",
    ]);
    assert!(!o.status.success());
    assert_eq!(
        run(&["--data-dir", dir, "audit", "verify"]).status.code(),
        Some(0)
    );
}
