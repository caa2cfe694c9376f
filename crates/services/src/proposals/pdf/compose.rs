//! Where each part of a proposal goes: the heading, the meta block, the sections, the items
//! table (its header repeated on every page it spans), the totals, and on every page the
//! running header, the footer and the page number.

use super::canvas::{
    BOTTOM, CONTENT_WIDTH, Canvas, MARGIN, Mark, PAGE_HEIGHT, RIGHT, Style, paragraphs, shrunk_to,
    truncated, wrap,
};
use super::fonts::{Font, encode};
use super::{PdfDocument, PdfSection};

const ISSUER: Style = Style::new(Font::Bold, 11.0, 0.35);
const TITLE: Style = Style::new(Font::Bold, 20.0, 0.0);
const CLIENT: Style = Style::new(Font::Regular, 12.0, 0.2);
const LABEL: Style = Style::new(Font::Bold, 9.0, 0.35);
const VALUE: Style = Style::new(Font::Regular, 9.0, 0.0);
const HEADING: Style = Style::new(Font::Bold, 12.5, 0.0);
const BODY: Style = Style::new(Font::Regular, 10.0, 0.0);
const CELL_HEAD: Style = Style::new(Font::Bold, 8.5, 0.0);
const CELL: Style = Style::new(Font::Regular, 9.0, 0.0);
const TOTAL: Style = Style::new(Font::Regular, 10.0, 0.0);
const GRAND_TOTAL: Style = Style::new(Font::Bold, 11.0, 0.0);
const RUNNING: Style = Style::new(Font::Regular, 8.0, 0.45);

/// Widths of the numeric columns (quantity, price, discount, VAT, amount); the description
/// takes the rest.
const NUMBER_COLUMNS: [f32; 5] = [46.0, 68.0, 40.0, 36.0, 78.0];
/// Space inside a table cell, on each side.
const PAD: f32 = 4.0;
/// Width of the totals' value column.
const TOTAL_VALUE: f32 = 100.0;

/// Lays the whole document out, page by page.
pub(super) fn compose(doc: &PdfDocument) -> Vec<Vec<Mark>> {
    let mut canvas = Canvas::new();
    heading(&mut canvas, doc);
    meta(&mut canvas, &doc.meta);
    for section in &doc.sections {
        self::section(&mut canvas, section);
    }
    if !doc.lines.is_empty() {
        table(&mut canvas, &doc.columns, &doc.lines);
    }
    totals(&mut canvas, &doc.totals);
    let mut pages = canvas.into_pages();
    let count = pages.len();
    for (index, page) in pages.iter_mut().enumerate() {
        frame(page, doc, index + 1, count);
    }
    pages
}

/// The first page's heading: issuer, title (wrapped), client, and a line under them.
fn heading(canvas: &mut Canvas, doc: &PdfDocument) {
    canvas.y = PAGE_HEIGHT - 60.0;
    lines(canvas, MARGIN, &encode(&doc.issuer), ISSUER, CONTENT_WIDTH);
    canvas.advance(10.0);
    lines(canvas, MARGIN, &encode(&doc.title), TITLE, CONTENT_WIDTH);
    canvas.advance(2.0);
    lines(canvas, MARGIN, &encode(&doc.client), CLIENT, CONTENT_WIDTH);
    canvas.advance(6.0);
    canvas.rule(canvas.y, 0.6);
    canvas.advance(16.0);
}

/// Writes `text` wrapped to `width` from `x`, one line after the other, breaking pages as
/// needed.
fn lines(canvas: &mut Canvas, x: f32, text: &[u8], style: Style, width: f32) {
    for line in wrap(text, style, width) {
        canvas.keep(style.leading());
        canvas.advance(style.size);
        canvas.text(x, canvas.y, style, &line);
        canvas.advance(style.leading() - style.size);
    }
}

