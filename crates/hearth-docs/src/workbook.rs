//! The quarterly performance workbook (F4.3): a real .xlsx pre-filled from the authority's
//! records, with a locked contract sheet, one sheet per quarter whose input cells are unlocked
//! and validated, formulas for each indicator, trigger formatting and the year's mark on every
//! sheet; and the bounded reader of an uploaded workbook.

use rust_xlsxwriter::{
    Color, ConditionalFormatCell, ConditionalFormatCellRule, DataValidation, DataValidationRule,
    Format, Workbook, Worksheet, XlsxError,
};
use std::io::{Cursor, Read};

/// The input rows of a quarter sheet: (field, label), in order from row 7.
pub const INPUTS: &[(&str, &str)] = &[
    (
        "service_users_supported",
        "Service users supported in the quarter",
    ),
    (
        "maintained_independent_living",
        "Of those, how many maintained independent living",
    ),
    ("new_service_users", "New service users in the quarter"),
    ("departures", "Service users who left in the quarter"),
    (
        "planned_departures",
        "Of those, how many left in a planned way",
    ),
    (
        "unavailable_unit_days",
        "Unit-days not available for letting (accommodation only)",
    ),
    ("occupied_unit_days", "Unit-days occupied or used"),
    (
        "support_hours_contracted",
        "Support hours the contract provides this quarter",
    ),
    ("support_hours_delivered", "Support hours delivered"),
];

/// First input row (0-based): row 7 in Excel.
const FIRST_INPUT: u32 = 6;
const MARK_ROW: u32 = 1;

/// What the contract sheet shows (locked).
#[derive(Debug, Clone, Default)]
pub struct ContractSheet {
    pub service_reference: String,
    pub service_name: String,
    pub provider_reference: String,
    pub provider_name: String,
    pub client_group: String,
    pub service_type: String,
    pub authority: String,
    pub year_label: String,
    pub contracted_units: i64,
    pub planned_duration: String,
    pub out_of_hours_cover: String,
    pub contract_manager: String,
    pub contact: String,
    pub staffing_last_year: String,
}

/// An indicator row of a quarter sheet.
#[derive(Debug, Clone)]
pub struct IndicatorRow {
    pub label: String,
    /// An Excel formula over the input cells (B7 ... B15), `{units}` and `{days}`.
    pub formula: String,
    /// Minimum (higher is better) or maximum trigger, in the figure's unit.
    pub trigger: Option<(f64, bool)>,
}

/// Everything the workbook needs.
#[derive(Debug, Clone)]
pub struct WorkbookSpec {
    /// The year's mark, on every sheet: identifies service, year and version.
    pub mark: String,
    pub contract: ContractSheet,
    /// (quarter number, label like "2026/27 Q1 (April to June 2026)", days in the quarter).
    pub quarters: Vec<(u8, String, u32)>,
    pub indicators: Vec<IndicatorRow>,
    /// Figures to pre-fill (tests and replacements): (quarter, field, value).
    pub prefill: Vec<(u8, String, i64)>,
    /// The authority's local indicators this service reports: (code, label). Each gets an input
    /// row after the national ones, its code kept in column D.
    #[doc(hidden)]
    pub locals: Vec<(String, String)>,
}

/// Rows of local indicators start here (0-based), after the national inputs and a gap.
const FIRST_LOCAL: u32 = 30;

fn err(e: XlsxError) -> String {
    e.to_string()
}

fn header(ws: &mut Worksheet, title: &str, mark: &str, bold: &Format) -> Result<(), XlsxError> {
    ws.write_string_with_format(0, 0, title, bold)?;
    ws.write_string(MARK_ROW, 0, "Year mark (do not change)")?;
    ws.write_string(MARK_ROW, 1, mark)?;
    ws.set_column_width(0, 60)?;
    ws.set_column_width(1, 22)?;
    ws.set_column_width(2, 18)?;
    Ok(())
}

