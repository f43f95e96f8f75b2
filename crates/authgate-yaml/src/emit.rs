//! The emitter: byte for byte what
//! `yaml.dump(data, default_flow_style=False, allow_unicode=True)` writes.
//!
//! This is PyYAML's representer, serializer and emitter state machine
//! collapsed into one recursive walk: block mappings with sorted keys, block
//! sequences (not indented under a mapping key), `[]`/`{}` for empty
//! collections, long keys as `? key`, and scalars in the first style PyYAML
//! allows (plain, then single-quoted, then double-quoted), folded at 80
//! columns the way PyYAML folds them.

use super::float_repr::represent_float;
use super::key_order::sorted_indices;
use super::resolve::{resolve_plain, Implicit};
use super::scalar_style::{analyze, Analysis};
use super::timestamp::Timestamp;
use super::value::Value;
use super::writer::Writer;

/// Writes `value` exactly as PyYAML's
/// `yaml.dump(value, default_flow_style=False, allow_unicode=True)` would
/// write the Python object [`parse()`](super::parse()) builds from the same YAML.
///
/// Keys are sorted like Python's `sorted()` (strings by code point, numbers
/// by value); a mapping whose keys Python cannot compare with each other
/// (say a string and a number) keeps its insertion order, as PyYAML does when
/// `sorted()` raises `TypeError`. Shared sub-trees are written out in full:
/// a [`Value`] tree has no identity, so no `&id001` anchors are produced.
pub fn emit(value: &Value) -> String {
    let mut emitter = Emitter {
        w: Writer::new(),
        indents: Vec::new(),
    };
    emitter.node(value, Context::root());
    // DocumentEnd, then StreamEnd.
    emitter.w.write_indent();
    if emitter.w.open_ended {
        emitter.w.indicator("...", true, false, false);
        emitter.w.write_indent();
    }
    emitter.w.out
}

/// Where a node sits (PyYAML's `*_context` flags).
#[derive(Debug, Clone, Copy, Default)]
struct Context {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl Context {
    fn root() -> Self {
        Context {
            root: true,
            ..Context::default()
        }
    }

    fn in_sequence() -> Self {
        Context::default()
    }

