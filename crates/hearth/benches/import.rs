//! The records import at the county scale of the demo generator, or the national profile of
//! SPEC S1 (issue 11: "Loading existing records").
//!
//! The demo is generated into one database and each of its authorities exported in the
//! import templates (`hearth export records`); then each authority is added to a fresh
//! database and its files imported through the command a council's IT team runs
//! (`hearth import records`: the dry run, then the job run that writes). Each import is a
//! process of its own, timed with its peak memory (GNU time's maximum resident set size).
//! The raw work underneath is reading and parsing the same CSV files (`read_csv`): the
//! import's time is also given as a multiple of that. Then each authority is exported again
//! from the database it was imported into, and the files must be the same (the round trip).
//!
//! Run: `cargo bench -p hearth --bench import` (county), or with
//! `HEARTH_BENCH_SCALE=national` (loading the national demo first takes minutes and about
//! 5 GB).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn hearth(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hearth"));
    c.env("HEARTH_AUDIT_KEY", "import-bench-key")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .arg("--data-dir")
        .arg(data);
    c
}

fn ok(mut c: Command) -> String {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).to_string()
}

fn main() {
    let scale = std::env::var("HEARTH_BENCH_SCALE").unwrap_or_else(|_| "county".into());
    let root = std::env::temp_dir().join(format!("hearth-import-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (from, to, files) = (root.join("from"), root.join("to"), root.join("files"));
    std::fs::create_dir_all(&files).unwrap();

    eprintln!("loading the {scale} demo ...");
    let mut c = hearth(&from);
    c.args(["demo", "--scale", &scale, "--no-serve", "--no-history"]);
    ok(c);
    let list = ok({
        let mut c = hearth(&from);
        c.args(["authority", "list"]);
        c
    });
    let codes: Vec<String> = list
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    eprintln!("exporting {} authorities ...", codes.len());
    for code in &codes {
        let mut c = hearth(&from);
        c.args(["export", "records", "--authority", code]);
        c.arg(files.join(code));
        ok(c);
    }
    ok({
        let mut c = hearth(&to);
        c.arg("migrate");
        c
    });

    let (mut rows, mut bytes) = (0usize, 0usize);
    let (mut total_s, mut peak_kb, mut raw_s) = (0f64, 0u64, 0f64);
    for code in &codes {
        ok({
            let mut c = hearth(&to);
            c.args([
                "authority",
                "add",
                "--code",
                code,
                "--name",
                &format!("{code} council"),
            ]);
            c
        });
        let dir = files.join(code);
        let paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        // The raw work: reading and parsing the files.
        let t = Instant::now();
        for p in &paths {
            let b = std::fs::read(p).unwrap();
            bytes += b.len();
            rows += hearth_docs::table::read_csv(&b, 10_000_000).unwrap().len() - 1;
        }
        raw_s += t.elapsed().as_secs_f64();
        let mut c = Command::new("/usr/bin/time");
        c.args(["-f", "%e %M"])
            .arg(env!("CARGO_BIN_EXE_hearth"))
            .env("HEARTH_AUDIT_KEY", "import-bench-key")
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .arg("--data-dir")
            .arg(&to)
            .args(["import", "records", "--authority", code])
            .args(&paths);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let err = String::from_utf8_lossy(&o.stderr);
        let last = err.lines().last().unwrap_or("");
        let mut it = last.split_whitespace();
        let secs: f64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0.0);
        let kb: u64 = it.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        total_s += secs;
        peak_kb = peak_kb.max(kb);
    }
    // The round trip: each authority exported again from the database it was imported into
    // gives the same files.
    for code in &codes {
        let again = root.join("again").join(code);
        let mut c = hearth(&to);
        c.args(["export", "records", "--authority", code]);
        c.arg(&again);
        ok(c);
        for e in std::fs::read_dir(files.join(code)).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap();
            assert!(
                std::fs::read(&p).unwrap() == std::fs::read(again.join(name)).unwrap(),
                "{code}: {} differs after the round trip",
                name.to_string_lossy()
            );
        }
    }
    eprintln!("round trip: every authority's files exported again are the same");
    let schedules = ok({
        let mut c = hearth(&to);
        c.args(["audit", "verify"]);
        c
    });
    println!("| scale | authorities | rows imported | files | import, all authorities | rows/s | raw read and parse | import ÷ raw | peak memory of one import |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    println!(
        "| {scale} | {} | {rows} | {:.1} MB | {total_s:.1} s | {:.0} | {raw_s:.2} s | {:.0}× | {} MB |",
        codes.len(),
        bytes as f64 / 1e6,
        rows as f64 / total_s.max(1e-9),
        total_s / raw_s.max(1e-9),
        peak_kb / 1024
    );
    eprintln!("{}", schedules.trim());
    let _ = std::fs::remove_dir_all(&root);
}
