//! Composing parser events into values: the loader's state machine.
//!
//! Collections under construction live on an explicit stack (no
//! recursion), anchored nodes are kept for the aliases that follow, and
//! every copy they cause is counted, as is the nesting depth.

use super::construct::construct;
use super::mapping::{build_map, Entry, Node};
use super::parse::{MAX_ALIAS_COPY, MAX_DEPTH};
use super::quoted_breaks::rescan_quoted;
use super::tags::{
    check_collection_tag, no_constructor, resolve_scalar, CollectionKind, Resolved, CORE,
};
use super::value::Value;
use crate::error::{Result, SyntaxError};
use saphyr_parser::{Event, Marker, ScalarStyle, Span};
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;
use std::path::Path;

/// A finished node with what alias expansion needs to know about it.
#[derive(Debug, Clone)]
struct Built {
    node: Node,
    /// Collection nesting inside this node (0 for a scalar).
    depth: usize,
    /// Nodes plus string bytes.
    weight: usize,
    start: Marker,
}

/// A collection under construction.
struct Frame {
    body: Body,
    anchor: usize,
    start: Marker,
    depth: usize,
    weight: usize,
    /// Inside `[...]` or `{...}`. Tracked only when the text holds line
    /// separators, the one case that needs it.
    flow: bool,
}

enum Body {
    Seq(Vec<Value>),
    Map {
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

/// The source text by character (parser positions count characters), for
/// the few checks that look at the text itself: re-reading quoted scalars
/// that hold U+2028/U+2029 (see [`super::quoted_breaks`]), and what stands
/// before an empty key. Built on first use.
struct SourceChars(Vec<char>);

impl SourceChars {
    fn new(text: &str) -> Self {
        SourceChars(text.chars().collect())
    }

    /// The text from `mark` to the end. (Where a scalar ends is found by
    /// scanning: the parser's spans end one character late inside `[...]`.)
    fn from(&self, mark: Marker) -> Option<&[char]> {
        self.0.get(mark.index()..)
    }

    fn at(&self, mark: Marker) -> Option<char> {
        self.0.get(mark.index()).copied()
    }

    /// The node at `mark` without its properties (`&anchor`, `!tag`), which
    /// the parser's span includes.
    fn node_from(&self, mark: Marker) -> Option<&[char]> {
        let mut rest = self.from(mark)?;
        while let Some(&first) = rest.first() {
            match first {
                ' ' | '\t' | '\n' | '\r' => rest = &rest[1..],
                '&' | '!' => {
                    let end = rest
                        .iter()
                        .position(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
                        .unwrap_or(rest.len());
                    rest = &rest[end..];
                }
                _ => break,
            }
        }
        Some(rest)
    }

    /// Whether the last thing before `mark`, across blanks, line breaks and
    /// comments, is `?`, the explicit key indicator.
    fn after_question_mark(&self, mark: Marker) -> bool {
        let blank = |c: &char| matches!(c, ' ' | '\t');
        let before = self.0.get(..mark.index()).unwrap_or_default();
        // On the mark's own line, everything before it is code.
        let mut rest = match before.iter().rposition(|c| !blank(c)) {
            Some(i) if !matches!(before[i], '\n' | '\r') => return before[i] == '?',
            Some(i) => &before[..=i],
            None => return false,
        };
        // Earlier lines may end in a comment, or be one.
        loop {
            let line_start = rest
                .iter()
                .rposition(|c| matches!(c, '\n' | '\r'))
                .map_or(0, |i| i + 1);
            let line = &rest[line_start..];
            if let Some(&last) = code_of(line).iter().rev().find(|c| !blank(c)) {
                return last == '?';
            }
            if line_start == 0 {
                return false;
            }
            rest = &rest[..line_start - 1];
        }
    }
}

/// A line without its comment: from the first `#` that opens the line or
/// follows a blank, outside quotes.
fn code_of(line: &[char]) -> &[char] {
    let mut quote = None;
    let mut escaped = false;
    for (i, &c) in line.iter().enumerate() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '#' && (i == 0 || matches!(line[i - 1], ' ' | '\t')) => return &line[..i],
            None => {}
        }
    }
    line
}

/// Turns events into one [`Value`].
pub(crate) struct Composer<'a> {
    origin: &'a Path,
    /// The text, as [`SourceChars`] once a check needs it.
    text: &'a str,
    source: OnceCell<SourceChars>,
    /// Whether the text holds U+2028 or U+2029.
    separators: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Built>,
    /// Anchors on collections still open: an alias to one would be recursive.
    open_anchors: Vec<usize>,
    copied: usize,
    root: Option<Value>,
    documents: usize,
    /// The text's length in characters when its last line has no line
    /// break (see [`Composer::unbroken_end`]).
    unbroken_end: Option<usize>,
}

