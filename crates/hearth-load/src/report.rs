//! The report, in Markdown (printed, and written to `--report`).

use crate::stats::{percentile, Recorder};
use std::fmt::Write;

pub struct Summary {
    pub label: Option<String>,
    pub base: String,
    pub started: chrono::DateTime<chrono::Utc>,
    pub seed: u64,
    pub threads: usize,
    pub sessions_wanted: usize,
    /// Signed-in sessions by role.
    pub roles: Vec<(String, usize)>,
    pub public: usize,
    pub duration_planned: u64,
    /// Seconds from the start of the load until the last client stopped.
    pub elapsed: f64,
    pub sign_in_secs: f64,
    /// (username, what went wrong).
    pub sign_in_failures: Vec<(String, String)>,
    /// Where the search postcodes came from, and how many.
    pub postcodes: String,
    pub rec: Recorder,
    /// (when, MB).
    pub memory: Vec<(String, f64)>,
    pub client_cpu: Option<f64>,
    pub server_cpu: Option<f64>,
}

fn ms(us: u32) -> String {
    format!("{:.1}", f64::from(us) / 1000.0)
}

fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        n as f64 / secs
    } else {
        0.0
    }
}

pub fn markdown(s: &mut Summary) -> String {
    let mut o = String::new();
    let signed_in: usize = s.roles.iter().map(|r| r.1).sum();
    let total = s.rec.signed + s.rec.public;
    let secs = s.elapsed;
    let _ = match &s.label {
        Some(l) => writeln!(o, "# Hearth load test: {l}\n"),
        None => writeln!(o, "# Hearth load test\n"),
    };
    let _ = writeln!(
        o,
        "- Server: {} (test started {} UTC; seed {}, {} client worker thread{})",
        s.base,
        s.started.format("%Y-%m-%d %H:%M:%S"),
        s.seed,
        s.threads,
        if s.threads == 1 { "" } else { "s" }
    );
    let roles: Vec<String> = s.roles.iter().map(|(r, n)| format!("{r} {n}")).collect();
    let _ = writeln!(
        o,
        "- Signed-in sessions: {signed_in} of {} ({}); public clients: {}",
        s.sessions_wanted,
        if roles.is_empty() {
            "none".to_string()
        } else {
            roles.join(", ")
        },
        s.public
    );
    let _ = writeln!(
        o,
        "- Duration: {} s of load ({secs:.1} s until the last request in flight ended)",
        s.duration_planned
    );
    let _ = writeln!(
        o,
        "- Sign-in (not in the figures): {} session{} in {:.1} s, {} failure{}",
        s.sessions_wanted,
        if s.sessions_wanted == 1 { "" } else { "s" },
        s.sign_in_secs,
        s.sign_in_failures.len(),
        if s.sign_in_failures.len() == 1 {
            ""
        } else {
            "s"
        }
    );
    let _ = writeln!(o, "- Search postcodes: {}", s.postcodes);
    let _ = writeln!(
        o,
        "- Requests: {total} ({:.1}/s); signed-in {} ({:.1}/s); public {} ({:.1}/s)",
        rate(total, secs),
        s.rec.signed,
        rate(s.rec.signed, secs),
        s.rec.public,
        rate(s.rec.public, secs)
    );
    let _ = writeln!(
        o,
        "- Errors: **{}** (target 0); 4xx answers: {} (of which {} were 404 on links picked at random, not errors)",
        s.rec.errors, s.rec.four_xx, s.rec.expected_404
    );
    let mut statuses: Vec<(u16, u64)> = s.rec.statuses.iter().map(|(k, v)| (*k, *v)).collect();
    statuses.sort();
    let st: Vec<String> = statuses
        .iter()
        .map(|(k, v)| {
            if *k == 0 {
                format!("no answer {v}")
            } else {
                format!("{k}: {v}")
            }
        })
        .collect();
    let _ = writeln!(o, "- Statuses: {}", st.join(", "));
    if let Some(c) = s.client_cpu {
        let _ = writeln!(
            o,
            "- Client CPU during the load: {c:.1} s ({:.0}% of one core)",
            100.0 * c / secs.max(0.001)
        );
    }
    if let Some(c) = s.server_cpu {
        let _ = writeln!(
            o,
            "- Server CPU during the load: {c:.1} s ({:.0}% of one core)",
            100.0 * c / secs.max(0.001)
        );
    }

    if !s.sign_in_failures.is_empty() {
        let _ = writeln!(o, "\n## Sign-in failures\n");
        for (u, e) in &s.sign_in_failures {
            let _ = writeln!(o, "- {u}: {e}");
        }
    }

    let _ = writeln!(o, "\n## Routes\n");
    let _ = writeln!(
        o,
        "| Route | Count | req/s | p50 ms | p90 ms | p99 ms | max ms | Errors |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut routes: Vec<(&String, &mut crate::stats::Route)> = s.rec.routes.iter_mut().collect();
    routes.sort_by(|a, b| {
        b.1.lat_us
            .len()
            .cmp(&a.1.lat_us.len())
            .then_with(|| a.0.cmp(b.0))
    });
    for (k, r) in routes {
        r.lat_us.sort_unstable();
        let v = &r.lat_us;
        let _ = writeln!(
            o,
            "| `{k}` | {} | {:.1} | {} | {} | {} | {} | {} |",
            v.len(),
            rate(v.len() as u64, secs),
            ms(percentile(v, 50.0)),
            ms(percentile(v, 90.0)),
            ms(percentile(v, 99.0)),
            ms(v.last().copied().unwrap_or(0)),
            r.errors
        );
    }

    let _ = writeln!(o, "\n## Errors\n");
    if s.rec.errors == 0 {
        let _ = writeln!(o, "None.");
    } else {
        let _ = writeln!(
            o,
            "{} in total; the first {}:\n",
            s.rec.errors,
            s.rec.error_examples.len()
        );
        for (u, e) in &s.rec.error_examples {
            let _ = writeln!(o, "- `{u}`: {e}");
        }
    }
    if !s.rec.four_xx_examples.is_empty() {
        let _ = writeln!(o, "\n### First 4xx answers\n");
        for (u, st) in &s.rec.four_xx_examples {
            let _ = writeln!(o, "- `{u}`: {st}");
        }
    }

    if !s.memory.is_empty() {
        let _ = writeln!(o, "\n## Server memory (VmRSS)\n");
        let _ = writeln!(o, "| When | MB |");
        let _ = writeln!(o, "|---|---:|");
        for (w, m) in &s.memory {
            let _ = writeln!(o, "| {w} | {m:.1} |");
        }
    }
    o
}
