//! The loader: YAML text to [`Value`], as `yaml.safe_load` would build it.
//!
//! `saphyr-parser` turns the text into events; [`super::compose`] builds
//! values from them with PyYAML's `SafeLoader` rules: the YAML 1.1 implicit
//! resolvers, the explicit core tags, anchors and aliases, merge keys
//! (`<<`), the `=` value key, last-wins duplicate keys, and refusal of
//! unhashable (collection) keys, several documents, and unknown tags.
//!
//! Aliases are expanded by copying, so the loader bounds how much may be
//! copied and how deep the result may nest: a "billion laughs" document or a
//! nesting bomb is an error, never a crash.

use super::compose::Composer;
use super::reader::prepare;
use super::value::Value;
use crate::error::{Result, SyntaxError};
use saphyr_parser::Parser;
use std::borrow::Cow;
use std::path::Path;

/// Deepest nesting of sequences and mappings a document may have. (Flow
/// collections, `[...]` and `{...}`, stop at 255: the parser's own limit.)
pub const MAX_DEPTH: usize = 256;

/// Most that anchors and aliases may copy in one document, counted as one
/// per node plus the length of each string. Every anchored node is copied
/// once when it is complete, and once more for each alias to it.
pub const MAX_ALIAS_COPY: usize = 10_000_000;

/// Parses one YAML document the way PyYAML's `yaml.safe_load` does.
///
/// An empty stream (or one with only comments) is [`Value::Null`].
///
/// # Errors
///
/// A [`SyntaxError`], with `origin` as the path and a 1-based line and
/// column, for: syntax errors; more than one document; tags `SafeLoader`
/// refuses, or accepts but that have no [`Value`] (`!!binary`, `!!set`,
/// `!!omap`, `!!pairs`, recursive aliases); values invalid for their tag
/// (`!!int abc`, a 13th month); collections as keys; nesting deeper than
/// [`MAX_DEPTH`]; copies beyond [`MAX_ALIAS_COPY`]; integers of more than
/// 4300 digits (Python's limit); and control characters PyYAML's reader
/// refuses.
pub fn parse(text: &str, origin: &Path) -> Result<Value> {
    let prepared = prepare(text).map_err(|u| SyntaxError {
        path: origin.to_path_buf(),
        line: u.line,
        column: u.column,
        message: u.message,
    })?;
    if let Some(line) = leading_document_end(&prepared.source) {
        return Err(SyntaxError {
            path: origin.to_path_buf(),
            line,
            column: 1,
            message: "expected the node content, but found '<document end>'".to_owned(),
        });
    }
    let mut composer = Composer::new(origin, &prepared.source, prepared.has_separators);
    if !prepared.parser_text.is_empty() && !prepared.parser_text.ends_with(['\n', '\r']) {
        composer.unbroken_end(prepared.parser_text.chars().count());
    }
    // A `?` that ends the text is a key indicator to PyYAML (the end counts
    // as a blank); the YAML 1.2 parser wants a blank after it.
    let parser_text = if prepared.parser_text.ends_with('?') {
        Cow::Owned(format!("{}\n", prepared.parser_text))
    } else {
        Cow::Borrowed(prepared.parser_text.as_ref())
    };
    let mut parser = Parser::new_from_str(&parser_text);
    while let Some(next) = parser.next_event() {
        let (event, span) =
            next.map_err(|e| composer.error_at(*e.marker(), e.info().to_owned()))?;
        if composer.event(event, span)? {
            break;
        }
    }
    Ok(composer.finish())
}

/// The line of a `...` (document end) that comes before any document, which
/// PyYAML refuses and YAML 1.2 allows. Only blank and comment lines may
/// stand before it.
fn leading_document_end(text: &str) -> Option<usize> {
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    for (index, line) in text.lines().enumerate() {
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let marker = line
            .strip_prefix("...")
            .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t']));
        return marker.then_some(index + 1);
    }
    None
}
