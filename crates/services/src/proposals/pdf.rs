//! A proposal as a PDF, written directly (no browser, no layout engine): A4 pages in the
//! standard Helvetica fonts with a real text layer, so the client can search and copy it.
//! Everything printed arrives already written in the tenant's language; this module only
//! places it (`compose`, on `canvas` pages, measured with `fonts`) and writes the file. The
//! output depends on the document alone: two renders of one document are the same bytes.

mod canvas;
mod compose;
mod fonts;

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use canvas::{Mark, PAGE_HEIGHT, PAGE_WIDTH};
use fonts::Font;

/// Everything printed, already written in the tenant's language (labels included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfDocument {
    /// The proposal's title.
    pub title: String,
    /// The tenant's company name.
    pub issuer: String,
    /// The client's company name.
    pub client: String,
    /// Labelled facts under the heading: ("Fecha", "7 de diciembre de 2026"), ("Válida
    /// hasta", …), ("Referencia", …).
    pub meta: Vec<(String, String)>,
    /// Titled plain-text sections (a blank line starts a new paragraph).
    pub sections: Vec<PdfSection>,
    /// The items table's headings: description, quantity, price, discount, VAT, amount.
    pub columns: [String; 6],
    /// The items, each cell already formatted.
    pub lines: Vec<[String; 6]>,
    /// ("Subtotal", "1.000,00 €"), ("IVA 21 %", "210,00 €"), ("Total", "1.210,00 €"); the
    /// last one is printed in bold.
    pub totals: Vec<(String, String)>,
    /// Printed at the bottom of every page, e.g. "Propuesta 3 · versión 2".
    pub footer: String,
}

/// A titled section of plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfSection {
    pub title: String,
    pub body: String,
}

/// Fixed object numbers; pages and their contents follow.
const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const REGULAR: Ref = Ref::new(3);
const BOLD: Ref = Ref::new(4);
const INFO: Ref = Ref::new(5);
const FIRST_PAGE: i32 = 6;

