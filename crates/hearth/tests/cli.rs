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
        "serve", "demo", "migrate", "user", "audit", "backup", "restore",
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
    assert!(
        stdout(&o).contains("services located (run 2)"),
        "{}",
        stdout(&o)
    );
    let list = stdout(&run(&["--data-dir", dir, "runs", "list"]));
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 3, "{list}");
    assert!(
        lines[1].contains("import_postcodes") && lines[1].contains("done"),
        "{list}"
    );
    assert!(
        lines[2].contains("demo") && lines[2].contains("done"),
        "{list}"
    );
    assert!(
        lines[2].contains("7/7 100%") || lines[2].contains("6/6 100%"),
        "{list}"
    );
    let show = stdout(&run(&["--data-dir", dir, "runs", "show", "2"]));
    assert!(show.contains("status         done"), "{show}");
    assert!(show.contains("\"rows_done\""), "{show}");
    assert!(show.contains("sha256"), "{show}");
    let o = run(&["--data-dir", dir, "runs", "show", "99"]);
    assert!(!o.status.success());
    assert_eq!(
        run(&["--data-dir", dir, "audit", "verify"]).status.code(),
        Some(0)
    );
}
