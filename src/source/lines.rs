//! Line index of a byte buffer: every line's byte range, found once with memchr, and the line
//! that holds an offset. A line ends after its `\n`; a last line without one is a line too.

use std::ops::{Index, Range};

/// The lines of a text, as byte ranges with their line endings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    ranges: Vec<Range<usize>>,
    /// The text's length.
    end: usize,
    /// The last line has no `\n`: the end of the text is on it, not on a line after it.
    open_end: bool,
}

impl Lines {
    pub fn new(text: &[u8]) -> Lines {
        let mut ranges = Vec::new();
        let mut start = 0;
        for newline in memchr::memchr_iter(b'\n', text) {
            ranges.push(start..newline + 1);
            start = newline + 1;
        }
        let open_end = start < text.len();
        if open_end {
            ranges.push(start..text.len());
        }
        Lines {
            ranges,
            end: text.len(),
            open_end,
        }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&Range<usize>> {
        self.ranges.get(index)
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Range<usize>> {
        self.ranges.iter()
    }

    pub fn as_slice(&self) -> &[Range<usize>] {
        &self.ranges
    }

    /// The 0-based line holding `offset` ([`Lines::len`] at the end of the text).
    pub fn index(&self, offset: usize) -> usize {
        self.ranges.partition_point(|line| line.end <= offset)
    }

    /// The 0-based lines `range` covers; an empty range covers none, at the line it is in.
    pub fn covering(&self, range: &Range<usize>) -> Range<usize> {
        let first = self.index(range.start);
        if range.is_empty() {
            first..first
        } else {
            first..self.index(range.end - 1) + 1
        }
    }

    /// The 1-based line and the 1-based column (in bytes) of `offset`.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.end);
        let mut index = self.index(offset);
        if index == self.ranges.len() && self.open_end {
            index -= 1;
        }
        (index + 1, offset - self.start(index) + 1)
    }

    /// Where 0-based line `index` starts; the end of the text past the last line.
    pub fn start(&self, index: usize) -> usize {
        self.ranges.get(index).map_or(self.end, |line| line.start)
    }
}

impl Index<usize> for Lines {
    type Output = Range<usize>;

    fn index(&self, index: usize) -> &Range<usize> {
        &self.ranges[index]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_offsets_and_ranges() {
        let lines = Lines::new(b"a\nbb\nc");
        assert_eq!(
            lines.iter().cloned().collect::<Vec<_>>(),
            [0..2, 2..5, 5..6]
        );
        assert_eq!((lines.index(0), lines.index(2), lines.index(5)), (0, 1, 2));
        assert_eq!(lines.index(6), 3);
        assert_eq!(lines.covering(&(2..5)), 1..2);
        assert_eq!(lines.covering(&(1..6)), 0..3);
        assert_eq!(lines.covering(&(5..5)), 2..2);
        assert_eq!((lines.start(2), lines.start(3)), (5, 6));
        let ended = Lines::new(b"a\n");
        assert_eq!((ended.len(), ended.index(2), ended.start(1)), (1, 1, 2));
        assert!(Lines::new(b"").is_empty());
    }

    #[test]
    fn line_and_column_of_every_offset() {
        for text in [&b"a\nbb\nc"[..], b"a\n", b"", b"\n\n", b"x\r\ny"] {
            let lines = Lines::new(text);
            for offset in 0..=text.len() + 1 {
                // Counted by hand: newlines before the offset, bytes since the last one.
                let before = &text[..offset.min(text.len())];
                let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
                let column = before.len()
                    - before
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                    + 1;
                assert_eq!(
                    lines.line_column(offset),
                    (line, column),
                    "{text:?} at {offset}"
                );
            }
        }
    }
}
