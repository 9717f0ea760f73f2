//! The store is private to hearth-app: hearth-web and hearth-jobs reach data only through
//! use cases, so neither may depend on hearth-store or name it in its source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// The lines of one [section] of a Cargo.toml.
fn section(toml: &str, name: &str) -> Vec<String> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            inside = t == format!("[{name}]");
            continue;
        }
        if inside {
            out.push(t.to_string());
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn web_and_jobs_do_not_depend_on_the_store() {
    for name in ["hearth-web", "hearth-jobs"] {
        let toml = std::fs::read_to_string(crate_dir(name).join("Cargo.toml")).unwrap();
        for s in ["dependencies", "build-dependencies"] {
            let deps = section(&toml, s);
            assert!(
                !deps.iter().any(|l| l.starts_with("hearth-store")),
                "{name} has hearth-store in [{s}]: reach data through hearth-app's use cases"
            );
        }
    }
}

#[test]
fn web_and_jobs_sources_never_name_the_store() {
    for name in ["hearth-web", "hearth-jobs"] {
        let mut files = Vec::new();
        rust_files(&crate_dir(name).join("src"), &mut files);
        assert!(!files.is_empty(), "{name} has sources");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for needle in ["hearth_store", "store::", "db_for_tests"] {
                assert!(
                    !text.contains(needle),
                    "{} names `{needle}`: reach data through hearth-app's use cases",
                    f.display()
                );
            }
        }
    }
}