    fn in_mapping(simple_key: bool) -> Self {
        Context {
            mapping: true,
            simple_key,
            ..Context::default()
        }
    }
}

/// A scalar as the representer hands it to the serializer.
struct Scalar {
    text: Vec<char>,
    /// Short form of the tag (`!!str`, `!!int`, ...).
    tag: &'static str,
    /// Resolves to its own tag when written plain.
    plain_implicit: bool,
    /// Resolves to its own tag when quoted (only strings do).
    quoted_implicit: bool,
    analysis: Analysis,
}

fn scalar_of(value: &Value) -> Option<Scalar> {
    let (text, tag, kind) = match value {
        Value::Null => ("null".to_owned(), "!!null", Implicit::Null),
        Value::Bool(b) => (b.to_string(), "!!bool", Implicit::Bool),
        Value::Int(i) => (i.to_string(), "!!int", Implicit::Int),
        Value::BigInt(s) => (s.clone(), "!!int", Implicit::Int),
        Value::Float(f) => (represent_float(*f), "!!float", Implicit::Float),
        Value::Str(s) => (s.clone(), "!!str", Implicit::Str),
        Value::Timestamp(raw) => match Timestamp::parse(raw) {
            Ok(t) => (t.isoformat(), "!!timestamp", Implicit::Timestamp),
            Err(_) => (raw.clone(), "!!str", Implicit::Str),
        },
        Value::Seq(_) | Value::Map(_) => return None,
    };
    let plain_implicit = resolve_plain(&text) == kind;
    let text: Vec<char> = text.chars().collect();
    let analysis = analyze(&text);
    Some(Scalar {
        text,
        tag,
        plain_implicit,
        quoted_implicit: kind == Implicit::Str,
        analysis,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Single,
    Double,
}

/// `choose_scalar_style` for block context and no requested style.
fn choose_style(scalar: &Scalar, simple_key: bool) -> Style {
    let a = &scalar.analysis;
    if scalar.plain_implicit && !(simple_key && (a.empty || a.multiline)) && a.allow_block_plain {
        return Style::Plain;
    }
    if a.allow_single_quoted && !(simple_key && a.multiline) {
        return Style::Single;
    }
    Style::Double
}

struct Emitter {
    w: Writer,
    indents: Vec<Option<usize>>,
}

impl Emitter {
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.w.indent);
        self.w.indent = match self.w.indent {
            None if flow => Some(2),
            None => Some(0),
            Some(i) if !indentless => Some(i + 2),
            same => same,
        };
    }

    fn decrease_indent(&mut self) {
        self.w.indent = self.indents.pop().flatten();
    }

    fn node(&mut self, value: &Value, ctx: Context) {
        match value {
            Value::Seq(items) if items.is_empty() => self.empty_flow("[", "]"),
            Value::Map(map) if map.is_empty() => self.empty_flow("{", "}"),
            Value::Seq(items) => self.block_sequence(items, ctx),
            Value::Map(map) => self.block_mapping(map.entries()),
            scalar => {
                if let Some(s) = scalar_of(scalar) {
                    self.scalar(&s, ctx);
                }
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.w.indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.decrease_indent();
        self.w.indicator(close, false, false, false);
    }

    fn block_sequence(&mut self, items: &[Value], ctx: Context) {
        let indentless = ctx.mapping && !self.w.indention;
        self.increase_indent(false, indentless);
        for item in items {
            self.w.write_indent();
            self.w.indicator("-", true, false, true);
            self.node(item, Context::in_sequence());
        }
        self.decrease_indent();
    }

    fn block_mapping(&mut self, entries: &[(Value, Value)]) {
        self.increase_indent(false, false);
        for index in sorted_indices(entries) {
            let (key, value) = &entries[index];
            self.w.write_indent();
            if is_simple_key(key) {
                self.node(key, Context::in_mapping(true));
                self.w.indicator(":", false, false, false);
            } else {
                self.w.indicator("?", true, false, true);
                self.node(key, Context::in_mapping(false));
                self.w.write_indent();
                self.w.indicator(":", true, false, true);
            }
            self.node(value, Context::in_mapping(false));
        }
        self.decrease_indent();
    }

    fn scalar(&mut self, scalar: &Scalar, ctx: Context) {
        let style = choose_style(scalar, ctx.simple_key);
        let implicit = match style {
            Style::Plain => scalar.plain_implicit,
            Style::Single | Style::Double => scalar.quoted_implicit,
        };
        if !implicit {
            self.w.indicator(scalar.tag, true, false, false);
        }
        self.increase_indent(true, false);
        let split = !ctx.simple_key;
        match style {
            Style::Plain => self.w.plain(&scalar.text, split, ctx.root),
            Style::Single => self.w.single_quoted(&scalar.text, split),
            Style::Double => self.w.double_quoted(&scalar.text, split),
        }
        self.decrease_indent();
    }
}

/// `check_simple_key`: short (tag included, as PyYAML counts it), single-line
/// and non-empty scalars, or empty collections.
fn is_simple_key(key: &Value) -> bool {
    match key {
        Value::Seq(items) => items.is_empty(),
        Value::Map(map) => map.is_empty(),
        other => scalar_of(other).is_some_and(|s| {
            s.tag.chars().count() + s.text.len() < 128 && !s.analysis.empty && !s.analysis.multiline
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Map;

    #[test]
    fn roots() {
        assert_eq!(emit(&Value::from("abc")), "abc\n...\n");
        assert_eq!(emit(&Value::Int(1)), "1\n...\n");
        assert_eq!(emit(&Value::Null), "null\n...\n");
        assert_eq!(emit(&Value::from("")), "''\n");
        assert_eq!(emit(&Value::Seq(vec![])), "[]\n");
        assert_eq!(emit(&Value::Map(Map::new())), "{}\n");
    }

    #[test]
    fn nesting() {
        let mut inner = Map::new();
        inner.insert("b", Value::Seq(vec![Value::Int(4)]));
        let mut m = Map::new();
        m.insert(
            "a",
            Value::Seq(vec![
                Value::Int(1),
                Value::Seq(vec![Value::Int(2), Value::Int(3)]),
                Value::Map(inner),
            ]),
        );
        assert_eq!(emit(&Value::Map(m)), "a:\n- 1\n- - 2\n  - 3\n- b:\n  - 4\n");
    }

    #[test]
    fn keys() {
        let mut m = Map::new();
        m.insert("", Value::Int(1));
        assert_eq!(emit(&Value::Map(m)), "? ''\n: 1\n");
        let mut m = Map::new();
        m.insert("a\nb", Value::Int(1));
        assert_eq!(emit(&Value::Map(m)), "? 'a\n\n  b'\n: 1\n");
        let mut m = Map::new();
        m.insert(Value::Int(1), Value::from("a"));
        m.insert("b", Value::Int(2));
        assert_eq!(emit(&Value::Map(m)), "1: a\nb: 2\n");
    }
}
