//! Reports and letters as tagged, accessible PDF (PDF/UA-1), written with krilla.
//!
//! A [`Report`] is a title, who it is from, and blocks: headings, paragraphs and tables. It is
//! laid out on A4 pages with an embedded font (Liberation Sans, so Welsh ŵ and ŷ, Polish ł and
//! every other Latin letter print as themselves), wrapped by measured width, tables with a
//! header row repeated on each page they run onto, and "Page n of N" at the foot. Every piece
//! of text is tagged (title and headings as H1/H2, paragraphs as P, tables as Table/TR/TH/TD)
//! and rules, repeated headers and page numbers are artifacts, so a screen reader reads the
//! document in order; krilla's PDF/UA-1 validator refuses to write a document that breaks the
//! rules it can check.

use std::num::NonZeroU16;

use krilla::configure::{Accessibility, ConfigurationBuilder};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, Node, SpanTag, TableHeaderScope, Tag, TagGroup,
    TagTree,
};
use krilla::text::{Font, TextDirection};
use krilla::{Document, SerializeSettings};

static REGULAR: &[u8] = include_bytes!("../fonts/LiberationSans-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../fonts/LiberationSans-Bold.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const FOOTER: f32 = 28.0;
const TITLE_SIZE: f32 = 18.0;
const HEADING_SIZE: f32 = 13.0;
const BODY_SIZE: f32 = 10.5;
const TABLE_SIZE: f32 = 9.0;
const LEADING: f32 = 1.35;
const CELL_PAD: f32 = 4.0;

/// A document to write.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub title: String,
    /// Who it is from (the authority), recorded as the document's author.
    pub author: String,
    pub blocks: Vec<Block>,
}

/// One block of a report, in reading order.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(String),
    Paragraph(String),
    Table(Table),
    /// Vertical space.
    Space,
}

/// A table: a header row and rows of cells. `widths` are the columns' shares of the text
/// width (empty: equal shares).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub widths: Vec<f32>,
}

/// Why a PDF could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be read")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

struct Fonts {
    regular: Font,
    bold: Font,
    regular_face: ttf_parser::Face<'static>,
    bold_face: ttf_parser::Face<'static>,
}

impl Fonts {
    fn load() -> Result<Fonts, PdfError> {
        Ok(Fonts {
            regular: Font::new(REGULAR.into(), 0).ok_or(PdfError::Font)?,
            bold: Font::new(BOLD.into(), 0).ok_or(PdfError::Font)?,
            regular_face: ttf_parser::Face::parse(REGULAR, 0).map_err(|_| PdfError::Font)?,
            bold_face: ttf_parser::Face::parse(BOLD, 0).map_err(|_| PdfError::Font)?,
        })
    }

    /// The width of `text` at `size` points.
    fn width(&self, text: &str, bold: bool, size: f32) -> f32 {
        let face = if bold {
            &self.bold_face
        } else {
            &self.regular_face
        };
        let units: u32 = text
            .chars()
            .map(|c| {
                let g = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
                u32::from(face.glyph_hor_advance(g).unwrap_or(0))
            })
            .sum();
        units as f32 * size / f32::from(face.units_per_em().max(1))
    }

    /// `text` broken into lines no wider than `width`: at spaces, and inside a word only when
    /// the word alone is wider.
    fn wrap(&self, text: &str, bold: bool, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            for word in para.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if line.is_empty() {
                    word.to_string()
                } else {
                    format!("{line} {word}")
                };
                if self.width(&candidate, bold, size) <= width {
                    line = candidate;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                // A word wider than the line is cut where it must be.
                let mut part = String::new();
                for c in word.chars() {
                    part.push(c);
                    if self.width(&part, bold, size) > width && part.chars().count() > 1 {
                        part.pop();
                        lines.push(std::mem::take(&mut part));
                        part.push(c);
                    }
                }
                line = part;
            }
            lines.push(line);
        }
        lines
    }
}

/// What is drawn, laid out before any page is written (so "of N" is known).
enum Op {
    Text {
        x: f32,
        y: f32,
        size: f32,
        bold: bool,
        text: String,
        /// The leaf of the tag tree it belongs to; None for an artifact.
        leaf: Option<usize>,
        artifact: ArtifactType,
    },
    Rule {
        x1: f32,
        y: f32,
        x2: f32,
    },
}

