//! The output side of PyYAML's emitter: column tracking, indentation, and
//! the plain, single-quoted and double-quoted scalar writers, including the
//! folding of long lines at 80 columns.
//!
//! Columns count characters (Python string length), not bytes.

use super::scalar_style::is_break;

/// PyYAML's `best_width`.
const BEST_WIDTH: usize = 80;

/// Output buffer plus the emitter state the writers consult.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pub out: String,
    pub column: usize,
    /// The last character written was whitespace.
    pub whitespace: bool,
    /// Only indentation (spaces, `-`, `?`, `:`) on this line so far.
    pub indention: bool,
    /// Current indentation (`None` before the root node).
    pub indent: Option<usize>,
    pub open_ended: bool,
}

impl Writer {
    /// A writer at the start of a stream.
    pub(crate) fn new() -> Self {
        Writer {
            whitespace: true,
            indention: true,
            ..Writer::default()
        }
    }

    fn write(&mut self, data: &str) {
        self.column += data.chars().count();
        self.out.push_str(data);
    }

    fn write_chars(&mut self, data: &[char]) {
        self.column += data.len();
        self.out.extend(data.iter());
    }

    /// `write_indicator`.
    pub(crate) fn indicator(
        &mut self,
        indicator: &str,
        need_whitespace: bool,
        whitespace: bool,
        indention: bool,
    ) {
        if !self.whitespace && need_whitespace {
            self.write(" ");
        }
        self.write(indicator);
        self.whitespace = whitespace;
        self.indention = self.indention && indention;
        self.open_ended = false;
    }

    /// `write_indent`.
    pub(crate) fn write_indent(&mut self) {
        let indent = self.indent.unwrap_or(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.line_break(None);
        }
        if self.column < indent {
            self.whitespace = true;
            let pad = indent - self.column;
            self.out.extend(std::iter::repeat_n(' ', pad));
            self.column = indent;
        }
    }

    /// `write_line_break`: `None` writes `\n`.
    pub(crate) fn line_break(&mut self, data: Option<char>) {
        self.whitespace = true;
        self.indention = true;
        self.column = 0;
        self.out.push(data.unwrap_or('\n'));
    }

    /// Writes the breaks `text[start..end]` the way every writer does.
    fn write_breaks(&mut self, breaks: &[char]) {
        for &br in breaks {
            self.line_break(if br == '\n' { None } else { Some(br) });
        }
    }

    /// `write_plain`.
    pub(crate) fn plain(&mut self, text: &[char], split: bool, root: bool) {
        if root {
            self.open_ended = true;
        }
        if text.is_empty() {
            return;
        }
        if !self.whitespace {
            self.write(" ");
        }
        self.whitespace = false;
        self.indention = false;
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.write_indent();
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if text[start] == '\n' {
                        self.line_break(None);
                    }
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    self.whitespace = false;
                    self.indention = false;
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c)) {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
    }

    /// `write_single_quoted`.
    pub(crate) fn single_quoted(&mut self, text: &[char], split: bool) {
        self.indicator("'", true, false, false);
        let (mut spaces, mut breaks) = (false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end
                        && self.column > BEST_WIDTH
                        && split
                        && start != 0
                        && end != text.len()
                    {
                        self.write_indent();
                    } else {
                        self.write_chars(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if !ch.is_some_and(is_break) {
                    if text[start] == '\n' {
                        self.line_break(None);
                    }
                    self.write_breaks(&text[start..end]);
                    self.write_indent();
                    start = end;
                }
            } else if ch.is_none_or(|c| c == ' ' || is_break(c) || c == '\'') && start < end {
                self.write_chars(&text[start..end]);
                start = end;
            }
            if ch == Some('\'') {
                self.write("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
        }
        self.indicator("'", false, false, false);
    }

    /// `write_double_quoted` with `allow_unicode=True`.
    pub(crate) fn double_quoted(&mut self, text: &[char], split: bool) {
        self.indicator("\"", true, false, false);
        let mut start = 0;
        for end in 0..=text.len() {
            let ch = text.get(end).copied();
            let needs_escape = ch.is_none_or(|c| {
                matches!(
                    c,
                    '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}'
                ) || !(('\x20'..='\x7E').contains(&c)
                    || ('\u{A0}'..='\u{D7FF}').contains(&c)
                    || ('\u{E000}'..='\u{FFFD}').contains(&c))
            });
            if needs_escape {
                if start < end {
                    self.write_chars(&text[start..end]);
                    start = end;
                }
                if let Some(c) = ch {
                    self.write(&escape(c));
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < text.len()
                && (ch == Some(' ') || start >= end)
                // Python's `column + (end - start)`, where start may be end + 1.
                && self.column + end > BEST_WIDTH + start
                && split
            {
                let mut data: String = text[start.min(end)..end].iter().collect();
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.write(&data);
                self.write_indent();
                self.whitespace = false;
                self.indention = false;
                if text.get(start) == Some(&' ') {
                    self.write("\\");
                }
            }
        }
        self.indicator("\"", false, false, false);
    }
}

/// The escape sequence PyYAML writes for `c` in a double-quoted scalar.
fn escape(c: char) -> String {
    let short = match c {
        '\0' => Some('0'),
        '\x07' => Some('a'),
        '\x08' => Some('b'),
        '\x09' => Some('t'),
        '\x0A' => Some('n'),
        '\x0B' => Some('v'),
        '\x0C' => Some('f'),
        '\x0D' => Some('r'),
        '\x1B' => Some('e'),
        '"' => Some('"'),
        '\\' => Some('\\'),
        '\u{85}' => Some('N'),
        '\u{A0}' => Some('_'),
        '\u{2028}' => Some('L'),
        '\u{2029}' => Some('P'),
        _ => None,
    };
    let code = u32::from(c);
    match short {
        Some(s) => format!("\\{s}"),
        None if code <= 0xFF => format!("\\x{code:02X}"),
        None if code <= 0xFFFF => format!("\\u{code:04X}"),
        None => format!("\\U{code:08X}"),
    }
}