/// Writes the workbook.
pub fn write_workbook(spec: &WorkbookSpec) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let unlocked = Format::new()
        .set_unlocked()
        .set_background_color(Color::RGB(0xFFF7BF))
        .set_border(rust_xlsxwriter::FormatBorder::Thin);
    let percent = Format::new().set_num_format("0.0");
    let c = &spec.contract;

    let cover = wb.add_worksheet();
    cover.set_name("Cover").map_err(err)?;
    header(cover, "Quarterly performance return", &spec.mark, &bold).map_err(err)?;
    let lines = [
        format!("Service: {} {}", c.service_reference, c.service_name),
        format!("Provider: {} {}", c.provider_reference, c.provider_name),
        format!("Year: {}", c.year_label),
        String::new(),
        "Fill in the yellow cells of the quarter's sheet with whole numbers (0 if none), save, and upload it in Hearth.".into(),
        "Indicators work themselves out; a figure below its trigger turns red and needs an explanation.".into(),
        "Do not change the contract sheet: if its details are wrong, tell the commissioning team.".into(),
    ];
    for (i, l) in lines.iter().enumerate() {
        cover.write_string(3 + i as u32, 0, l).map_err(err)?;
    }
    cover.protect();

    let contract = wb.add_worksheet();
    contract.set_name("Contract").map_err(err)?;
    header(contract, "Contract details (locked)", &spec.mark, &bold).map_err(err)?;
    let rows: Vec<(&str, String)> = vec![
        ("Service ID", c.service_reference.clone()),
        ("Service name", c.service_name.clone()),
        ("Provider ID", c.provider_reference.clone()),
        ("Provider name", c.provider_name.clone()),
        ("Client group", c.client_group.clone()),
        ("Service type", c.service_type.clone()),
        ("Authority", c.authority.clone()),
        ("Year", c.year_label.clone()),
    ];
    for (i, (k, v)) in rows.iter().enumerate() {
        contract.write_string(3 + i as u32, 0, *k).map_err(err)?;
        contract.write_string(3 + i as u32, 1, v).map_err(err)?;
    }
    // Row 12 (0-based 11): units, as a number the quarter sheets' formulas use.
    contract
        .write_string(11, 0, "Contracted units")
        .map_err(err)?;
    contract
        .write_number(11, 1, c.contracted_units as f64)
        .map_err(err)?;
    let more = [
        ("Planned duration of support", c.planned_duration.clone()),
        ("Out-of-hours cover", c.out_of_hours_cover.clone()),
        ("Contract manager", c.contract_manager.clone()),
        ("Provider contact", c.contact.clone()),
        (
            "Staffing and support hours last year",
            c.staffing_last_year.clone(),
        ),
    ];
    for (i, (k, v)) in more.iter().enumerate() {
        contract.write_string(12 + i as u32, 0, *k).map_err(err)?;
        contract.write_string(12 + i as u32, 1, v).map_err(err)?;
    }
    contract.protect();

    let validation = DataValidation::new()
        .allow_whole_number(DataValidationRule::GreaterThanOrEqualTo(0))
        .set_error_title("Whole numbers only")
        .map_err(err)?
        .set_error_message("Enter a whole number, 0 or more.")
        .map_err(err)?;
    let red = Format::new()
        .set_font_color(Color::RGB(0xD4351C))
        .set_bold();
    for (q, label, days) in &spec.quarters {
        let ws = wb.add_worksheet();
        ws.set_name(format!("Q{q}")).map_err(err)?;
        header(ws, &format!("Return for {label}"), &spec.mark, &bold).map_err(err)?;
        ws.write_string(2, 0, format!("{} {}", c.service_reference, c.service_name))
            .map_err(err)?;
        ws.write_string(3, 0, "Days in the quarter").map_err(err)?;
        ws.write_number(3, 1, f64::from(*days)).map_err(err)?;
        ws.write_string(4, 0, "Contracted units (from the contract sheet)")
            .map_err(err)?;
        ws.write_formula(
            4,
            1,
            rust_xlsxwriter::Formula::new("=Contract!B12")
                .set_result(c.contracted_units.to_string()),
        )
        .map_err(err)?;
        ws.write_string_with_format(5, 0, "Figures for the quarter", &bold)
            .map_err(err)?;
        for (i, (field, label)) in INPUTS.iter().enumerate() {
            let row = FIRST_INPUT + i as u32;
            ws.write_string(row, 0, *label).map_err(err)?;
            match spec.prefill.iter().find(|(pq, f, _)| pq == q && f == field) {
                Some((_, _, v)) => ws
                    .write_number_with_format(row, 1, *v as f64, &unlocked)
                    .map_err(err)?,
                None => ws.write_blank(row, 1, &unlocked).map_err(err)?,
            };
        }
        let last_input = FIRST_INPUT + INPUTS.len() as u32 - 1;
        ws.add_data_validation(FIRST_INPUT, 1, last_input, 1, &validation)
            .map_err(err)?;
        if !spec.locals.is_empty() {
            ws.write_string_with_format(FIRST_LOCAL - 1, 0, "Local indicators", &bold)
                .map_err(err)?;
            for (i, (code, label)) in spec.locals.iter().enumerate() {
                let row = FIRST_LOCAL + i as u32;
                ws.write_string(row, 0, label).map_err(err)?;
                match spec
                    .prefill
                    .iter()
                    .find(|(pq, f, _)| pq == q && f == &format!("local:{code}"))
                {
                    Some((_, _, v)) => ws
                        .write_number_with_format(row, 1, *v as f64, &unlocked)
                        .map_err(err)?,
                    None => ws.write_blank(row, 1, &unlocked).map_err(err)?,
                };
                ws.write_string(row, 3, format!("local:{code}"))
                    .map_err(err)?;
            }
            ws.add_data_validation(
                FIRST_LOCAL,
                1,
                FIRST_LOCAL + spec.locals.len() as u32 - 1,
                1,
                &validation,
            )
            .map_err(err)?;
        }
        let top = last_input + 2;
        ws.write_string_with_format(top, 0, "Indicator", &bold)
            .map_err(err)?;
        ws.write_string_with_format(top, 1, "Figure", &bold)
            .map_err(err)?;
        ws.write_string_with_format(top, 2, "Trigger", &bold)
            .map_err(err)?;
        ws.write_string_with_format(top, 3, "Below trigger?", &bold)
            .map_err(err)?;
        for (i, ind) in spec.indicators.iter().enumerate() {
            let row = top + 1 + i as u32;
            ws.write_string(row, 0, &ind.label).map_err(err)?;
            let formula = ind
                .formula
                .replace("{units}", "$B$5")
                .replace("{days}", "$B$4");
            ws.write_formula_with_format(
                row,
                1,
                format!("=IFERROR({},\"\")", formula.trim_start_matches('=')).as_str(),
                &percent,
            )
            .map_err(err)?;
            if let Some((value, min)) = ind.trigger {
                ws.write_number(row, 2, value).map_err(err)?;
                let rule = if min {
                    ConditionalFormatCellRule::LessThan(value)
                } else {
                    ConditionalFormatCellRule::GreaterThan(value)
                };
                ws.add_conditional_format(
                    row,
                    1,
                    row,
                    1,
                    &ConditionalFormatCell::new().set_rule(rule).set_format(&red),
                )
                .map_err(err)?;
                // A text marker too, not colour alone.
                let cmp = if min { "<" } else { ">" };
                ws.write_formula(
                    row,
                    3,
                    format!(
                        "=IF(AND(ISNUMBER(B{r}),B{r}{cmp}C{r}),\"BELOW TRIGGER\",\"\")",
                        r = row + 1
                    )
                    .as_str(),
                )
                .map_err(err)?;
            }
        }
        ws.protect();
    }
    wb.save_to_buffer().map_err(err)
}

