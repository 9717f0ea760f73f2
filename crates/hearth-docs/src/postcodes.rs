//! The ONS Postcode Directory (ONSPD) CSV that `hearth import postcodes` reads: the postcode,
//! latitude and longitude of each row. Reading is bounded, so a wrong or hostile file is refused
//! with a reason instead of being read into memory without end.

use std::io::{self, Read};

use hearth_domain::Postcode;

/// The longest record (one row with its line ending, or the header) accepted, in bytes.
pub const MAX_RECORD_BYTES: u64 = 64 * 1024;

/// The most data rows accepted. The ONSPD has about 2.7 million.
pub const MAX_ROWS: usize = 5_000_000;

/// The CSV reader's buffer: the most read from the file at a time.
const BUFFER: usize = 8 * 1024;

/// A postcode and its latitude and longitude.
pub type Located = (String, f64, f64);

/// Reads (postcode, latitude, longitude) from an ONS Postcode Directory style CSV, and counts
/// the rows skipped: no coordinates (the ONSPD gives latitude 99.999999 to postcodes without a
/// grid reference), a short row, or not a postcode.
///
/// The header names the columns (case and surrounding spaces ignored): the postcode is the first
/// of `pcds`, `pcd`, `pcd2` or `postcode`, the latitude `lat` or `latitude`, the longitude
/// `long`, `longitude` or `lon`. Postcodes come back normalised ("SW1A 1AA").
///
/// Refused, with a message: a missing column, a CSV error (such as text that isn't UTF-8), a
/// record longer than [`MAX_RECORD_BYTES`] and more than [`MAX_ROWS`] rows.
pub fn read_onspd<R: Read>(reader: R) -> Result<(Vec<Located>, usize), String> {
    read_bounded(reader, MAX_ROWS)
}

fn read_bounded<R: Read>(reader: R, max_rows: usize) -> Result<(Vec<Located>, usize), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .buffer_capacity(BUFFER)
        .from_reader(Bounded {
            inner: reader,
            read: 0,
            record_start: 0,
            too_long: false,
        });
    let too_long = |line: u64| {
        format!("line {line} is longer than 64 KiB: this is not an ONS Postcode Directory CSV file")
    };
    let headers = match reader.headers().cloned() {
        Ok(h) => h,
        Err(_) if reader.get_ref().too_long => return Err(too_long(1)),
        Err(e) => return Err(e.to_string()),
    };
    if reader.position().byte() > MAX_RECORD_BYTES {
        return Err(too_long(1));
    }
    reader.get_mut().record_start = reader.position().byte();
    let col = |names: &[&str]| {
        headers
            .iter()
            .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
    };
    let pc = col(&["pcds", "pcd", "pcd2", "postcode"])
        .ok_or("no postcode column (pcds, pcd, pcd2 or postcode)")?;
    let lat = col(&["lat", "latitude"]).ok_or("no lat column")?;
    let lon = col(&["long", "longitude", "lon"]).ok_or("no long column")?;
    let mut rows = Vec::new();
    let mut skipped = 0;
    let mut record = csv::StringRecord::new();
    loop {
        let start = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) if reader.get_ref().too_long => return Err(too_long(start.line())),
            Err(e) => return Err(e.to_string()),
        }
        let end = reader.position().byte();
        if end.saturating_sub(start.byte()) > MAX_RECORD_BYTES {
            return Err(too_long(start.line()));
        }
        reader.get_mut().record_start = end;
        if rows.len() + skipped >= max_rows {
            return Err(format!(
                "the file has more than {} rows: this is not an ONS Postcode Directory CSV file",
                thousands(max_rows)
            ));
        }
        let parsed = (|| {
            let p = Postcode::parse(record.get(pc)?).ok()?;
            let la: f64 = record.get(lat)?.trim().parse().ok()?;
            let lo: f64 = record.get(lon)?.trim().parse().ok()?;
            // The ONS directory marks postcodes without a grid reference with latitude 99.999999.
            ((-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo))
                .then(|| (p.to_string(), la, lo))
        })();
        match parsed {
            Some(r) => rows.push(r),
            None => skipped += 1,
        }
    }
    Ok((rows, skipped))
}

