//! Workbook benchmark (issue 4): generating one workbook and validating one upload, each beside
//! the time the xlsx libraries alone take to write and to read the same file; and generating
//! the workbooks of every service at county scale.
//!
//! Run: `cargo bench -p hearth --bench workbook`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hearth_app::demo::Scale;
use hearth_app::{App, AppConfig};
use hearth_domain::performance::Quarter;
use hearth_store::{Db, DbConfig};
use std::io::Cursor;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = hearth_store::testing::TempDir::new("hearth-bench-wb").unwrap();
    let db = Db::connect(&DbConfig {
        url: format!("sqlite://{}", dir.path().join("b.db").display()),
        max_connections: 4,
        audit_key: b"b".to_vec(),
    })
    .await
    .unwrap();
    db.migrate().await.unwrap();
    let app = App::new(db.clone(), AppConfig::default());
    app.load_demo(Scale::County, 2026, &|_| {}).await.unwrap();
    let u = db.user_by_username("provider").await.unwrap().unwrap();
    let provider = app.principal_for(u, None).await.unwrap().unwrap();
    let mut f = provider.service_filter();
    f.per_page = 100;
    let service = db.list_services(&f).await.unwrap().items[0].clone();
    let q = Quarter::for_date(app.today()).previous();
    let year = q.year();
    const RUNS: usize = 50;

    // Generate: Hearth's workbook (records, triggers, layout) vs the library writing the same cells.
    let mut gen = Vec::new();
    let mut bytes = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        bytes = app
            .return_workbook(&provider, service.id, year)
            .await
            .unwrap()
            .1;
        gen.push(t.elapsed());
    }
    let mut lib_write = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let mut wb = rust_xlsxwriter::Workbook::new();
        for name in ["Cover", "Contract", "Q1", "Q2", "Q3", "Q4"] {
            let ws = wb.add_worksheet();
            ws.set_name(name).unwrap();
            for r in 0..30u32 {
                ws.write_string(r, 0, "A label of about the length Hearth writes here")
                    .unwrap();
                ws.write_number(r, 1, f64::from(r)).unwrap();
            }
            ws.protect();
        }
        let _ = wb.save_to_buffer().unwrap();
        lib_write.push(t.elapsed());
    }

    // Validate an upload: Hearth's bounded reader (size, unpacked size, parts, cells, mark) vs
    // calamine alone reading the same quarter sheet.
    let mut read = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let sheet = hearth_docs::workbook::read_quarter(&bytes, q.number()).unwrap();
        assert!(!sheet.mark.is_empty());
        read.push(t.elapsed());
    }
    let mut lib_read = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(&bytes)).unwrap();
        let _ = wb.worksheet_range(&format!("Q{}", q.number())).unwrap();
        let _ = wb.worksheet_range("Contract").unwrap();
        lib_read.push(t.elapsed());
    }
    // The whole upload path: read, check and store a return.
    let mut upload = Vec::new();
    for i in 0..10 {
        let filled = {
            use hearth_docs::workbook::*;
            write_workbook(&WorkbookSpec {
                locals: Vec::new(),
                mark: mark_for(&service.reference, &year.label(), 1),
                contract: ContractSheet {
                    service_reference: service.reference.clone(),
                    contracted_units: service.contracted_units,
                    ..Default::default()
                },
                quarters: Quarter::all_of(year)
                    .iter()
                    .map(|x| (x.number(), x.label(), x.days()))
                    .collect(),
                indicators: Vec::new(),
                prefill: INPUTS
                    .iter()
                    .map(|(f, _)| {
                        (
                            q.number(),
                            f.to_string(),
                            if *f == "occupied_unit_days" { 100 } else { 5 },
                        )
                    })
                    .collect(),
            })
            .unwrap()
        };
        let t = Instant::now();
        let r = app
            .submit_return_workbook(&provider, service.id, q, &filled, false, "")
            .await
            .unwrap();
        upload.push(t.elapsed());
        // Make room for the next one.
        hearth_store::testing::exec(
            &db,
            &format!(
                "UPDATE performance_returns SET status = 'replaced' WHERE id = {}",
                r.id
            ),
        )
        .await
        .unwrap();
        let _ = i;
    }

    println!("| measure | median | the xlsx library alone | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| generate one workbook ({} kB) | {} | {} (rust_xlsxwriter, same sheets) | {:.1}x |",
        bytes.len() / 1024,
        ms(median(gen.clone())),
        ms(median(lib_write.clone())),
        median(gen).as_secs_f64() / median(lib_write).as_secs_f64()
    );
    println!("| validate one upload (bounded read of the quarter) | {} | {} (calamine, same sheets) | {:.1}x |", ms(median(read.clone())), ms(median(lib_read.clone())), median(read).as_secs_f64() / median(lib_read).as_secs_f64());
    println!(
        "| upload end to end (read, check, store the return) | {} | | |",
        ms(median(upload))
    );

    // Every service's workbook at county scale.
    let services = db
        .list_services(&hearth_store::ServiceFilter {
            per_page: 10_000,
            ..Default::default()
        })
        .await
        .unwrap()
        .items;
    let officer = app
        .principal_for(db.user_by_username("officer").await.unwrap().unwrap(), None)
        .await
        .unwrap()
        .unwrap();
    let t = Instant::now();
    let mut total = 0usize;
    let mut n = 0;
    for s in services
        .iter()
        .filter(|s| s.authority_id == officer.authority_id())
    {
        total += app
            .return_workbook(&officer, s.id, year)
            .await
            .unwrap()
            .1
            .len();
        n += 1;
    }
    println!(
        "\nworkbooks for every service of the county ({n}): {:.2?} in all, {} MB",
        t.elapsed(),
        total / 1024 / 1024
    );
}