/// A one-sheet table as .xlsx (report exports); cells that read as numbers are written as numbers.
pub fn table_xlsx(sheet: &str, header: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match v.parse::<f64>() {
                Ok(n) => ws.write_number(r, c, n).map_err(err)?,
                Err(_) => ws.write_string(r, c, v).map_err(err)?,
            };
        }
    }
    ws.set_column_width(0, 40).map_err(err)?;
    wb.save_to_buffer().map_err(err)
}

/// A one-sheet workbook of text cells only (the import templates and an export in them): a
/// reference such as 00123 or a telephone number keeps its leading zeros, and every value
/// reads back exactly as written.
pub fn text_table_xlsx(
    sheet: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<Vec<u8>, String> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(err)?;
    let bold = Format::new().set_bold();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold)
            .map_err(err)?;
        ws.set_column_width(c as u16, 18).map_err(err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).map_err(err)?;
            }
        }
    }
    wb.save_to_buffer().map_err(err)
}

/// Limits of an upload.
pub const MAX_UPLOAD_BYTES: usize = 2 * 1024 * 1024;
pub const MAX_UNZIPPED_BYTES: u64 = 30 * 1024 * 1024;
pub const MAX_ZIP_ENTRIES: usize = 200;
pub const MAX_CELLS: usize = 20_000;
/// The furthest row and column (0-based) a return sheet may use. Hearth's sheets use about
/// 80 rows and 6 columns; anything far beyond is not a return, and is refused before any of it
/// is held in memory.
pub const MAX_ROW: u32 = 2_000;
pub const MAX_COL: u32 = 100;
/// The most distinct strings a workbook may declare (the reader reserves room for them).
pub const MAX_SHARED_STRINGS: u64 = 50_000;