/// The label and value pairs (date, validity, reference), labels in a column of their own.
fn meta(canvas: &mut Canvas, meta: &[(String, String)]) {
    if meta.is_empty() {
        return;
    }
    let labels: Vec<Vec<u8>> = meta.iter().map(|(label, _)| encode(label)).collect();
    let widest = labels.iter().map(|l| LABEL.width(l)).fold(0.0, f32::max);
    let column = (widest + 12.0).min(CONTENT_WIDTH / 3.0);
    for (label, (_, value)) in labels.iter().zip(meta) {
        let values = wrap(&encode(value), VALUE, CONTENT_WIDTH - column);
        canvas.keep(VALUE.leading());
        let top = canvas.y;
        canvas.advance(VALUE.size);
        let style = shrunk_to(LABEL, label, column - 12.0);
        canvas.text(MARGIN, canvas.y, style, label);
        canvas.y = top;
        for line in values {
            canvas.keep(VALUE.leading());
            canvas.advance(VALUE.size);
            canvas.text(MARGIN + column, canvas.y, VALUE, &line);
            canvas.advance(VALUE.leading() - VALUE.size);
        }
    }
    canvas.advance(14.0);
}

/// A section: its title kept with the first lines of its body, then its paragraphs.
fn section(canvas: &mut Canvas, section: &PdfSection) {
    canvas.keep(HEADING.leading() + 4.0 + 2.0 * BODY.leading());
    lines(
        canvas,
        MARGIN,
        &encode(&section.title),
        HEADING,
        CONTENT_WIDTH,
    );
    canvas.advance(4.0);
    for paragraph in paragraphs(&section.body) {
        for line in &paragraph {
            lines(canvas, MARGIN, line, BODY, CONTENT_WIDTH);
        }
        canvas.advance(BODY.size * 0.6);
    }
    canvas.advance(10.0);
}

/// The left edge of each of the six columns, and the description's width.
fn column_edges() -> ([f32; 6], f32) {
    let description = CONTENT_WIDTH - NUMBER_COLUMNS.iter().sum::<f32>();
    let mut edges = [MARGIN; 6];
    let mut x = MARGIN + description;
    for (edge, width) in edges.iter_mut().skip(1).zip(NUMBER_COLUMNS) {
        *edge = x;
        x += width;
    }
    (edges, description)
}

/// The height of the table's header row.
fn header_height() -> f32 {
    CELL_HEAD.leading() + 2.0 * PAD
}

/// The table's header row on a gray band.
fn table_header(canvas: &mut Canvas, columns: &[String; 6]) {
    let (edges, description) = column_edges();
    let height = header_height();
    canvas.draw(Mark::Fill {
        x: MARGIN,
        y: canvas.y - height,
        width: CONTENT_WIDTH,
        height,
        gray: 0.9,
    });
    let baseline = canvas.y - PAD - CELL_HEAD.size;
    let label = encode(&columns[0]);
    let style = shrunk_to(CELL_HEAD, &label, description - 2.0 * PAD);
    canvas.text(MARGIN + PAD, baseline, style, &label);
    for (i, width) in NUMBER_COLUMNS.iter().enumerate() {
        let right = edges[i + 1] + width - PAD;
        let label = encode(&columns[i + 1]);
        canvas.text_right(right, baseline, width - 2.0 * PAD, CELL_HEAD, &label);
    }
    canvas.advance(height);
}

/// The items: one row per line, the description wrapped in its column, the figures
/// right-aligned. A row moves to the next page whole when it fits on one page, else it is
/// split; the header is repeated on each new page.
fn table(canvas: &mut Canvas, columns: &[String; 6], rows: &[[String; 6]]) {
    let (_, description) = column_edges();
    canvas.keep(header_height() + CELL.leading() + 2.0 * PAD);
    table_header(canvas, columns);
    for row in rows {
        let text = wrap(&encode(&row[0]), CELL, description - 2.0 * PAD);
        let height = text.len() as f32 * CELL.leading() + 2.0 * PAD;
        let room_after_header = Canvas::page_room() - header_height();
        if !canvas.fits(height) && height <= room_after_header {
            canvas.new_page();
            table_header(canvas, columns);
        }
        table_row(canvas, columns, row, &text);
    }
    canvas.advance(12.0);
}

