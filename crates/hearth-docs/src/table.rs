//! Tables out: CSV that spreadsheets open safely. Every CSV Hearth sends is written here,
//! through the `csv` crate (quoting and escaping), with a UTF-8 byte order mark so Excel reads
//! accented names, and with formula prefixes neutralised: a cell that begins with `=`, `+`,
//! `-`, `@`, a tab or a carriage return is written with a leading `'`, so a name such as
//! `=HYPERLINK(...)` is shown as text and never run (OWASP's advice on CSV injection).

/// The byte order mark that tells Excel the file is UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// `cell` made safe to open in a spreadsheet.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => {
            // A plain negative number is a number, not a formula.
            if cell.starts_with('-') && cell[1..].parse::<f64>().is_ok() {
                return cell.into();
            }
            format!("'{cell}").into()
        }
        _ => cell.into(),
    }
}

/// A CSV file: the byte order mark, the header row, then the rows.
pub fn csv_bytes<H: AsRef<str>, C: AsRef<str>>(
    header: &[H],
    rows: &[Vec<C>],
) -> Result<Vec<u8>, String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(UTF8_BOM.to_vec());
    w.write_record(header.iter().map(|h| neutralise(h.as_ref()).into_owned()))
        .map_err(|e| e.to_string())?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralise(c.as_ref()).into_owned()))
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    // Security review finding 6: names beginning with = + - @ came out of the exports as live
    // formulas.
    #[test]
    fn formulas_are_neutralised_and_accents_survive() {
        let rows = vec![vec![
            "=HYPERLINK(\"http://evil.example\",\"x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tTab",
            "Gwasanaeth Tŷ",
            "-12.5",
            "a,b \"c\"",
        ]];
        let bytes = csv_bytes(&["a", "b", "c", "d", "e", "f", "g", "h"], &rows).unwrap();
        assert!(bytes.starts_with(UTF8_BOM));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rec = r.records().next().unwrap().unwrap();
        assert_eq!(&rec[0], "'=HYPERLINK(\"http://evil.example\",\"x\")");
        assert_eq!(&rec[1], "'+1");
        assert_eq!(&rec[2], "-2", "a negative number stays a number");
        assert_eq!(&rec[3], "'@SUM(A1)");
        assert_eq!(&rec[4], "'\tTab");
        assert_eq!(&rec[5], "Gwasanaeth Tŷ");
        assert_eq!(&rec[6], "-12.5");
        assert_eq!(&rec[7], "a,b \"c\"", "quoting by the csv crate");
    }
}
