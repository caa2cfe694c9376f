//! The pages being filled: marks placed in points from the page's bottom-left corner, a
//! cursor going down the page, a new page when the next block does not fit, and line breaking
//! with the fonts' widths.

use super::fonts::Font;

/// A4 in points.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;
/// Left and right margin.
pub(super) const MARGIN: f32 = 50.0;
/// The right edge of the content.
pub(super) const RIGHT: f32 = PAGE_WIDTH - MARGIN;
/// The width between the margins.
pub(super) const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
/// Where content starts: below the running header on every page.
pub(super) const TOP: f32 = PAGE_HEIGHT - 70.0;
/// Content stays above this line; the footer is below it.
pub(super) const BOTTOM: f32 = 64.0;

/// One thing drawn on a page.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Mark {
    /// Text (WinAnsi bytes) with its baseline starting at (`x`, `y`), in a gray level
    /// (0 black, 1 white).
    Text {
        x: f32,
        y: f32,
        font: Font,
        size: f32,
        gray: f32,
        bytes: Vec<u8>,
    },
    /// A horizontal line from `x1` to `x2` at height `y`.
    Rule { x1: f32, x2: f32, y: f32, gray: f32 },
    /// A filled rectangle from its bottom-left corner.
    Fill {
        x: f32,
        y: f32,
        width: f32,
        height: f32,
        gray: f32,
    },
}

/// A text style: font, size and gray level.
#[derive(Debug, Clone, Copy)]
pub(super) struct Style {
    pub font: Font,
    pub size: f32,
    pub gray: f32,
}

impl Style {
    pub(super) const fn new(font: Font, size: f32, gray: f32) -> Self {
        Self { font, size, gray }
    }

    /// The distance between two baselines of this style.
    pub(super) fn leading(self) -> f32 {
        self.size * 1.35
    }

    /// The width of `text` in this style.
    pub(super) fn width(self, text: &[u8]) -> f32 {
        self.font.width(text, self.size)
    }
}

/// The pages laid out so far; the last one is being filled.
pub(super) struct Canvas {
    pages: Vec<Vec<Mark>>,
    /// The top of the free space on the current page.
    pub y: f32,
}

impl Canvas {
    /// One empty page, its cursor at the top.
    pub(super) fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: TOP,
        }
    }

    /// Whether `height` points still fit above the bottom margin.
    pub(super) fn fits(&self, height: f32) -> bool {
        self.y - height >= BOTTOM
    }

    /// The free height of an empty page.
    pub(super) fn page_room() -> f32 {
        TOP - BOTTOM
    }

    /// Starts a new page, its cursor at the top.
    pub(super) fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP;
    }

    /// Starts a new page unless `height` points fit on this one.
    pub(super) fn keep(&mut self, height: f32) {
        if !self.fits(height) {
            self.new_page();
        }
    }

    /// Moves the cursor down.
    pub(super) fn advance(&mut self, height: f32) {
        self.y -= height;
    }

    /// Draws on the current page.
    pub(super) fn draw(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    /// Text with its baseline at `y`, starting at `x`.
    pub(super) fn text(&mut self, x: f32, y: f32, style: Style, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        self.draw(Mark::Text {
            x,
            y,
            font: style.font,
            size: style.size,
            gray: style.gray,
            bytes: bytes.to_vec(),
        });
    }

    /// Text ending at `right`, its size reduced if it is wider than `room`.
    pub(super) fn text_right(&mut self, right: f32, y: f32, room: f32, style: Style, bytes: &[u8]) {
        let style = shrunk_to(style, bytes, room);
        self.text(right - style.width(bytes), y, style, bytes);
    }

    /// A line across the content width at `y`.
    pub(super) fn rule(&mut self, y: f32, gray: f32) {
        self.draw(Mark::Rule {
            x1: MARGIN,
            x2: RIGHT,
            y,
            gray,
        });
    }

    /// The pages, done.
    pub(super) fn into_pages(self) -> Vec<Vec<Mark>> {
        self.pages
    }
}

/// `style`, smaller when needed so that `text` fits in `room` (a long amount in a narrow
/// column); never below 5 points.
pub(super) fn shrunk_to(style: Style, text: &[u8], room: f32) -> Style {
    let width = style.width(text);
    if width <= room || width <= 0.0 {
        return style;
    }
    Style {
        size: (style.size * room / width).max(5.0),
        ..style
    }
}

/// `text` cut to fit in `width`, ending with an ellipsis when cut (a running header or
/// footer holds one line).
pub(super) fn truncated(text: &[u8], style: Style, width: f32) -> Vec<u8> {
    const ELLIPSIS: u8 = 0x85;
    if style.width(text) <= width {
        return text.to_vec();
    }
    let mut cut = text.to_vec();
    cut.push(ELLIPSIS);
    while cut.len() > 1 && style.width(&cut) > width {
        cut.remove(cut.len() - 2);
    }
    cut
}

/// Breaks `text` (WinAnsi bytes, one paragraph line) into lines no wider than `width`: at
/// spaces, and inside a word only when the word alone is wider. Always at least one line.
pub(super) fn wrap(text: &[u8], style: Style, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let mut candidate = line.clone();
        if !candidate.is_empty() {
            candidate.push(b' ');
        }
        candidate.extend_from_slice(word);
        if style.width(&candidate) <= width {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line = break_word(word, style, width, &mut lines);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pushes the full-width pieces of a word wider than `width` and returns its last piece.
fn break_word(word: &[u8], style: Style, width: f32, lines: &mut Vec<Vec<u8>>) -> Vec<u8> {
    let mut piece: Vec<u8> = Vec::new();
    for &b in word {
        piece.push(b);
        if piece.len() > 1 && style.width(&piece) > width {
            piece.pop();
            lines.push(std::mem::replace(&mut piece, vec![b]));
        }
    }
    piece
}

/// The paragraphs of a plain text: blank lines separate them; inside one, each line of the
/// text starts a new line. Each line in WinAnsi bytes.
pub(super) fn paragraphs(text: &str) -> Vec<Vec<Vec<u8>>> {
    let mut out: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut current: Vec<Vec<u8>> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            current.push(super::fonts::encode(line.trim_end()));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}