/// What was read from one quarter sheet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuarterSheet {
    pub mark: String,
    /// (field, value as typed: None when blank, Err text when not a whole number).
    pub values: Vec<(String, Option<Result<i64, String>>)>,
    pub contracted_units: Option<f64>,
}

/// A cell reference such as `XFD1048576` for a 0-based (row, column).
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col + 1;
    while c > 0 {
        let rem = (c - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!(
        "{}{}",
        letters.into_iter().collect::<String>(),
        row as u64 + 1
    )
}

/// The largest count a shared-strings part claims in its opening `<sst>` tag (`count` and
/// `uniqueCount`). An unreadable part claims nothing here; the reader refuses it later.
fn claimed_strings(head: &[u8]) -> u64 {
    let mut reader = quick_xml::Reader::from_reader(head);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(quick_xml::events::Event::Start(e)) | Ok(quick_xml::events::Event::Empty(e))
                if e.local_name().as_ref() == "sst" =>
            {
                return e
                    .attributes()
                    .flatten()
                    .filter(|a| matches!(a.key.local_name().as_ref(), "count" | "uniqueCount"))
                    .map(|a| {
                        let v = a.value.trim().to_string();
                        v.trim_start_matches('+')
                            .parse::<u64>()
                            .unwrap_or(if v.is_empty() { 0 } else { u64::MAX })
                    })
                    .max()
                    .unwrap_or(0);
            }
            Ok(quick_xml::events::Event::Eof) | Err(_) => return 0,
            _ => {}
        }
        buf.clear();
    }
}

/// Whether a shared-strings part holds more than `max` strings (`<si>` entries), whatever its
/// opening tag claims: each becomes a string in memory, so they are counted before the reader
/// sees them. Stops counting at the first past the bound.
fn holds_more_strings_than(part: &[u8], max: u64) -> bool {
    // A byte scan for `<si` or `<prefix:si` followed by the end of the name: far quicker than
    // parsing the XML, and it can only over-count (which refuses, never lets through).
    let mut n = 0u64;
    let mut i = 0;
    while let Some(off) = part[i..].iter().position(|b| *b == b'<') {
        let start = i + off + 1;
        let mut j = start;
        while j < part.len()
            && (part[j].is_ascii_alphanumeric()
                || part[j] == b'_'
                || part[j] == b'-'
                || part[j] == b'.')
        {
            j += 1;
        }
        let name = if j < part.len() && part[j] == b':' {
            let local = j + 1;
            j = local;
            while j < part.len() && (part[j].is_ascii_alphanumeric() || part[j] == b'_') {
                j += 1;
            }
            &part[local..j]
        } else {
            &part[start..j]
        };
        if name == b"si"
            && part
                .get(j)
                .is_some_and(|b| matches!(b, b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n'))
        {
            n += 1;
            if n > max {
                return true;
            }
        }
        i = j.max(start);
    }
    false
}

/// The cells of one sheet that Hearth reads, streamed from the file: no grid the size of the
/// sheet's extent is ever built, and the extent and the number of cells are bounded as they
/// are read.
fn sheet_cells<RS: Read + std::io::Seek>(
    wb: &mut calamine::Xlsx<RS>,
    name: &str,
) -> Result<std::collections::HashMap<(u32, u32), calamine::Data>, SheetError> {
    let mut reader = wb
        .worksheet_cells_reader(name)
        .map_err(|_| SheetError::Missing)?;
    let dim = reader.dimensions();
    if dim.end.0 > MAX_ROW || dim.end.1 > MAX_COL {
        return Err(SheetError::TooFar(cell_name(dim.end.0, dim.end.1)));
    }
    let mut cells = std::collections::HashMap::new();
    let mut count = 0usize;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(_) => return Err(SheetError::Damaged),
        };
        count += 1;
        if count > MAX_CELLS {
            return Err(SheetError::TooMany);
        }
        let (r, c) = cell.get_position();
        if r > MAX_ROW || c > MAX_COL {
            return Err(SheetError::TooFar(cell_name(r, c)));
        }
        let value = calamine::Data::from(cell.get_value().clone());
        if value != calamine::Data::Empty {
            cells.insert((r, c), value);
        }
    }
    Ok(cells)
}

