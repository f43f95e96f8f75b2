//! PyYAML's scanning of quoted scalars, for the one case where YAML 1.1 and
//! the YAML 1.2 parser disagree: U+2028 and U+2029 are line breaks in YAML
//! 1.1. PyYAML writes them raw inside single-quoted scalars and folds the
//! indentation that follows them; a YAML 1.2 parser keeps that indentation
//! as content. When a quoted scalar's source holds one of them, it is decoded
//! again here, exactly as `scanner.py` does.

/// Decodes the quoted scalar at the start of `src` (which may go on past
/// it): its value, and its length in characters, quotes included. `None` if
/// `src` does not start with a complete quoted scalar; the caller then keeps
/// the parser's reading.
pub(crate) fn rescan_quoted(src: &[char]) -> Option<(String, usize)> {
    let quote = *src.first()?;
    let double = match quote {
        '"' => true,
        '\'' => false,
        _ => return None,
    };
    let mut s = Scan {
        src,
        i: 1,
        out: String::new(),
        double,
    };
    s.non_spaces()?;
    while s.peek()? != quote {
        s.spaces()?;
        s.non_spaces()?;
    }
    Some((s.out, s.i + 1))
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

struct Scan<'a> {
    src: &'a [char],
    i: usize,
    out: String,
    double: bool,
}

impl Scan<'_> {
    fn peek(&self) -> Option<char> {
        self.src.get(self.i).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.src.get(self.i + offset).copied()
    }

    /// `scan_line_break`: `\r\n`, `\r`, `\n` and NEL become `\n`; the
    /// separators stay themselves.
    fn line_break(&mut self) -> Option<char> {
        match self.peek()? {
            '\r' if self.peek_at(1) == Some('\n') => {
                self.i += 2;
                Some('\n')
            }
            '\r' | '\n' | '\u{85}' => {
                self.i += 1;
                Some('\n')
            }
            c @ ('\u{2028}' | '\u{2029}') => {
                self.i += 1;
                Some(c)
            }
            _ => None,
        }
    }

    /// `scan_flow_scalar_breaks`.
    fn breaks(&mut self) -> String {
        let mut chunks = String::new();
        loop {
            while matches!(self.peek(), Some(' ' | '\t')) {
                self.i += 1;
            }
            match self.peek() {
                Some(c) if is_break(c) => {
                    if let Some(b) = self.line_break() {
                        chunks.push(b);
                    }
                }
                _ => return chunks,
            }
        }
    }

    /// `scan_flow_scalar_spaces`.
    fn spaces(&mut self) -> Option<()> {
        let start = self.i;
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.i += 1;
        }
        let ch = self.peek()?;
        if is_break(ch) {
            let line_break = self.line_break()?;
            let breaks = self.breaks();
            if line_break != '\n' {
                self.out.push(line_break);
            } else if breaks.is_empty() {
                self.out.push(' ');
            }
            self.out.push_str(&breaks);
        } else {
            self.out.extend(&self.src[start..self.i]);
        }
        Some(())
    }

    /// `scan_flow_scalar_non_spaces`.
    fn non_spaces(&mut self) -> Option<()> {
        loop {
            while let Some(c) = self.peek() {
                if matches!(c, '\'' | '"' | '\\' | ' ' | '\t') || is_break(c) {
                    break;
                }
                self.out.push(c);
                self.i += 1;
            }
            match self.peek() {
                Some('\'') if !self.double && self.peek_at(1) == Some('\'') => {
                    self.out.push('\'');
                    self.i += 2;
                }
                Some(c @ '\'') if self.double => {
                    self.out.push(c);
                    self.i += 1;
                }
                Some(c @ ('"' | '\\')) if !self.double => {
                    self.out.push(c);
                    self.i += 1;
                }
                Some('\\') => {
                    self.i += 1;
                    self.escape()?;
                }
                _ => return Some(()),
            }
        }
    }

    /// One escape sequence after the backslash of a double-quoted scalar.
    fn escape(&mut self) -> Option<()> {
        let c = self.peek()?;
        let simple = match c {
            '0' => Some('\0'),
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            't' | '\t' => Some('\t'),
            'n' => Some('\n'),
            'v' => Some('\x0B'),
            'f' => Some('\x0C'),
            'r' => Some('\r'),
            'e' => Some('\x1B'),
            ' ' => Some(' '),
            '"' => Some('"'),
            '\\' => Some('\\'),
            '/' => Some('/'),
            'N' => Some('\u{85}'),
            '_' => Some('\u{A0}'),
            'L' => Some('\u{2028}'),
            'P' => Some('\u{2029}'),
            _ => None,
        };
        if let Some(r) = simple {
            self.out.push(r);
            self.i += 1;
            return Some(());
        }
        let width = match c {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ if is_break(c) => {
                self.line_break()?;
                let breaks = self.breaks();
                self.out.push_str(&breaks);
                return Some(());
            }
            _ => return None,
        };
        let digits: String = self
            .src
            .get(self.i + 1..self.i + 1 + width)?
            .iter()
            .collect();
        if !digits.chars().all(|d| d.is_ascii_hexdigit()) {
            return None;
        }
        let code = u32::from_str_radix(&digits, 16).ok()?;
        self.out.push(char::from_u32(code)?);
        self.i += 1 + width;
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rescan(s: &str) -> Option<String> {
        rescan_quoted(&s.chars().collect::<Vec<_>>()).map(|(value, _)| value)
    }

    #[test]
    fn separators_fold_like_pyyaml() {
        assert_eq!(rescan("'a\u{2028}  b'").as_deref(), Some("a\u{2028}b"));
        assert_eq!(rescan("'a\u{2028}\n  b'").as_deref(), Some("a\u{2028}\nb"));
        assert_eq!(
            rescan("'a\n\n\u{2029}  b'").as_deref(),
            Some("a\n\u{2029}b")
        );
        assert_eq!(rescan("'a\u{2028}  '").as_deref(), Some("a\u{2028}"));
        assert_eq!(rescan("'it''s\n  x'").as_deref(), Some("it's x"));
        assert_eq!(
            rescan("\"a\\L\u{2028} \\x41\\\n  b\"").as_deref(),
            Some("a\u{2028}\u{2028}Ab")
        );
        assert_eq!(rescan("'unterminated"), None);
        // What follows the closing quote is left alone.
        let rest: Vec<char> = "'a\u{2028} b' ]\n".chars().collect();
        assert_eq!(rescan_quoted(&rest), Some(("a\u{2028}b".to_owned(), 6)));
        assert_eq!(rescan("\"\\q\""), None);
    }
}