/// The logical structure, with leaves numbered in reading order.
enum Structure {
    Heading {
        level: u16,
        text: String,
        leaf: usize,
        /// Where it starts: page index and height from the top.
        at: (usize, f32),
    },
    Paragraph {
        leaf: usize,
    },
    Table {
        header: Vec<usize>,
        rows: Vec<Vec<usize>>,
    },
}

struct Layout<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    y: f32,
    leaves: usize,
    structure: Vec<Structure>,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f Fonts) -> Layout<'f> {
        Layout {
            fonts,
            pages: vec![Vec::new()],
            y: MARGIN,
            leaves: 0,
            structure: Vec::new(),
        }
    }

    fn bottom() -> f32 {
        PAGE_H - MARGIN - FOOTER
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN;
    }

    fn ensure(&mut self, height: f32) -> bool {
        if self.y + height > Self::bottom() && self.y > MARGIN {
            self.new_page();
            return true;
        }
        false
    }

    fn leaf(&mut self) -> usize {
        self.leaves += 1;
        self.leaves - 1
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    fn lines(&mut self, text: &str, bold: bool, size: f32, leaf: usize) {
        let width = PAGE_W - 2.0 * MARGIN;
        for line in self.fonts.wrap(text, bold, size, width) {
            self.ensure(size * LEADING);
            self.y += size * LEADING;
            self.push(Op::Text {
                x: MARGIN,
                y: self.y,
                size,
                bold,
                text: line,
                leaf: Some(leaf),
                artifact: ArtifactType::Other,
            });
        }
    }

    fn heading(&mut self, level: u16, text: &str, size: f32) {
        let leaf = self.leaf();
        // A heading is never left alone at the foot of a page.
        self.ensure(size * LEADING * 3.0);
        self.y += size * 0.6;
        let at = (self.pages.len() - 1, self.y);
        self.lines(text, true, size, leaf);
        self.y += size * 0.3;
        self.structure.push(Structure::Heading {
            level,
            text: text.to_string(),
            leaf,
            at,
        });
    }

    fn paragraph(&mut self, text: &str) {
        let leaf = self.leaf();
        self.lines(text, false, BODY_SIZE, leaf);
        self.y += BODY_SIZE * 0.5;
        self.structure.push(Structure::Paragraph { leaf });
    }

    fn table(&mut self, t: &Table) {
        let columns = t
            .header
            .len()
            .max(t.rows.iter().map(Vec::len).max().unwrap_or(0));
        if columns == 0 {
            return;
        }
        let text_w = PAGE_W - 2.0 * MARGIN;
        let shares: Vec<f32> = if t.widths.len() == columns {
            let sum: f32 = t.widths.iter().sum();
            t.widths.iter().map(|w| w / sum.max(f32::EPSILON)).collect()
        } else {
            vec![1.0 / columns as f32; columns]
        };
        let widths: Vec<f32> = shares.iter().map(|s| s * text_w).collect();
        let wrap_row = |cells: &[String], bold: bool| -> Vec<Vec<String>> {
            (0..columns)
                .map(|c| {
                    let text = cells.get(c).map(String::as_str).unwrap_or("");
                    self.fonts
                        .wrap(text, bold, TABLE_SIZE, widths[c] - 2.0 * CELL_PAD)
                })
                .collect()
        };
        let header_lines = wrap_row(&t.header, true);
        let header_leaves: Vec<usize> = (0..columns).map(|_| self.leaf()).collect();
        self.ensure(row_height(&header_lines) * 2.0);
        self.y += TABLE_SIZE * 0.5;
        self.row(&header_lines, &widths, true, Some(&header_leaves));
        let mut rows = Vec::with_capacity(t.rows.len());
        // The most lines of a cell one page holds under the header.
        let fits = ((Self::bottom() - MARGIN - row_height(&header_lines) - 2.0 * CELL_PAD)
            / (TABLE_SIZE * LEADING))
            .floor()
            .max(1.0) as usize;
        for r in &t.rows {
            let mut lines = wrap_row(r, false);
            let leaves: Vec<usize> = (0..columns).map(|_| self.leaf()).collect();
            // A row taller than a page goes on over the next pages, a page's worth at a time.
            loop {
                let part: Vec<Vec<String>> = lines
                    .iter_mut()
                    .map(|cell| cell.drain(..cell.len().min(fits)).collect())
                    .collect();
                if self.ensure(row_height(&part)) {
                    // The header again at the top of the new page, as an artifact.
                    self.row(&header_lines, &widths, true, None);
                }
                self.row(&part, &widths, false, Some(&leaves));
                if lines.iter().all(Vec::is_empty) {
                    break;
                }
            }
            rows.push(leaves);
        }
        self.y += BODY_SIZE * 0.8;
        self.structure.push(Structure::Table {
            header: header_leaves,
            rows,
        });
    }

    /// One table row; `leaves` None draws it as an artifact (a repeated header).
    fn row(&mut self, cells: &[Vec<String>], widths: &[f32], bold: bool, leaves: Option<&[usize]>) {
        let top = self.y;
        let mut x = MARGIN;
        for (c, lines) in cells.iter().enumerate() {
            let mut y = top + CELL_PAD;
            for line in lines {
                y += TABLE_SIZE * LEADING;
                // An empty cell still gets a (blank) piece of text, so its TD is kept.
                let text = if line.is_empty() { " " } else { line };
                self.push(Op::Text {
                    x: x + CELL_PAD,
                    y: y - TABLE_SIZE * 0.25,
                    size: TABLE_SIZE,
                    bold,
                    text: text.to_string(),
                    leaf: leaves.map(|l| l[c]),
                    artifact: ArtifactType::Header,
                });
            }
            x += widths[c];
        }
        self.y = top + row_height(cells);
        self.push(Op::Rule {
            x1: MARGIN,
            y: self.y,
            x2: PAGE_W - MARGIN,
        });
    }
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * TABLE_SIZE * LEADING + 2.0 * CELL_PAD
}

