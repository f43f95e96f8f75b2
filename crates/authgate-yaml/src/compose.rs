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
}

enum Body {
    Seq(Vec<Value>),
    Map {
        entries: Vec<Entry>,
        pending_key: Option<Node>,
    },
}

/// The source text by character, for re-reading quoted scalars that hold
/// U+2028/U+2029 (see [`super::quoted_breaks`]).
pub(crate) struct SourceChars(Vec<char>);

impl SourceChars {
    pub(crate) fn new(text: &str) -> Self {
        SourceChars(text.chars().collect())
    }

    fn slice(&self, span: Span) -> Option<&[char]> {
        self.0.get(span.start.index()..span.end.index())
    }
}

/// Turns events into one [`Value`].
pub(crate) struct Composer<'a> {
    origin: &'a Path,
    source: Option<SourceChars>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Built>,
    /// Anchors on collections still open: an alias to one would be recursive.
    open_anchors: Vec<usize>,
    copied: usize,
    root: Option<Value>,
    documents: usize,
}

impl<'a> Composer<'a> {
    /// A composer for text from `origin`; `source` is needed only when the
    /// text holds line separators.
    pub(crate) fn new(origin: &'a Path, source: Option<SourceChars>) -> Self {
        Composer {
            origin,
            source,
            stack: Vec::new(),
            anchors: HashMap::new(),
            open_anchors: Vec::new(),
            copied: 0,
            root: None,
            documents: 0,
        }
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
                let resolved = resolve_scalar(&text, style, tag.as_deref(), self.in_key_position())
                    .map_err(|m| self.error_at(start, m))?;
                let text = self.reread(text, style, span);
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
    fn reread<'t>(&self, text: Cow<'t, str>, style: ScalarStyle, span: Span) -> Cow<'t, str> {
        let quoted = matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted);
        let slice = match &self.source {
            Some(source) if quoted => source.slice(span),
            _ => None,
        };
        slice
            .filter(|s| s.iter().any(|&c| c == '\u{2028}' || c == '\u{2029}'))
            .and_then(rescan_quoted)
            .map_or(text, Cow::Owned)
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
        self.stack.push(Frame {
            body,
            anchor,
            start,
            depth: 0,
            weight: 1,
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
