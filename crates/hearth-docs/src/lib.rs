//! Documents Hearth produces. For now: a plain one-or-more-page PDF of headed text lines,
//! used for generated contract documents. PDF 1.4, the standard Helvetica font (no embedding),
//! WinAnsi text, A4 pages.

pub mod pdf;
pub mod postcodes;
pub mod table;
pub mod workbook;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const LINE: f32 = 15.0;
const CHARS_PER_LINE: usize = 88;

/// A line of a generated document.
#[derive(Debug, Clone, PartialEq)]
pub enum Line {
    Heading(String),
    Text(String),
    Blank,
}

/// Renders `title` and `lines` as a PDF.
pub fn text_pdf(title: &str, lines: &[Line]) -> Vec<u8> {
    // Wrap long lines, then lay out pages.
    let mut laid: Vec<(bool, String)> = vec![(true, title.to_string()), (false, String::new())];
    for l in lines {
        match l {
            Line::Heading(h) => {
                laid.push((false, String::new()));
                laid.push((true, h.clone()));
            }
            Line::Text(t) => {
                for w in wrap(t, CHARS_PER_LINE) {
                    laid.push((false, w));
                }
            }
            Line::Blank => laid.push((false, String::new())),
        }
    }
    let per_page = ((PAGE_H - 2.0 * MARGIN) / LINE) as usize;
    let pages: Vec<&[(bool, String)]> = laid.chunks(per_page.max(1)).collect();

    let mut objects: Vec<String> = Vec::new();
    // 1: catalog, 2: pages, 3: regular font, 4: bold font, then (content, page) pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".into());
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 6 + i * 2))
        .collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".into(),
    );
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .into(),
    );
    for (n, page) in pages.iter().enumerate() {
        let mut stream = String::from("BT\n");
        let mut y = PAGE_H - MARGIN;
        for (bold, text) in page.iter() {
            let (font, size) = if *bold { ("F2", 12.0) } else { ("F1", 10.0) };
            stream.push_str(&format!(
                "/{font} {size} Tf 1 0 0 1 {MARGIN} {y:.1} Tm ({}) Tj\n",
                escape(text)
            ));
            y -= LINE;
        }
        stream.push_str(&format!(
            "/F1 8 Tf 1 0 0 1 {MARGIN} 30 Tm (Page {} of {}) Tj\nET\n",
            n + 1,
            pages.len()
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{}endstream",
            to_winansi(&stream).len(),
            stream
        ));
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            5 + n * 2
        ));
    }
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(&to_winansi(o));
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '(' | ')' | '\\' => {
                o.push('\\');
                o.push(c);
            }
            '\n' | '\r' => o.push(' '),
            _ => o.push(c),
        }
    }
    o
}

/// Latin-1 / WinAnsi bytes for the PDF (characters outside it become '?'; '£' and '€' kept).
fn to_winansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|c| match c {
            '€' => 0x80,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '–' => 0x96,
            '—' => 0x97,
            c if (c as u32) < 256 => c as u32 as u8,
            _ => b'?',
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_pdf_has_a_header_an_xref_that_points_at_objects_and_an_eof() {
        let pdf = text_pdf(
            "Contract C001",
            &[
                Line::Heading("Parties".into()),
                Line::Text("Brackenshire County Council (the Authority)".into()),
            ],
        );
        assert!(pdf.starts_with(b"%PDF-1.4"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        // One ASCII character per byte, so offsets in the text are offsets in the file.
        let text: String = pdf
            .iter()
            .map(|b| if b.is_ascii() { *b as char } else { '?' })
            .collect();
        let startxref: usize = text
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(text[startxref..].starts_with("xref"));
        // Each xref offset points at "N 0 obj".
        let entries: Vec<usize> = text[startxref..]
            .lines()
            .skip(3)
            .take_while(|l| l.ends_with(" n "))
            .map(|l| l[..10].parse().unwrap())
            .collect();
        assert_eq!(
            entries.len(),
            6,
            "catalog, pages, two fonts, one content stream, one page"
        );
        for (i, off) in entries.iter().enumerate() {
            assert!(text[*off..].starts_with(&format!("{} 0 obj", i + 1)));
        }
    }

    #[test]
    fn text_is_escaped_and_wrapped_and_pages_flow() {
        assert_eq!(escape("a (b) \\ c"), "a \\(b\\) \\\\ c");
        let w = wrap(&"word ".repeat(40), 20);
        assert!(w.iter().all(|l| l.len() <= 20));
        let many: Vec<Line> = (0..200).map(|i| Line::Text(format!("Line {i}"))).collect();
        let pdf = String::from_utf8_lossy(&text_pdf("Long", &many)).to_string();
        assert!(pdf.contains("/Count 5"), "200 lines take several pages");
        assert!(pdf.contains("(Page 5 of 5)"));
    }

    #[test]
    fn stream_lengths_count_bytes_as_written() {
        let pdf = text_pdf("Rates", &[Line::Text("£150.50 a week – agreed".into())]);
        let text: String = pdf
            .iter()
            .map(|b| if b.is_ascii() { *b as char } else { '?' })
            .collect();
        let i = text.find("/Length ").unwrap() + 8;
        let len: usize = text[i..]
            .split_whitespace()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let start = text.find("stream\n").unwrap() + 7;
        let end = text.find("endstream").unwrap();
        assert_eq!(len, end - start);
    }

    #[test]
    fn pounds_are_latin1() {
        assert_eq!(to_winansi("£5"), vec![0xA3, b'5']);
    }
}