fn draw_text(
    surface: &mut Surface,
    fonts: &Fonts,
    x: f32,
    y: f32,
    size: f32,
    bold: bool,
    text: &str,
) {
    let font = if bold {
        fonts.bold.clone()
    } else {
        fonts.regular.clone()
    };
    surface.draw_text(
        Point::from_xy(x, y),
        font,
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

/// Writes `report` as a tagged PDF/UA-1 document.
pub fn render(report: &Report) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts::load()?;
    let mut layout = Layout::new(&fonts);
    layout.heading(1, &report.title, TITLE_SIZE);
    for block in &report.blocks {
        match block {
            Block::Heading(h) => layout.heading(2, h, HEADING_SIZE),
            Block::Paragraph(p) => layout.paragraph(p),
            Block::Table(t) => layout.table(t),
            Block::Space => layout.y += BODY_SIZE,
        }
    }
    let Layout {
        pages,
        leaves,
        structure,
        ..
    } = layout;

    let configuration = ConfigurationBuilder::new()
        .with_accessibility_validator(Accessibility::UA1)
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))?;
    let mut document = Document::new_with(SerializeSettings {
        configuration,
        enable_tagging: true,
        ..SerializeSettings::default()
    });
    let mut ids: Vec<Vec<Identifier>> = (0..leaves).map(|_| Vec::new()).collect();
    let total = pages.len();
    for (n, ops) in pages.iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H)
            .ok_or_else(|| PdfError::Write("bad page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for op in ops {
            match op {
                Op::Text {
                    x,
                    y,
                    size,
                    bold,
                    text,
                    leaf,
                    artifact,
                } => {
                    let tag = match leaf {
                        Some(_) => ContentTag::Span(SpanTag::empty()),
                        None => ContentTag::Artifact(Artifact::with_kind(*artifact)),
                    };
                    let id = surface.start_tagged(tag);
                    draw_text(&mut surface, &fonts, *x, *y, *size, *bold, text);
                    surface.end_tagged();
                    if let Some(l) = leaf {
                        ids[*l].push(id);
                    }
                }
                Op::Rule { x1, y, x2 } => {
                    let mut pb = PathBuilder::new();
                    pb.move_to(*x1, *y);
                    pb.line_to(*x2, *y);
                    if let Some(path) = pb.finish() {
                        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
                            ArtifactType::Layout,
                        )));
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke {
                            width: 0.5,
                            ..Stroke::default()
                        }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                        surface.end_tagged();
                    }
                }
            }
        }
        let footer = format!("Page {} of {total}", n + 1);
        let w = fonts.width(&footer, false, TABLE_SIZE);
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(
            ArtifactType::PageNumber,
        )));
        draw_text(
            &mut surface,
            &fonts,
            PAGE_W - MARGIN - w,
            PAGE_H - MARGIN,
            TABLE_SIZE,
            false,
            &footer,
        );
        surface.end_tagged();
        surface.finish();
        page.finish();
    }

    let mut tree = TagTree::new().with_lang(Some("en-GB".to_string()));
    let mut take = |leaf: usize| -> Vec<Node> {
        std::mem::take(&mut ids[leaf])
            .into_iter()
            .map(Node::from)
            .collect()
    };
    // The outline (bookmarks): the title, with the headings under it.
    let mut outline = Outline::new();
    let mut top: Option<OutlineNode> = None;
    for s in &structure {
        if let Structure::Heading {
            level, text, at, ..
        } = s
        {
            let node = OutlineNode::new(
                text.clone(),
                XyzDestination::new(at.0, Point::from_xy(MARGIN, at.1)),
            );
            match (level, top.as_mut()) {
                (1, _) | (_, None) => {
                    if let Some(t) = top.replace(node) {
                        outline.push_child(t);
                    }
                }
                (_, Some(t)) => t.push_child(node),
            }
        }
    }
    if let Some(t) = top {
        outline.push_child(t.with_open(true));
    }
    document.set_outline(outline);
    for s in structure {
        match s {
            Structure::Heading {
                level, text, leaf, ..
            } => {
                let level = NonZeroU16::new(level).unwrap_or(NonZeroU16::MIN);
                tree.push(TagGroup::with_children(
                    Tag::Hn(level, Some(text)),
                    take(leaf),
                ));
            }
            Structure::Paragraph { leaf } => {
                tree.push(TagGroup::with_children(Tag::P, take(leaf)));
            }
            Structure::Table { header, rows } => {
                let mut table = TagGroup::new(Tag::Table);
                let mut head = TagGroup::new(Tag::TR);
                for leaf in header {
                    head.push(TagGroup::with_children(
                        Tag::TH(TableHeaderScope::Column),
                        take(leaf),
                    ));
                }
                table.push(head);
                for row in rows {
                    let mut tr = TagGroup::new(Tag::TR);
                    for leaf in row {
                        tr.push(TagGroup::with_children(Tag::TD, take(leaf)));
                    }
                    table.push(tr);
                }
                tree.push(table);
            }
        }
    }
    document.set_tag_tree(tree);
    document.set_metadata(
        Metadata::new()
            .title(report.title.clone())
            .language("en-GB".to_string())
            .authors(vec![report.author.clone()])
            .creator("Hearth".to_string()),
    );
    document
        .finish()
        .map_err(|e| PdfError::Write(format!("{e:?}")))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn report(blocks: Vec<Block>) -> Report {
        Report {
            title: "Late and non-returns, 2026/27 Q2".into(),
            author: "Brackenshire County Council".into(),
            blocks,
        }
    }

    #[test]
    fn a_report_is_a_tagged_pdf_ua_document_with_its_text_embedded() {
        let pdf = render(&report(vec![
            Block::Heading("Gwasanaeth Cymraeg".into()),
            Block::Paragraph("Darparwr: Cartrefi Ŵyn a Ŷd. Dostawca: Łódź Housing.".into()),
            Block::Table(Table {
                header: vec!["Service".into(), "Quarter".into(), "Due".into()],
                rows: vec![vec![
                    "Acorn Lodge".into(),
                    "Q2".into(),
                    "28 October 2026".into(),
                ]],
                widths: vec![3.0, 1.0, 2.0],
            }),
        ]))
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-1.7"));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/StructTreeRoot"), "tagged");
        assert!(text.contains("/MarkInfo"), "marked");
        assert!(text.contains("pdfuaid"), "declares PDF/UA");
        assert!(text.contains("/FontFile2"), "the font is embedded");
        assert!(text.contains("/Lang"), "has a language");
    }

    /// Every stream of the file, inflated where it is compressed.
    fn streams(pdf: &[u8]) -> String {
        use std::io::Read;
        let mut out = String::new();
        let mut rest = pdf;
        while let Some(start) = find(rest, b"stream") {
            let body = &rest[start + 6..];
            let body = body
                .strip_prefix(b"\r\n")
                .or_else(|| body.strip_prefix(b"\n"))
                .unwrap_or(body);
            let Some(end) = find(body, b"endstream") else {
                break;
            };
            let mut text = String::new();
            if flate2::read::ZlibDecoder::new(&body[..end])
                .read_to_string(&mut text)
                .is_ok()
            {
                out.push_str(&text);
            }
            rest = &body[end + 9..];
        }
        out
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    // Issue 9: the old writer was Latin-1 only, so Welsh ŵ and Polish ł came out as "?".
    #[test]
    fn welsh_and_polish_letters_are_written_as_themselves() {
        let pdf = render(&report(vec![Block::Paragraph("Tŵr Cymorth, Łódź".into())])).unwrap();
        let inflated = streams(&pdf).to_uppercase();
        // The font's map from glyphs back to text names each letter.
        for code in ["0175", "0141", "00F3", "017A"] {
            assert!(inflated.contains(&format!("<{code}>")), "{code} is mapped");
        }
    }

    #[test]
    fn long_text_wraps_by_measured_width_and_pages_are_numbered() {
        let fonts = Fonts::load().unwrap();
        let width = PAGE_W - 2.0 * MARGIN;
        let long = "Wide words like WWWWWWWW and narrow ones like iiiiiiii ".repeat(20);
        let lines = fonts.wrap(&long, false, BODY_SIZE, width);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(fonts.width(l, false, BODY_SIZE) <= width, "{l}");
        }
        // Wider letters make more lines than narrow ones of the same count.
        let wide = fonts.wrap(&"WWWW ".repeat(100), false, BODY_SIZE, width);
        let narrow = fonts.wrap(&"iiii ".repeat(100), false, BODY_SIZE, width);
        assert!(wide.len() > narrow.len() * 2);

        let rows: Vec<Vec<String>> = (0..200)
            .map(|i| vec![format!("Service {i}"), "Missing".into()])
            .collect();
        let pdf = render(&report(vec![Block::Table(Table {
            header: vec!["Service".into(), "Status".into()],
            rows,
            widths: vec![],
        })]))
        .unwrap();
        let text = String::from_utf8_lossy(&pdf);
        let pages = text.matches("/Type/Page").count() - text.matches("/Type/Pages").count();
        // 200 rows of about 21 points each on pages of about 700 points.
        assert!((5..=8).contains(&pages), "{pages} pages");
    }

    // Review finding: a row taller than a page ran off its foot.
    #[test]
    fn a_row_taller_than_a_page_goes_on_over_the_next_page() {
        let fonts = Fonts::load().unwrap();
        let mut layout = Layout::new(&fonts);
        let long = "A very long explanation of the figures. ".repeat(400);
        layout.table(&Table {
            header: vec!["Service".into(), "Explanation".into()],
            rows: vec![vec!["Acorn Lodge".into(), long]],
            widths: vec![1.0, 3.0],
        });
        assert!(layout.pages.len() >= 2, "{} pages", layout.pages.len());
        for page in &layout.pages {
            for op in page {
                if let Op::Text { y, .. } = op {
                    assert!(
                        *y <= Layout::bottom() + 1.0,
                        "text at {y} is below the foot"
                    );
                }
            }
        }
        render(&report(vec![Block::Table(Table {
            header: vec!["A".into(), "B".into()],
            rows: vec![vec!["x".into(), "word ".repeat(3000)]],
            widths: vec![],
        })]))
        .unwrap();
    }

    #[test]
    fn an_empty_report_and_empty_cells_still_make_a_valid_document() {
        render(&report(vec![])).unwrap();
        render(&report(vec![Block::Table(Table {
            header: vec!["A".into(), "B".into()],
            rows: vec![vec!["".into(), "x".into()], vec![]],
            widths: vec![],
        })]))
        .unwrap();
    }
}
