//! Embeds GOV.UK Frontend (from its npm package) and Hearth's own assets in the binary.
//! If the npm packages are not installed yet, installs them with `npm ci` first.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().parent().unwrap().to_path_buf();
    let govuk = root.join("node_modules/govuk-frontend/dist/govuk");
    println!(
        "cargo:rerun-if-changed={}",
        root.join("package-lock.json").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        manifest.join("static").display()
    );
    // Install when a package is missing (a checkout made before a package was added too).
    if !govuk.join("govuk-frontend.min.css").exists()
        || !root.join("node_modules/axe-core/axe.min.js").exists()
        || installed_version(&root) != locked_version(&root)
    {
        let lock = root.join("package-lock.json").exists();
        let status = Command::new("npm")
            .args(if lock {
                vec!["ci", "--no-audit", "--no-fund"]
            } else {
                vec!["install", "--no-audit", "--no-fund"]
            })
            .current_dir(&root)
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "GOV.UK Frontend is not installed and `npm ci` failed ({other:?}). Install Node.js and npm, then run `npm ci` in {}",
                root.display()
            ),
        }
    }
    println!("cargo:rerun-if-changed={}", govuk.display());

    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for name in ["govuk-frontend.min.css", "govuk-frontend.min.js"] {
        files.push((name.to_string(), govuk.join(name)));
    }
    collect(&govuk.join("assets"), "", &mut files);
    collect(&manifest.join("static"), "", &mut files);

    let mut out = String::from("/// Files served under /assets/: (path, content type, bytes).\npub static ASSETS: &[(&str, &str, &[u8])] = &[\n");
    for (name, path) in &files {
        out.push_str(&format!(
            "    ({:?}, {:?}, include_bytes!({:?})),\n",
            name,
            content_type(name),
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let dest = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("assets.rs");
    std::fs::write(dest, out).unwrap();
}

fn collect(dir: &Path, prefix: &str, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().to_string();
        let path = e.path();
        if path.is_dir() {
            collect(&path, &format!("{prefix}{name}/"), files);
        } else if !name.ends_with(".map") {
            files.push((format!("{prefix}{name}"), path));
        }
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// The first `"version": "..."` at or after `from` in `text`.
fn version_after(text: &str, from: usize) -> Option<String> {
    let rest = &text[from..];
    let at = rest.find("\"version\"")?;
    let rest = &rest[at + "\"version\"".len()..];
    let start = rest.find('"')? + 1;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// GOV.UK Frontend's version in node_modules (a checkout made before an upgrade has the old one).
fn installed_version(root: &Path) -> Option<String> {
    let text =
        std::fs::read_to_string(root.join("node_modules/govuk-frontend/package.json")).ok()?;
    version_after(&text, 0)
}

/// GOV.UK Frontend's version in package-lock.json.
fn locked_version(root: &Path) -> Option<String> {
    let text = std::fs::read_to_string(root.join("package-lock.json")).ok()?;
    let at = text.find("\"node_modules/govuk-frontend\"")?;
    version_after(&text, at)
}
