//! `Emitter.analyze_scalar`: which styles can carry a given string.

/// The styles a scalar may be written in, as PyYAML's emitter decides them
/// (with `allow_unicode=True`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Analysis {
    pub empty: bool,
    pub multiline: bool,
    pub allow_flow_plain: bool,
    pub allow_block_plain: bool,
    pub allow_single_quoted: bool,
}

/// A line break for YAML 1.1.
pub(crate) fn is_break(ch: char) -> bool {
    matches!(ch, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// The characters after which an indicator counts as "followed by a space".
fn is_space_or_end(ch: char) -> bool {
    matches!(ch, '\0' | ' ' | '\t' | '\r') || is_break(ch)
}

/// Printable with `allow_unicode=True`; note that U+10FFFF itself is not.
fn is_printable_unicode(ch: char) -> bool {
    (ch == '\u{85}'
        || ('\u{A0}'..='\u{D7FF}').contains(&ch)
        || ('\u{E000}'..='\u{FFFD}').contains(&ch)
        || ('\u{10000}'..'\u{10FFFF}').contains(&ch))
        && ch != '\u{FEFF}'
}

/// Port of `analyze_scalar` for `allow_unicode=True`.
pub(crate) fn analyze(text: &[char]) -> Analysis {
    if text.is_empty() {
        return Analysis {
            empty: true,
            multiline: false,
            allow_flow_plain: false,
            allow_block_plain: true,
            allow_single_quoted: true,
        };
    }
    let mut block_indicators = false;
    let mut flow_indicators = false;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;

    let starts_with = |p: &str| text.iter().copied().take(3).eq(p.chars());
    if starts_with("---") || starts_with("...") {
        block_indicators = true;
        flow_indicators = true;
    }
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = text.len() == 1 || is_space_or_end(text[1]);
    let mut previous_space = false;
    let mut previous_break = false;
    let last = text.len() - 1;

    for (index, &ch) in text.iter().enumerate() {
        if index == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(ch) {
                flow_indicators = true;
                block_indicators = true;
            }
            if ch == '?' || ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '-' && followed_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        } else {
            if ",?[]{}".contains(ch) {
                flow_indicators = true;
            }
            if ch == ':' {
                flow_indicators = true;
                if followed_by_whitespace {
                    block_indicators = true;
                }
            }
            if ch == '#' && preceded_by_whitespace {
                flow_indicators = true;
                block_indicators = true;
            }
        }

        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || ('\x20'..='\x7E').contains(&ch) || is_printable_unicode(ch)) {
            special_characters = true;
        }

        if ch == ' ' {
            if index == 0 {
                leading_space = true;
            }
            if index == last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            if index == 0 {
                leading_break = true;
            }
            if index == last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }

        preceded_by_whitespace = is_space_or_end(ch);
        followed_by_whitespace = index + 2 >= text.len() || is_space_or_end(text[index + 2]);
    }

    let mut allow_flow_plain = true;
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if break_space {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special_characters {
        allow_flow_plain = false;
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks {
        allow_flow_plain = false;
        allow_block_plain = false;
    }
    if flow_indicators {
        allow_flow_plain = false;
    }
    if block_indicators {
        allow_block_plain = false;
    }
    Analysis {
        empty: false,
        multiline: line_breaks,
        allow_flow_plain,
        allow_block_plain,
        allow_single_quoted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> bool {
        analyze(&s.chars().collect::<Vec<_>>()).allow_block_plain
    }

    #[test]
    fn plain_rules() {
        for yes in [
            "abc", "a b", "-a", "a:b", "a#b", "é", "😀", "a-", "?a", ":a", "",
        ] {
            assert!(plain(yes), "{yes:?}");
        }
        for no in [
            " a",
            "a ",
            "- a",
            "-",
            "a: b",
            "a:",
            "a #b",
            "#a",
            "'q",
            "---x",
            "...",
            "a\nb",
            "x\ty",
            "\u{10FFFF}",
        ] {
            assert!(!plain(no), "{no:?}");
        }
    }
}