/// "5,000,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The file under the CSV reader, which stops a record from growing past [`MAX_RECORD_BYTES`]
/// while it is still being read. The reader asks for more only once it has parsed all it was
/// given, so at each read everything read so far has been parsed, and the record being parsed
/// began at `record_start`.
struct Bounded<R> {
    inner: R,
    /// Bytes read from `inner`.
    read: u64,
    /// Where the record being read began (the end of the last one).
    record_start: u64,
    /// Set when a read was refused because the record was too long.
    too_long: bool,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.read.saturating_sub(self.record_start) > MAX_RECORD_BYTES {
            self.too_long = true;
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "a record is longer than 64 KiB",
            ));
        }
        let len = buf.len().min(BUFFER);
        let n = self.inner.read(&mut buf[..len])?;
        self.read += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Three lines in the ONSPD layout (`pcd` is the 7-character form, `pcds` the usual one).
    const GOOD: &str = "pcd,pcds,lat,long\n\
                        SW1A1AA,SW1A 1AA,51.501009,-0.141588\n\
                        M1  1AE,M1 1AE,53.479252,-2.242574\n";

    #[test]
    fn a_good_file_gives_its_postcodes() {
        let (rows, skipped) = read_onspd(GOOD.as_bytes()).unwrap();
        assert_eq!(
            rows,
            vec![
                ("SW1A 1AA".to_string(), 51.501009, -0.141588),
                ("M1 1AE".to_string(), 53.479252, -2.242574),
            ]
        );
        assert_eq!(skipped, 0);
    }

    #[test]
    fn columns_are_found_by_name_in_any_order_and_case() {
        let csv = " Longitude ,Postcode,LATITUDE\r\n-1.5,ls1 4ap,53.8\r\n";
        let (rows, skipped) = read_onspd(csv.as_bytes()).unwrap();
        assert_eq!(rows, vec![("LS1 4AP".to_string(), 53.8, -1.5)]);
        assert_eq!(skipped, 0);
    }

    #[test]
    fn bad_rows_are_counted_as_skipped() {
        let csv = format!(
            "{GOOD}NOTAPC,NOT A PC,51.5,-0.1\n\
             ZE1 0AA,ZE1 0AA,99.999999,0.000000\n\
             B338TH,B33 8TH,fifty,-1.8\n\
             CR26XH,CR2 6XH,NaN,inf\n\
             W1A0AX\n"
        );
        let (rows, skipped) = read_onspd(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(skipped, 5);
    }

    #[test]
    fn a_missing_column_is_named() {
        assert_eq!(
            read_onspd("lat,long\n1,2\n".as_bytes()).unwrap_err(),
            "no postcode column (pcds, pcd, pcd2 or postcode)"
        );
        assert_eq!(
            read_onspd("pcds,long\n".as_bytes()).unwrap_err(),
            "no lat column"
        );
        assert_eq!(
            read_onspd("pcds,lat\n".as_bytes()).unwrap_err(),
            "no long column"
        );
        assert!(read_onspd(&b""[..]).is_err());
    }

    #[test]
    fn text_that_is_not_utf8_is_refused() {
        let mut csv = GOOD.as_bytes().to_vec();
        csv.extend_from_slice(b"N19GU,N1 9GU,51.5,\xff\n");
        assert!(read_onspd(&csv[..]).unwrap_err().contains("UTF-8"));
    }

    #[test]
    fn an_over_long_record_is_refused() {
        let long = format!("{GOOD}N19GU,N1 9GU,51.5,-0.1,{}\n", "x".repeat(70_000));
        assert_eq!(
            read_onspd(long.as_bytes()).unwrap_err(),
            "line 4 is longer than 64 KiB: this is not an ONS Postcode Directory CSV file"
        );
        let header = format!("pcds,lat,long,{}\n", "x".repeat(70_000));
        assert!(read_onspd(header.as_bytes())
            .unwrap_err()
            .starts_with("line 1 is longer than 64 KiB"));
        // Just under the bound is fine.
        let fits = format!("{GOOD}N19GU,N1 9GU,51.5,-0.1,{}\n", "x".repeat(60_000));
        assert_eq!(read_onspd(fits.as_bytes()).unwrap().0.len(), 3);
    }

    #[test]
    fn an_endless_line_is_refused_without_reading_it_all() {
        let endless = "pcds,lat,long\n".as_bytes().chain(io::repeat(b'a'));
        assert_eq!(
            read_onspd(endless).unwrap_err(),
            "line 2 is longer than 64 KiB: this is not an ONS Postcode Directory CSV file"
        );
        // A quoted field with line breaks in it is one record too.
        let quoted = "pcds,lat,long\n\"".as_bytes().chain(io::repeat(b'\n'));
        assert!(read_onspd(quoted)
            .unwrap_err()
            .starts_with("line 2 is longer"));
    }

    #[test]
    fn too_many_rows_are_refused() {
        let rows = "pcds,lat,long\nN1 9GU,51.5,-0.1\nN1 9GU,51.5,-0.1\nx,1,1\n";
        assert_eq!(read_bounded(rows.as_bytes(), 3).unwrap().1, 1);
        let more = format!("{rows}x,1,1\n");
        assert_eq!(
            read_bounded(more.as_bytes(), 3).unwrap_err(),
            "the file has more than 3 rows: this is not an ONS Postcode Directory CSV file"
        );
        assert_eq!(thousands(MAX_ROWS), "5,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }
}
