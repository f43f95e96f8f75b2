//! PyYAML's `Reader`, the part that matters for `&str` input: it refuses
//! control characters, and treats U+0085 (NEL) as a line break.

use std::borrow::Cow;

/// Text ready for the parser.
pub(crate) struct Prepared<'a> {
    /// The input with every NEL turned into `\n` (PyYAML reads a NEL as a
    /// line break, and `\r` followed by NEL as two).
    pub source: Cow<'a, str>,
    /// What the YAML 1.2 parser gets: `source`, except that U+2028/U+2029
    /// at the start of a line are spaces. PyYAML reads them as line breaks
    /// and writes indentation after them; a YAML 1.2 parser would take them
    /// as content at column 0 and refuse the line. Characters map one to one,
    /// so positions in both texts agree.
    pub parser_text: Cow<'a, str>,
    /// Whether U+2028 or U+2029 occur: quoted scalars holding them are
    /// decoded again from `source`.
    pub has_separators: bool,
}

/// A character PyYAML refuses, with its 1-based position.
pub(crate) struct Unacceptable {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// `Reader.NON_PRINTABLE`, negated.
fn is_acceptable(c: char) -> bool {
    matches!(c,
        '\t' | '\n' | '\r'
        | '\x20'..='\x7E'
        | '\u{85}'
        | '\u{A0}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Checks `text` as PyYAML's reader does and normalises NEL.
pub(crate) fn prepare(text: &str) -> Result<Prepared<'_>, Unacceptable> {
    let mut has_nel = false;
    let mut has_separators = false;
    let (mut line, mut column) = (1, 1);
    for c in text.chars() {
        if !is_acceptable(c) {
            return Err(Unacceptable {
                line,
                column,
                message: format!(
                    "unacceptable character #x{:04x}: special characters are not allowed",
                    u32::from(c)
                ),
            });
        }
        match c {
            '\n' => {
                line += 1;
                column = 1;
                continue;
            }
            '\u{85}' => has_nel = true,
            '\u{2028}' | '\u{2029}' => has_separators = true,
            _ => {}
        }
        column += 1;
    }
    let source = if has_nel {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                // Keep one character per character so parser positions hold.
                '\r' if chars.peek() == Some(&'\u{85}') => out.push('\n'),
                '\u{85}' => out.push('\n'),
                other => out.push(other),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    };
    let parser_text = if has_separators {
        let mut out = String::with_capacity(source.len());
        let mut line_start = true;
        for c in source.chars() {
            let separator = matches!(c, '\u{2028}' | '\u{2029}');
            out.push(if separator && line_start { ' ' } else { c });
            line_start = matches!(c, '\n' | '\r') || (separator && line_start);
        }
        Cow::Owned(out)
    } else {
        source.clone()
    };
    Ok(Prepared {
        source,
        parser_text,
        has_separators,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_with_position() {
        let err = prepare("a: 1\nb: x\x01").err();
        let pos = err.map(|e| (e.line, e.column, e.message));
        assert_eq!(
            pos,
            Some((
                2,
                5,
                "unacceptable character #x0001: special characters are not allowed".to_owned()
            ))
        );
        assert!(prepare("\u{FFFE}").is_err());
        assert!(prepare("\x7f").is_err());
        assert!(prepare("tab\tcr\r\u{A0}😀").is_ok());
    }

    #[test]
    fn normalises_nel() {
        let p = prepare("a\u{85}b\r\u{85}c")
            .ok()
            .map(|p| (p.source.into_owned(), p.has_separators));
        assert_eq!(p, Some(("a\nb\n\nc".to_owned(), false)));
        assert!(prepare("x\u{2028}").is_ok_and(|p| p.has_separators));
    }

    #[test]
    fn separators_opening_a_line_become_spaces_for_the_parser() {
        let p = prepare("'a\u{2028}\n\u{2029}\u{2028}  b\u{2028}'").ok();
        let texts = p.map(|p| (p.source.into_owned(), p.parser_text.into_owned()));
        assert_eq!(
            texts,
            Some((
                "'a\u{2028}\n\u{2029}\u{2028}  b\u{2028}'".to_owned(),
                "'a\u{2028}\n    b\u{2028}'".to_owned()
            ))
        );
    }
}