impl<'a> Composer<'a> {
    /// A composer for `text` from `origin`; `separators` tells whether the
    /// text holds U+2028 or U+2029.
    pub(crate) fn new(origin: &'a Path, text: &'a str, separators: bool) -> Self {
        Composer {
            origin,
            text,
            source: OnceCell::new(),
            separators,
            stack: Vec::new(),
            anchors: HashMap::new(),
            open_anchors: Vec::new(),
            copied: 0,
            root: None,
            documents: 0,
            unbroken_end: None,
        }
    }

    /// Tells the composer that the text's last line, which ends at
    /// character `len`, has no line break. A block scalar that runs to
    /// there then ends without one, as in PyYAML (`"k: |\n  a"` is
    /// `"a"`), where the YAML 1.2 parser adds one.
    pub(crate) fn unbroken_end(&mut self, len: usize) {
        self.unbroken_end = Some(len);
    }

    fn source(&self) -> &SourceChars {
        self.source.get_or_init(|| SourceChars::new(self.text))
    }

    /// The document's value (`Null` for an empty stream).
    pub(crate) fn finish(self) -> Value {
        self.root.unwrap_or(Value::Null)
    }

    /// A [`SyntaxError`] at `mark`.
    pub(crate) fn error_at(&self, mark: Marker, message: String) -> SyntaxError {
        SyntaxError {
            path: self.origin.to_path_buf(),
            line: mark.line(),
            column: mark.col() + 1,
            message,
        }
    }