enum SheetError {
    Missing,
    Damaged,
    TooMany,
    TooFar(String),
}

impl SheetError {
    fn message(self, sheet: &str) -> String {
        match self {
            SheetError::Missing => format!("The workbook has no sheet {sheet}: use the workbook downloaded from Hearth"),
            SheetError::Damaged => format!("The sheet {sheet} is damaged: use the workbook downloaded from Hearth"),
            SheetError::TooMany => format!("The sheet {sheet} has more than {MAX_CELLS} cells: it is not a return workbook"),
            SheetError::TooFar(at) => format!(
                "The sheet {sheet} uses cells as far as {at}, far outside the return's cells: use the workbook downloaded from Hearth"
            ),
        }
    }
}

/// The most an import workbook may unpack to, and the most pieces of text it may declare.
pub const MAX_TABLE_UNZIPPED_BYTES: u64 = 200 * 1024 * 1024;
pub const MAX_TABLE_STRINGS: u64 = 5_000_000;

/// Checks an uploaded .xlsx before anything in it is parsed: not an old or encrypted file, a
/// zip of at most `MAX_ZIP_ENTRIES` parts unpacking to at most `max_unzipped` bytes, with at
/// most `max_strings` pieces of text declared and held. `why` ends the messages of the
/// bounds (what the file is not).
fn check_archive(
    bytes: &[u8],
    max_unzipped: u64,
    max_strings: u64,
    why: &str,
) -> Result<(), String> {
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err("The file is password-protected or in the old .xls format: save it as an .xlsx workbook without a password".into());
    }
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| "The file is not an .xlsx workbook".to_string())?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err("The workbook has too many parts".into());
    }
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut f = zip
            .by_index(i)
            .map_err(|_| "The workbook is damaged".to_string())?;
        let shared_strings = f
            .name()
            .map(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"))
            .unwrap_or(true);
        let mut head = Vec::new();
        let mut sink = [0u8; 64 * 1024];
        loop {
            let got = f
                .read(&mut sink)
                .map_err(|_| "The workbook is damaged".to_string())?;
            if got == 0 {
                break;
            }
            if shared_strings {
                head.extend_from_slice(&sink[..got]);
            }
            total += got as u64;
            if total > max_unzipped {
                return Err(format!(
                    "The workbook unpacks to more than {} MB{why}",
                    max_unzipped / 1024 / 1024
                ));
            }
        }
        // The reader makes room for the strings the file says it holds: bound the claim first.
        if shared_strings && claimed_strings(&head) > max_strings {
            return Err(format!(
                "The workbook declares more than {max_strings} pieces of text{why}"
            ));
        }
        if shared_strings && holds_more_strings_than(&head, max_strings) {
            return Err(format!(
                "The workbook holds more than {max_strings} pieces of text{why}"
            ));
        }
    }
    Ok(())
}

/// Reads the first sheet of an .xlsx as rows of text (an import template filled in a
/// spreadsheet): numbers as written (whole numbers without a decimal point), dates as
/// YYYY-MM-DD. Checked like every upload before it is parsed, then refused past `max_rows`.
pub fn read_table(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, String> {
    use calamine::{Data, Reader, Xlsx};
    check_archive(bytes, MAX_TABLE_UNZIPPED_BYTES, MAX_TABLE_STRINGS, "")?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("The workbook could not be read: {e}"))?;
    let range = wb
        .worksheet_range_at(0)
        .ok_or_else(|| "The workbook has no sheet".to_string())?
        .map_err(|e| format!("The first sheet could not be read: {e}"))?;
    if range.height() > max_rows + 1 {
        return Err(format!("The sheet has more than {max_rows} rows"));
    }
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Int(i) => i.to_string(),
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
            // Days since 30 December 1899, as spreadsheets count them.
            Data::DateTime(dt) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|d| d.checked_add_signed(chrono::Duration::days(dt.as_f64() as i64)))
                .map(|d| d.to_string())
                .unwrap_or_else(|| dt.to_string()),
            Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
            Data::Error(e) => format!("{e}"),
        }
    };
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(text).collect()).collect();
    if rows.is_empty() {
        return Err("The sheet is empty".into());
    }
    Ok(rows)
}