/// One row, split across pages when it is taller than the room left.
fn table_row(canvas: &mut Canvas, columns: &[String; 6], row: &[String; 6], text: &[Vec<u8>]) {
    let (edges, _) = column_edges();
    let mut rest = text;
    let mut first = true;
    loop {
        let room = ((canvas.y - BOTTOM - 2.0 * PAD) / CELL.leading()).floor();
        let take = (room.max(0.0) as usize).min(rest.len());
        if take == 0 && !rest.is_empty() {
            canvas.new_page();
            table_header(canvas, columns);
            continue;
        }
        let top = canvas.y;
        let first_baseline = top - PAD - CELL.size;
        for (i, line) in rest[..take].iter().enumerate() {
            let y = first_baseline - i as f32 * CELL.leading();
            canvas.text(MARGIN + PAD, y, CELL, line);
        }
        if first {
            for (i, width) in NUMBER_COLUMNS.iter().enumerate() {
                let right = edges[i + 1] + width - PAD;
                let value = encode(&row[i + 1]);
                canvas.text_right(right, first_baseline, width - 2.0 * PAD, CELL, &value);
            }
        }
        canvas.advance(take.max(1) as f32 * CELL.leading() + 2.0 * PAD);
        canvas.rule(canvas.y, 0.8);
        rest = &rest[take..];
        first = false;
        if rest.is_empty() {
            return;
        }
        canvas.new_page();
        table_header(canvas, columns);
    }
}

/// The totals, right-aligned and kept together; the last (the grand total) in bold under a
/// line.
fn totals(canvas: &mut Canvas, totals: &[(String, String)]) {
    let height: f32 = totals.len() as f32 * GRAND_TOTAL.leading() + 6.0;
    canvas.keep(height);
    let value_left = RIGHT - TOTAL_VALUE;
    for (i, (label, value)) in totals.iter().enumerate() {
        let last = i + 1 == totals.len();
        let style = if last { GRAND_TOTAL } else { TOTAL };
        if last && totals.len() > 1 {
            canvas.advance(3.0);
            canvas.draw(Mark::Rule {
                x1: value_left - 160.0,
                x2: RIGHT,
                y: canvas.y,
                gray: 0.3,
            });
            canvas.advance(3.0);
        }
        canvas.advance(style.size);
        let label = encode(label);
        canvas.text(
            value_left - 12.0 - style.width(&label),
            canvas.y,
            style,
            &label,
        );
        canvas.text_right(RIGHT, canvas.y, TOTAL_VALUE, style, &encode(value));
        canvas.advance(style.leading() - style.size);
    }
}

/// What every page carries: from the second page on, the issuer and title above a line; on
/// all, the footer text and "page/pages" below a line.
fn frame(page: &mut Vec<Mark>, doc: &PdfDocument, number: usize, count: usize) {
    let mut canvas = Canvas::new();
    if number > 1 {
        let top = PAGE_HEIGHT - 40.0;
        let issuer = truncated(&encode(&doc.issuer), RUNNING, CONTENT_WIDTH / 2.0);
        canvas.text(MARGIN, top, RUNNING, &issuer);
        let room = CONTENT_WIDTH - RUNNING.width(&issuer) - 20.0;
        let title = truncated(&encode(&doc.title), RUNNING, room);
        canvas.text_right(RIGHT, top, room, RUNNING, &title);
        canvas.rule(top - 6.0, 0.75);
    }
    canvas.rule(BOTTOM - 18.0, 0.75);
    let baseline = BOTTOM - 32.0;
    let numbering = encode(&format!("{number}/{count}"));
    let room = CONTENT_WIDTH - RUNNING.width(&numbering) - 20.0;
    let footer = truncated(&encode(&doc.footer), RUNNING, room);
    canvas.text(MARGIN, baseline, RUNNING, &footer);
    canvas.text_right(RIGHT, baseline, CONTENT_WIDTH, RUNNING, &numbering);
    page.extend(canvas.into_pages().into_iter().flatten());
}
