//! The workbook survives LibreOffice: a generated workbook, with a quarter filled in, opened and
//! saved as .xlsx by LibreOffice (headless), is read and accepted, and the contract sheet is
//! still locked afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
use hearth_domain::performance::Quarter;
use std::io::{Read, Write};
use std::path::Path;
use support::Tmp;

fn soffice() -> Option<&'static str> {
    ["/usr/bin/soffice", "/usr/bin/libreoffice"]
        .into_iter()
        .find(|p| Path::new(p).exists())
}

/// Fills blank input cells of one sheet in the workbook's XML, as typing into them would.
fn fill(xlsx: &[u8], sheet_file: &str, values: &[(&str, i64)]) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == sheet_file {
            let mut xml = String::from_utf8(data).unwrap();
            for (cell, v) in values {
                let open = format!("<c r=\"{cell}\" s=\"");
                let at = xml.find(&open).unwrap_or_else(|| panic!("no cell {cell}"));
                let end = at + xml[at..].find("/>").unwrap();
                let style = &xml[at + open.len()..end].trim_end_matches('"').to_string();
                xml.replace_range(
                    at..end + 2,
                    &format!("<c r=\"{cell}\" s=\"{style}\"><v>{v}</v></c>"),
                );
            }
            data = xml.into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

fn sheet_xml(xlsx: &[u8], name_contains: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    // Find the sheet by name through the workbook's relationships: LibreOffice keeps sheet order.
    let mut wb = String::new();
    z.by_name("xl/workbook.xml")
        .unwrap()
        .read_to_string(&mut wb)
        .unwrap();
    let index = wb
        .split("<sheet ")
        .skip(1)
        .position(|s| s.contains(&format!("name=\"{name_contains}\"")))
        .unwrap()
        + 1;
    let mut xml = String::new();
    z.by_name(&format!("xl/worksheets/sheet{index}.xml"))
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    xml
}

#[tokio::test]
async fn a_workbook_saved_by_libreoffice_is_accepted_and_stays_locked() {
    let Some(soffice) = soffice() else {
        if std::env::var("HEARTH_REQUIRE_E2E").is_ok() {
            panic!("HEARTH_REQUIRE_E2E is set but LibreOffice is not installed");
        }
        eprintln!("skipping: install libreoffice-calc-nogui to run the LibreOffice round trip");
        return;
    };
    let t = hearth_store::testing::sqlite().await.unwrap();
    let app = hearth_app::App::new(t.db.clone(), Default::default());
    app.load_demo(hearth_app::demo::Scale::Small, 7, &|_| {})
        .await
        .unwrap();
    let officer = app
        .principal_for(
            app.db_for_tests()
                .user_by_username("officer")
                .await
                .unwrap()
                .unwrap(),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let provider = app
        .principal_for(
            app.db_for_tests()
                .user_by_username("provider")
                .await
                .unwrap()
                .unwrap(),
            None,
        )
        .await
        .unwrap()
        .unwrap();
    let mut f = provider.service_filter();
    f.per_page = 100;
    let s = app.db_for_tests().list_services(&f).await.unwrap().items[0].clone();
    let q = Quarter::for_date(app.today()).previous();
    let (_, generated) = app
        .return_workbook(&provider, s.id, q.year())
        .await
        .unwrap();

    // Sheets: Cover, Contract, Q1..Q4 -> the quarter's sheet is sheet (2 + q).
    let occupied = s.contracted_units * i64::from(q.days()) * 95 / 100;
    let filled = fill(
        &generated,
        &format!("xl/worksheets/sheet{}.xml", 2 + q.number()),
        &[
            ("B7", 20),
            ("B8", 19),
            ("B9", 2),
            ("B10", 2),
            ("B11", 2),
            ("B12", 0),
            ("B13", occupied),
            ("B14", 100),
            ("B15", 97),
        ],
    );
    let dir = Tmp::new("libreoffice");
    let input = dir.0.join("return.xlsx");
    std::fs::write(&input, filled).unwrap();
    let out = dir.0.join("out");
    let status = std::process::Command::new(soffice)
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            out.to_str().unwrap(),
            input.to_str().unwrap(),
        ])
        .env("HOME", dir.0.to_str().unwrap())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let saved = std::fs::read(out.join("return.xlsx")).unwrap();
    assert_ne!(saved, generated, "LibreOffice wrote its own file");

    // The contract sheet is still locked; the quarter's inputs are still unlocked.
    assert!(
        sheet_xml(&saved, "Contract").contains("<sheetProtection"),
        "contract sheet locked after the round trip"
    );
    // Accepted.
    let r = app
        .submit_return_workbook(&provider, s.id, q, &saved, false, "")
        .await
        .unwrap();
    let v = app.return_view(&officer, r.id).await.unwrap();
    assert_eq!(v.figures.maintained_independent_living, 19);
    assert_eq!(v.figures.support_hours_delivered, 97);
    app.check_return(
        &officer,
        r.id,
        hearth_domain::workflow::returns::Decision::Accept,
        "",
        false,
    )
    .await
    .unwrap();
}