/// Reads quarter `q` of an uploaded workbook, refusing files that are too big, that unzip to
/// too much, that are not .xlsx (a password-protected workbook is an encrypted OLE file, not a
/// zip), that declare too many strings, or whose sheets have too many cells or reach too far.
/// Every bound is checked before the part it guards is parsed.
pub fn read_quarter(bytes: &[u8], q: u8) -> Result<QuarterSheet, String> {
    use calamine::{Data, Reader, Xlsx};
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(format!(
            "The file is larger than {} MB",
            MAX_UPLOAD_BYTES / 1024 / 1024
        ));
    }
    // The sizes the archive claims, and what actually comes out, are both bounded.
    check_archive(
        bytes,
        MAX_UNZIPPED_BYTES,
        MAX_SHARED_STRINGS,
        ": it is not a return workbook",
    )?;
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes))
        .map_err(|e| format!("The workbook could not be read: {e}"))?;
    let sheet = format!("Q{q}");
    let cells = sheet_cells(&mut wb, &sheet).map_err(|e| e.message(&sheet))?;
    let cell = |r: u32, c: u32| cells.get(&(r, c)).cloned().unwrap_or(Data::Empty);
    let mark = match cell(MARK_ROW, 1) {
        Data::String(s) => s,
        _ => String::new(),
    };
    // The units as the contract sheet holds them (a number cell, so no recalculation needed).
    let units = match sheet_cells(&mut wb, "Contract") {
        Ok(c) => match c.get(&(11, 1)) {
            Some(Data::Float(f)) => Some(*f),
            Some(Data::Int(i)) => Some(*i as f64),
            _ => None,
        },
        Err(SheetError::Missing) => None,
        Err(e) => return Err(e.message("Contract")),
    };
    let value_at = |r: u32| -> Option<Result<i64, String>> {
        match cell(r, 1) {
            Data::Empty => None,
            Data::Int(n) if n >= 0 => Some(Ok(n)),
            Data::Float(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e12 => Some(Ok(f as i64)),
            Data::String(s) if s.trim().is_empty() => None,
            Data::String(s) => match s.trim().parse::<i64>() {
                Ok(n) if n >= 0 => Some(Ok(n)),
                _ => Some(Err(s)),
            },
            other => Some(Err(other.to_string())),
        }
    };
    let mut values = Vec::new();
    // Local indicators: rows whose column D holds "local:CODE".
    for r in FIRST_LOCAL..FIRST_LOCAL + 50 {
        if let Data::String(code) = cell(r, 3) {
            if let Some(c) = code.strip_prefix("local:") {
                values.push((format!("local:{c}"), value_at(r)));
            }
        }
    }
    for (i, (field, _)) in INPUTS.iter().enumerate() {
        values.push((field.to_string(), value_at(FIRST_INPUT + i as u32)));
    }
    Ok(QuarterSheet {
        mark,
        values,
        contracted_units: units,
    })
}