    /// Handles one event; `Ok(true)` at the end of the stream.
    pub(crate) fn event(&mut self, event: Event<'_>, span: Span) -> Result<bool> {
        let start = span.start;
        match event {
            Event::StreamEnd => return Ok(true),
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(self.error_at(
                        start,
                        "expected a single document in the stream, but found another document"
                            .to_owned(),
                    ));
                }
            }
            Event::Nothing | Event::StreamStart | Event::DocumentEnd => {}
            Event::Alias(id) => self.alias(id, start)?,
            Event::Scalar(text, style, anchor, tag) => {
                if text.is_empty() && style == ScalarStyle::Plain && anchor == 0 && tag.is_none() {
                    self.check_empty_key(start)?;
                }
                let resolved = resolve_scalar(&text, style, tag.as_deref(), self.in_key_position())
                    .map_err(|m| self.error_at(start, m))?;
                let mut text = self.reread(text, style, span)?;
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                if block
                    && self.unbroken_end.is_some_and(|len| span.end.index() >= len)
                    && text.ends_with('\n')
                {
                    text.to_mut().pop();
                }
                let node = match resolved {
                    Resolved::Merge => Node::Merge,
                    Resolved::Equals => Node::Equals,
                    Resolved::Scalar(tag) => {
                        Node::Value(construct(tag, &text).map_err(|m| self.error_at(start, m))?)
                    }
                };
                let built = Built {
                    node,
                    depth: 0,
                    weight: 1 + text.len(),
                    start,
                };
                if anchor != 0 {
                    self.remember(anchor, &built)?;
                }
                self.deliver(built)?;
            }
            Event::SequenceStart(anchor, tag) => {
                check_collection_tag(CollectionKind::Sequence, tag.as_deref())
                    .map_err(|m| self.error_at(start, m))?;
                self.open(Body::Seq(Vec::new()), anchor, start)?;
            }
            Event::MappingStart(anchor, tag) => {
                check_collection_tag(CollectionKind::Mapping, tag.as_deref())
                    .map_err(|m| self.error_at(start, m))?;
                let body = Body::Map {
                    entries: Vec::new(),
                    pending_key: None,
                };
                self.open(body, anchor, start)?;
            }
            Event::SequenceEnd | Event::MappingEnd => self.close()?,
        }
        Ok(false)
    }

    /// The scalar's text, re-read from the source if it is quoted and holds
    /// a line separator.
    ///
    /// PyYAML counts U+2028 and U+2029 as line breaks everywhere, and a
    /// simple (implicit) key must fit on one line: such a key is refused,
    /// as PyYAML refuses it. An explicit key (`? 'a\u{2028}b'`) is fine in
    /// a flow collection; in a block one the `:` must start a new line.
    fn reread<'t>(
        &self,
        text: Cow<'t, str>,
        style: ScalarStyle,
        span: Span,
    ) -> Result<Cow<'t, str>> {
        let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
        if !(quoted && self.separators) {
            return Ok(text);
        }
        let source = self.source();
        let Some(rest) = source.node_from(span.start) else {
            return Ok(text);
        };
        let Some((value, len)) = rescan_quoted(rest) else {
            return Ok(text);
        };
        if !rest[..len]
            .iter()
            .any(|&c| c == '\u{2028}' || c == '\u{2029}')
        {
            return Ok(text);
        }
        let followed_by_colon = rest[len..]
            .iter()
            .find(|c| !matches!(c, ' ' | '\t'))
            .is_some_and(|&c| c == ':');
        let flow = self.stack.last().is_some_and(|f| f.flow);
        if followed_by_colon && !(flow && source.after_question_mark(span.start)) {
            return Err(self.error_at(
                span.start,
                "mapping values are not allowed here: this key spans lines \
                 (U+2028 and U+2029 are line breaks in YAML 1.1)"
                    .to_owned(),
            ));
        }
        Ok(Cow::Owned(value))
    }

    /// Refuses a key left out before `:` (`: x`), which PyYAML reads only
    /// after an explicit `?` (`? \n: x` is `{None: 'x'}`). The parser puts
    /// an empty key at its `:`.
    fn check_empty_key(&self, at: Marker) -> Result<()> {
        if !self.in_key_position() {
            return Ok(());
        }
        let source = self.source();
        if source.at(at) == Some(':') && !source.after_question_mark(at) {
            return Err(self.error_at(
                at,
                "expected a key, but found ':' (an empty key needs an explicit '?')".to_owned(),
            ));
        }
        Ok(())
    }

    fn in_key_position(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                body: Body::Map {
                    pending_key: None,
                    ..
                },
                ..
            })
        )
    }

    fn open(&mut self, body: Body, anchor: usize, start: Marker) -> Result<()> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        if anchor != 0 {
            self.open_anchors.push(anchor);
        }
        let flow = self.stack.last().is_some_and(|f| f.flow)
            || (self.separators
                && matches!(
                    self.source().node_from(start).and_then(<[char]>::first),
                    Some('[' | '{')
                ));
        self.stack.push(Frame {
            body,
            anchor,
            start,
            depth: 0,
            weight: 1,
            flow,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let value = match frame.body {
            Body::Seq(items) => Value::Seq(items),
            Body::Map { entries, .. } => {
                Value::Map(build_map(entries).map_err(|(mark, m)| self.error_at(mark, m))?)
            }
        };
        let built = Built {
            node: Node::Value(value),
            depth: frame.depth,
            weight: frame.weight,
            start: frame.start,
        };
        if frame.anchor != 0 {
            self.open_anchors.retain(|&a| a != frame.anchor);
            self.remember(frame.anchor, &built)?;
        }
        self.deliver(built)
    }

    fn too_deep(&self, at: Marker) -> SyntaxError {
        self.error_at(at, format!("document nests deeper than {MAX_DEPTH} levels"))
    }

    fn alias(&mut self, id: usize, start: Marker) -> Result<()> {
        if self.open_anchors.contains(&id) {
            return Err(self.error_at(
                start,
                "an alias inside the collection it refers to (a recursive structure) \
                 has no equivalent here"
                    .to_owned(),
            ));
        }
        let Some(anchored) = self.anchors.get(&id) else {
            return Err(self.error_at(start, "found undefined alias".to_owned()));
        };
        if self.stack.len() + anchored.depth > MAX_DEPTH {
            return Err(self.too_deep(start));
        }
        let built = Built {
            start,
            ..anchored.clone()
        };
        self.charge_copy(built.weight, start)?;
        self.deliver(built)
    }

    /// Keeps a copy of an anchored node for the aliases that may follow.
    fn remember(&mut self, anchor: usize, built: &Built) -> Result<()> {
        self.charge_copy(built.weight, built.start)?;
        self.anchors.insert(anchor, built.clone());
        Ok(())
    }

    /// Counts a copy against [`MAX_ALIAS_COPY`].
    fn charge_copy(&mut self, weight: usize, at: Marker) -> Result<()> {
        self.copied = self.copied.saturating_add(weight);
        if self.copied > MAX_ALIAS_COPY {
            return Err(self.error_at(
                at,
                format!("anchors and aliases copy more than {MAX_ALIAS_COPY} nodes and characters"),
            ));
        }
        Ok(())
    }

    /// Hands a finished node to its parent (or makes it the root).
    fn deliver(&mut self, built: Built) -> Result<()> {
        let key_position = self.in_key_position();
        let value = match built.node {
            Node::Value(Value::Seq(_) | Value::Map(_)) if key_position => {
                return Err(self.error_at(
                    built.start,
                    "while constructing a mapping, found unhashable key".to_owned(),
                ))
            }
            Node::Merge | Node::Equals if !key_position => {
                let suffix = if matches!(built.node, Node::Merge) {
                    "merge"
                } else {
                    "value"
                };
                return Err(self.error_at(built.start, no_constructor(&format!("{CORE}{suffix}"))));
            }
            node => node,
        };
        let Some(frame) = self.stack.last_mut() else {
            if let Node::Value(v) = value {
                self.root = Some(v);
            }
            return Ok(());
        };
        frame.depth = frame.depth.max(built.depth + 1);
        frame.weight = frame.weight.saturating_add(built.weight);
        match &mut frame.body {
            Body::Seq(items) => {
                if let Node::Value(v) = value {
                    items.push(v);
                }
            }
            Body::Map {
                entries,
                pending_key,
            } => match pending_key.take() {
                None => *pending_key = Some(value),
                Some(key) => {
                    if let Node::Value(v) = value {
                        entries.push(Entry {
                            key,
                            value: v,
                            value_start: built.start,
                        });
                    }
                }
            },
        }
        Ok(())
    }
}
