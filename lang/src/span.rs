//! Byte spans and their translation to the 1-based line/column positions of SPEC §2.1.
//!
//! Takes: byte offsets into a source text. Gives: `(line, column)` pairs where the column counts
//! Unicode scalars, and the text of a line without its line end. Guarantees: every offset in
//! `0..=len` maps to a position; a CR directly before LF belongs to the line end; a leading
//! byte-order mark takes no column.

/// A half-open byte range `start..end` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The empty span at `at`.
    pub const fn point(at: usize) -> Span {
        Span { start: at, end: at }
    }
}

/// A line and a column, both 1-based; the column counts Unicode scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Start offsets of the lines of one source text.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    bom: usize,
}

impl LineIndex {
    pub fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        let bom = if src.starts_with('\u{feff}') { 3 } else { 0 };
        LineIndex { starts, bom }
    }

    /// The 0-based index of the line holding `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset) - 1
    }

    /// The 1-based line holding `offset`, in logarithmic time (no column to count).
    pub fn line(&self, offset: usize) -> usize {
        self.line_of(offset) + 1
    }

    /// The position of `offset` (clamped to the text).
    pub fn position(&self, src: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(src, offset.min(src.len()));
        let line = self.line_of(offset);
        let start = if line == 0 { self.bom.min(offset) } else { self.starts[line] };
        Position { line: line + 1, column: src[start..offset].chars().count() + 1 }
    }

    /// The text of the 1-based `line`, without its line end.
    pub fn line_text<'a>(&self, src: &'a str, line: usize) -> &'a str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let start = if line == 1 { self.bom.min(src.len()) } else { start };
        let end = self.starts.get(line).map_or(src.len(), |&next| next - 1);
        let text = &src[start..end.max(start)];
        text.strip_suffix('\r').unwrap_or(text)
    }
}

fn floor_char_boundary(src: &str, mut offset: usize) -> usize {
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_scalars_and_lines_are_one_based() {
        let src = "ab\n\u{e9}x = 1\r\nlast";
        let idx = LineIndex::new(src);
        assert_eq!(idx.position(src, 0), Position { line: 1, column: 1 });
        assert_eq!(idx.position(src, 3), Position { line: 2, column: 1 });
        // 'x' comes after a two-byte scalar: column 2
        assert_eq!(idx.position(src, 5), Position { line: 2, column: 2 });
        assert_eq!(idx.line_text(src, 2), "\u{e9}x = 1");
        assert_eq!(idx.line_text(src, 3), "last");
        assert_eq!(idx.position(src, src.len()), Position { line: 3, column: 5 });
    }

    #[test]
    fn a_byte_order_mark_takes_no_column() {
        let src = "\u{feff}in x";
        let idx = LineIndex::new(src);
        assert_eq!(idx.position(src, 3), Position { line: 1, column: 1 });
        assert_eq!(idx.line_text(src, 1), "in x");
    }
}