/// The sheet-level checks Hearth can make before the figures' own rules.
pub fn mark_for(service_reference: &str, year_label: &str, version: u32) -> String {
    format!("HEARTH|{year_label}|{service_reference}|V{version}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn spec(prefill: Vec<(u8, String, i64)>) -> WorkbookSpec {
        WorkbookSpec {
            locals: Vec::new(),
            mark: mark_for("S001", "2026/27", 1),
            contract: ContractSheet {
                service_reference: "S001".into(),
                service_name: "Acorn House".into(),
                contracted_units: 12,
                year_label: "2026/27".into(),
                ..Default::default()
            },
            quarters: vec![(1, "2026/27 Q1".into(), 91), (2, "2026/27 Q2".into(), 92)],
            indicators: vec![IndicatorRow {
                label: "KPI 1".into(),
                formula: "B8/B7*100".into(),
                trigger: Some((90.0, true)),
            }],
            prefill,
        }
    }

    #[test]
    fn a_generated_workbook_reads_back() {
        let bytes = write_workbook(&spec(vec![
            (2, "service_users_supported".into(), 20),
            (2, "maintained_independent_living".into(), 19),
        ]))
        .unwrap();
        assert!(bytes.starts_with(b"PK"), "an .xlsx is a zip");
        let q2 = read_quarter(&bytes, 2).unwrap();
        assert_eq!(q2.mark, "HEARTH|2026/27|S001|V1");
        assert_eq!(
            q2.values[0],
            ("service_users_supported".to_string(), Some(Ok(20)))
        );
        assert_eq!(q2.values[1].1, Some(Ok(19)));
        assert_eq!(q2.values[2].1, None, "blank stays blank");
        let q1 = read_quarter(&bytes, 1).unwrap();
        assert!(q1.values.iter().all(|(_, v)| v.is_none()));
        assert!(read_quarter(&bytes, 3).unwrap_err().contains("no sheet Q3"));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        assert!(read_quarter(b"not a zip at all", 1)
            .unwrap_err()
            .contains("not an .xlsx"));
        let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
        ole.extend(vec![0u8; 512]);
        assert!(read_quarter(&ole, 1)
            .unwrap_err()
            .contains("password-protected"));
        assert!(read_quarter(&vec![0u8; MAX_UPLOAD_BYTES + 1], 1)
            .unwrap_err()
            .contains("larger than"));
        // A zip bomb: a small archive that unpacks to far more than the limit.
        let mut buf = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            w.start_file("xl/bomb.xml", opts).unwrap();
            let zeros = vec![0u8; 1024 * 1024];
            for _ in 0..40 {
                std::io::Write::write_all(&mut w, &zeros).unwrap();
            }
            w.finish().unwrap();
        }
        let bomb = buf.into_inner();
        assert!(
            bomb.len() < MAX_UPLOAD_BYTES,
            "the bomb itself is small: {}",
            bomb.len()
        );
        assert!(read_quarter(&bomb, 1)
            .unwrap_err()
            .contains("unpacks to more than"));
    }
}