/// The PDF file of `doc`.
pub fn render(doc: &PdfDocument) -> Vec<u8> {
    let pages = compose::compose(doc);
    let page_ids: Vec<Ref> = (0..pages.len())
        .map(|i| Ref::new(FIRST_PAGE + 2 * i as i32))
        .collect();
    let mut pdf = Pdf::new();
    pdf.catalog(CATALOG).pages(PAGE_TREE);
    pdf.pages(PAGE_TREE)
        .kids(page_ids.iter().copied())
        .count(page_ids.len() as i32);
    for (marks, &id) in pages.iter().zip(&page_ids) {
        let content_id = Ref::new(id.get() + 1);
        let mut page = pdf.page(id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(PAGE_TREE);
        page.contents(content_id);
        let mut resources = page.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(Font::Regular.resource_name()), REGULAR);
        fonts.pair(Name(Font::Bold.resource_name()), BOLD);
        fonts.finish();
        resources.finish();
        page.finish();
        pdf.stream(content_id, &content(marks));
    }
    for (id, font) in [(REGULAR, Font::Regular), (BOLD, Font::Bold)] {
        pdf.type1_font(id)
            .base_font(Name(font.base_name()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    pdf.document_info(INFO).title(TextStr(&doc.title));
    pdf.finish()
}

/// One page's content stream.
fn content(marks: &[Mark]) -> Vec<u8> {
    let mut content = Content::new();
    for mark in marks {
        match mark {
            Mark::Text {
                x,
                y,
                font,
                size,
                gray,
                bytes,
            } => {
                content.set_fill_gray(*gray);
                content.begin_text();
                content.set_font(Name(font.resource_name()), *size);
                content.next_line(*x, *y);
                content.show(Str(bytes));
                content.end_text();
            }
            Mark::Rule { x1, x2, y, gray } => {
                content.set_stroke_gray(*gray);
                content.set_line_width(0.6);
                content.move_to(*x1, *y);
                content.line_to(*x2, *y);
                content.stroke();
            }
            Mark::Fill {
                x,
                y,
                width,
                height,
                gray,
            } => {
                content.set_fill_gray(*gray);
                content.rect(*x, *y, *width, *height);
                content.fill_nonzero();
            }
        }
    }
    content.finish().to_vec()
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use super::canvas::{Style, truncated, wrap};
    use super::fonts::{Font, encode};
    use super::*;

    fn cells(cells: [&str; 6]) -> [String; 6] {
        cells.map(str::to_owned)
    }

    /// A Spanish proposal with `lines` items.
    fn document(lines: usize) -> PdfDocument {
        PdfDocument {
            title: "Négociación del suministro anual".into(),
            issuer: "Acme Ibérica S.L.".into(),
            client: "Bodegas Peña".into(),
            meta: vec![
                ("Fecha".into(), "7 de diciembre de 2026".into()),
                ("Válida hasta".into(), "6 de enero de 2027".into()),
                ("Referencia".into(), "PRO-2026-0003".into()),
            ],
            sections: vec![
                PdfSection {
                    title: "Introducción".into(),
                    body: "Estimada Sra. Peña:\n\nLe presentamos nuestra propuesta para el \
                           suministro anual, con entregas mensuales y soporte técnico incluido. \
                           Los precios se mantienen durante toda la vigencia de la oferta."
                        .into(),
                },
                PdfSection {
                    title: "Condiciones".into(),
                    body: "Pago a 30 días.\nEntrega en 48 horas.\n\nGarantía de dos años.".into(),
                },
            ],
            columns: cells([
                "Descripción",
                "Cantidad",
                "Precio",
                "Dto. %",
                "IVA %",
                "Importe",
            ]),
            lines: (1..=lines)
                .map(|n| {
                    let description = if n % 7 == 0 {
                        format!(
                            "Artículo {n}: caja de botellas con etiqueta personalizada, \
                             transporte refrigerado y seguro de mercancía incluidos"
                        )
                    } else {
                        format!("Artículo {n}")
                    };
                    [
                        description,
                        "2".into(),
                        "6,25 €".into(),
                        "0".into(),
                        "21".into(),
                        "12,50 €".into(),
                    ]
                })
                .collect(),
            totals: vec![
                ("Subtotal".into(), "1.000,00 €".into()),
                ("IVA 21 %".into(), "210,00 €".into()),
                ("Total".into(), "1.210,00 €".into()),
            ],
            footer: "Propuesta 3 · versión 2".into(),
        }
    }

    /// The text layer as `pdftotext -layout` reads it.
    fn extract(pdf: &[u8], name: &str) -> String {
        let path =
            std::env::temp_dir().join(format!("crm-proposal-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, pdf).expect("write the PDF");
        let output = Command::new("pdftotext")
            .arg("-layout")
            .arg(&path)
            .arg("-")
            .output();
        let _ = std::fs::remove_file(&path);
        let output = match output {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
                "pdftotext is missing: run scripts/browser-deps.sh (it installs poppler-utils)"
            ),
            Err(e) => panic!("cannot run pdftotext: {e}"),
        };
        assert!(
            output.status.success(),
            "pdftotext failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("pdftotext writes UTF-8")
    }

    #[test]
    fn text_is_encoded_in_win_ansi_and_measured_with_helvetica() {
        assert_eq!(encode("Peña €"), vec![b'P', b'e', 0xF1, b'a', b' ', 0x80]);
        assert_eq!(
            encode("“ok” – 漢\t"),
            vec![0x93, b'o', b'k', 0x94, b' ', 0x96, b' ', b'?', b' ']
        );
        // Helvetica: H 722, e 556, l 222, o 556; bold: H 722, e 556, l 278, o 611.
        assert!((Font::Regular.width(b"Hello", 10.0) - 22.78).abs() < 1e-3);
        assert!((Font::Bold.width(b"Hello", 10.0) - 24.45).abs() < 1e-3);
    }

    #[test]
    fn wrapping_keeps_every_word_within_the_width() {
        let style = Style::new(Font::Regular, 10.0, 0.0);
        let text = encode(&"palabra ".repeat(60));
        let lines = wrap(&text, style, 200.0);
        assert!(lines.len() > 3, "{}", lines.len());
        assert!(lines.iter().all(|l| style.width(l) <= 200.0));
        let words: usize = lines.iter().map(|l| l.split(|&b| b == b' ').count()).sum();
        assert_eq!(words, 60);
        let long = wrap(&[b'W'; 100], style, 50.0);
        assert!(long.iter().all(|l| style.width(l) <= 50.0 && !l.is_empty()));
        assert_eq!(long.concat(), vec![b'W'; 100]);
        assert_eq!(wrap(b"", style, 50.0), vec![Vec::<u8>::new()]);
        let cut = truncated(&text, style, 100.0);
        assert!(style.width(&cut) <= 100.0 && cut.ends_with(&[0x85]));
    }

    #[test]
    fn a_long_proposal_reads_back_with_its_accents_totals_and_page_numbers() {
        let doc = document(80);
        let text = extract(&render(&doc), "long");
        for expected in [
            "Acme Ibérica S.L.",
            "Négociación del suministro anual",
            "Peña",
            "Válida hasta",
            "6 de enero de 2027",
            "Introducción",
            "Entrega en 48 horas.",
            "Descripción",
            "Importe",
            "Artículo 1 ",
            "Artículo 80",
            "transporte refrigerado",
            "12,50 €",
            "IVA 21 %",
            "1.210,00 €",
            "Propuesta 3 · versión 2",
            "2/",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in:\n{text}");
        }
        let pages = text.matches('\u{c}').count();
        assert!(pages >= 2, "{pages} pages:\n{text}");
        assert!(text.contains(&format!("{pages}/{pages}")), "{text}");
        // The table header is repeated on every page the items span.
        assert!(text.matches("Descripción").count() >= 2, "{text}");
    }

    #[test]
    fn a_row_taller_than_a_page_is_split_and_nothing_is_lost() {
        let mut doc = document(1);
        doc.lines[0][0] = (1..=400).map(|n| format!("palabra{n} ")).collect();
        doc.sections.clear();
        let text = extract(&render(&doc), "tall");
        assert!(text.contains("palabra1 "), "{text}");
        assert!(text.contains("palabra400"), "{text}");
        assert!(text.contains("1.210,00 €"), "{text}");
        assert!(text.contains("2/"), "{text}");
    }

    #[test]
    fn rendering_is_deterministic_and_an_empty_document_is_a_pdf() {
        let doc = document(30);
        assert_eq!(render(&doc), render(&doc));
        let empty = PdfDocument {
            title: String::new(),
            issuer: String::new(),
            client: String::new(),
            meta: vec![],
            sections: vec![],
            columns: cells(["", "", "", "", "", ""]),
            lines: vec![],
            totals: vec![],
            footer: String::new(),
        };
        let pdf = render(&empty);
        assert!(pdf.starts_with(b"%PDF-"));
        assert!(extract(&pdf, "empty").contains("1/1"));
    }
}
