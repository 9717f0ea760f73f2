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

/// A cell as it was before [`neutralise`]: Hearth's own files (an export read back by an
/// import) come back as they went out.
pub fn unneutralise(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest)
            if matches!(
                rest.chars().next(),
                Some('=' | '+' | '-' | '@' | '\t' | '\r')
            ) =>
        {
            rest.to_string()
        }
        _ => cell.to_string(),
    }
}

/// Tables in: the rows of a CSV file (UTF-8, with or without a byte order mark; rows may have
/// fewer cells than the header). At most `max_rows` rows are read: a longer file is refused
/// before the rest of it is parsed.
pub fn read_csv(bytes: &[u8], max_rows: usize) -> Result<Vec<Vec<String>>, String> {
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    if std::str::from_utf8(bytes).is_err() {
        return Err(
            "The file is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\"".into(),
        );
    }
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        if i >= max_rows {
            return Err(format!("The file has more than {max_rows} rows"));
        }
        let rec = rec.map_err(|e| format!("Line {}: the CSV cannot be read ({e})", i + 1))?;
        out.push(rec.iter().map(unneutralise).collect());
    }
    if out.is_empty() {
        return Err("The file is empty".into());
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_written_here_reads_back_as_it_was() {
        let rows = vec![vec![
            "+44 117 496 0000",
            "=SUM(A1)",
            "Gwasanaeth Tŷ",
            "a,b \"c\"",
        ]];
        let bytes = csv_bytes(&["phone", "note", "name", "quoted"], &rows).unwrap();
        let back = read_csv(&bytes, 10).unwrap();
        assert_eq!(back[0], vec!["phone", "note", "name", "quoted"]);
        assert_eq!(back[1], rows[0]);
        assert!(read_csv(&bytes, 1)
            .unwrap_err()
            .contains("more than 1 rows"));
        assert!(read_csv(b"caf\xe9\n", 10).unwrap_err().contains("UTF-8"));
        assert!(read_csv(b"", 10).is_err());
    }

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