/// Hostile workbooks that once crashed or stalled the reader, made from a genuine one. They
/// are kept as files in `tests/hostile/` (and in the fuzz corpus) so every test and the fuzzer
/// start from them.
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod hostile {
    use super::*;
    use std::io::Write;

    /// `bytes` with the part `name` replaced by what `edit` makes of it.
    fn rewrite(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut out = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut out);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated);
            for i in 0..zip.len() {
                let mut f = zip.by_index(i).unwrap();
                let part = f.name().unwrap().to_string();
                let mut content = Vec::new();
                f.read_to_end(&mut content).unwrap();
                if part == name {
                    content = edit(String::from_utf8(content).unwrap()).into_bytes();
                }
                w.start_file(part, opts).unwrap();
                w.write_all(&content).unwrap();
            }
            w.finish().unwrap();
        }
        out.into_inner()
    }

    fn genuine() -> Vec<u8> {
        let spec = WorkbookSpec {
            locals: Vec::new(),
            mark: mark_for("S001", "2026/27", 1),
            contract: ContractSheet {
                service_reference: "S001".into(),
                service_name: "Acorn House".into(),
                contracted_units: 12,
                year_label: "2026/27".into(),
                ..Default::default()
            },
            quarters: vec![(1, "2026/27 Q1".into(), 91)],
            indicators: vec![IndicatorRow {
                label: "KPI 1".into(),
                formula: "B8/B7*100".into(),
                trigger: Some((90.0, true)),
            }],
            prefill: Vec::new(),
        };
        write_workbook(&spec).unwrap()
    }

    /// The Q1 sheet (the third sheet: Cover, Contract, Q1) with one more cell at `at` and the
    /// dimension stretched to it.
    fn far_cell(at: &str) -> Vec<u8> {
        let at = at.to_string();
        rewrite(&genuine(), "xl/worksheets/sheet3.xml", move |xml| {
            let start = xml.find("<dimension ref=\"").unwrap() + 16;
            let end = start + xml[start..].find('"').unwrap();
            let mut xml = format!("{}A1:{}{}", &xml[..start], at, &xml[end..]);
            let row: String = at.chars().filter(|c| c.is_ascii_digit()).collect();
            let cell = format!("<row r=\"{row}\"><c r=\"{at}\" t=\"inlineStr\"><is><t>x</t></is></c></row></sheetData>");
            xml = xml.replacen("</sheetData>", &cell, 1);
            xml
        })
    }

    /// A shared-strings part that claims billions of strings.
    fn huge_string_claim() -> Vec<u8> {
        let bytes = genuine();
        let bytes = rewrite(&bytes, "xl/worksheets/sheet3.xml", |xml| {
            xml.replacen(
                "</sheetData>",
                "<row r=\"60\"><c r=\"A60\" t=\"s\"><v>0</v></c></row></sheetData>",
                1,
            )
        });
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..])).unwrap();
        let has_sst = zip.by_name("xl/sharedStrings.xml").is_ok();
        drop(zip);
        if has_sst {
            rewrite(&bytes, "xl/sharedStrings.xml", |xml| {
                let start = xml.find("<sst").unwrap();
                let end = start + xml[start..].find('>').unwrap();
                format!("{}<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"99999999999\" uniqueCount=\"99999999999\"{}", &xml[..start], &xml[end..])
            })
        } else {
            bytes
        }
    }

    /// A shared-strings part that claims one string and holds 60,000 (review finding: only the
    /// claim was bounded).
    fn many_strings_small_claim() -> Vec<u8> {
        let bytes = huge_string_claim();
        rewrite(&bytes, "xl/sharedStrings.xml", |xml| {
            let start = xml.find("<sst").unwrap();
            let many = "<si><t>x</t></si>".repeat(60_000);
            let close = xml.find("</sst>").unwrap();
            format!(
                "{}<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"1\" uniqueCount=\"1\">{many}{}",
                &xml[..start],
                &xml[close..]
            )
        })
    }

    pub fn all() -> Vec<(&'static str, Vec<u8>)> {
        vec![
            ("far-cell-XFD1048576.xlsx", far_cell("XFD1048576")),
            ("far-cell-XFD2000.xlsx", far_cell("XFD2000")),
            ("far-cell-A1048576.xlsx", far_cell("A1048576")),
            ("huge-shared-strings.xlsx", huge_string_claim()),
            ("many-shared-strings.xlsx", many_strings_small_claim()),
        ]
    }

    fn corpus_dirs() -> [std::path::PathBuf; 2] {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        [
            root.join("tests/hostile"),
            root.join("../../fuzz/seeds/workbook_reader"),
        ]
    }

    #[test]
    fn hostile_workbooks_are_refused_at_once_with_a_reason() {
        for (name, bytes) in all() {
            let started = std::time::Instant::now();
            let err = read_quarter(&bytes, 1).unwrap_err();
            let took = started.elapsed();
            assert!(
                took < std::time::Duration::from_millis(200),
                "{name} took {took:?}"
            );
            assert!(
                err.contains("far outside") || err.contains("pieces of text"),
                "{name}: {err}"
            );
        }
        assert!(
            read_quarter(&far_cell("XFD1048576"), 1)
                .unwrap_err()
                .contains("XFD1048576"),
            "the reason names the cell"
        );
        // A genuine workbook with a cell a little beyond the printed area is still read.
        read_quarter(&far_cell("H90"), 1).unwrap();
    }

    #[test]
    fn strings_are_counted_whatever_their_prefix() {
        let part = b"<sst count=\"1\"><si><t>a</t></si><x:si><x:t>b</x:t></x:si><si/><si\n><t>c</t></si><sig/><sis>x</sis></sst>";
        assert!(holds_more_strings_than(part, 3));
        assert!(
            !holds_more_strings_than(part, 4),
            "four, not <sig> or <sis>"
        );
        assert!(!holds_more_strings_than(b"", 0));
        assert!(!holds_more_strings_than(b"<<<<", 0));
    }

    #[test]
    fn the_kept_hostile_files_are_these_and_are_refused() {
        // HEARTH_WRITE_CORPUS=1 writes them anew (after a change to the generator).
        for dir in corpus_dirs() {
            if std::env::var("HEARTH_WRITE_CORPUS").is_ok() {
                std::fs::create_dir_all(&dir).unwrap();
                for (name, bytes) in all() {
                    std::fs::write(dir.join(name), bytes).unwrap();
                }
            }
            for (name, _) in all() {
                let kept = std::fs::read(dir.join(name))
                    .unwrap_or_else(|e| panic!("{} missing: {e}", dir.join(name).display()));
                assert!(read_quarter(&kept, 1).is_err(), "{name} is refused");
            }
        }
    }
}
