//! YAML the way PyYAML reads and writes it.
//!
//! streamlit-authenticator keeps its configuration in a YAML file that
//! Python reads with `yaml.load(f, Loader=yaml.SafeLoader)` and writes with
//! `yaml.dump(config, f, default_flow_style=False, allow_unicode=True)`.
//! This crate does both the same way, so either side can write the file
//! and the other reads back exactly what was meant:
//!
//! * [`parse()`] resolves plain scalars with PyYAML's YAML 1.1 rules (`yes`
//!   and `off` are booleans, `017` is octal, `190:20:30` is sexagesimal,
//!   `1e3` is a string, `2024-01-05` is a date) and handles tags, anchors,
//!   aliases, merge keys and duplicate keys as `SafeLoader` does.
//! * [`emit()`] writes the very bytes `yaml.dump` writes for the same data:
//!   sorted keys, the same choice between plain, single-quoted and
//!   double-quoted scalars, the same folding of long lines.
//!
//! ```
//! use authgate_yaml::{emit, parse, Value};
//! use std::path::Path;
//!
//! let text = "cookie: {expiry_days: 30, name: yes}\nroles: [admin]\n";
//! let mut config = parse(text, Path::new("config.yaml"))?;
//! let cookie = config.as_map_mut().and_then(|c| c.get_mut("cookie"));
//! if let Some(Value::Map(cookie)) = cookie {
//!     assert_eq!(cookie.get("name"), Some(&Value::Bool(true)));
//!     cookie.insert("key", Value::from("yes"));
//! }
//! assert_eq!(
//!     emit(&config),
//!     "cookie:\n  expiry_days: 30\n  key: 'yes'\n  name: true\nroles:\n- admin\n"
//! );
//! # Ok::<(), authgate_yaml::SyntaxError>(())
//! ```
//!
//! It is its own crate (the authgate core re-exports it as `authgate::yaml`)
//! because it is a format library with its own oracle, PyYAML, and its own
//! tests, not an authentication rule. It holds what a config file needs and
//! PyYAML can produce; it is not meant to grow features beyond that.
//!
//! How the parts fit: [`parse()`] runs `reader` (PyYAML's refusals of
//! control characters), the `saphyr-parser` events, `compose` (anchors,
//! depth and copy limits), `tags`/`resolve`/`construct` (YAML 1.1 scalars
//! into values) and `mapping` (merge keys, duplicate keys). [`emit()`] uses
//! `key_order` (Python's sort of dict keys), `scalar_style` (which quoting a
//! string allows), `float_repr` and `timestamp` (Python's `repr` and
//! `isoformat`) and `writer` (indentation and folding).
//!
//! Known differences from PyYAML (what `tests/pyyaml_differential.rs`
//! leaves out of its random documents; everything else it draws is read and
//! written as PyYAML does):
//!
//! * The syntax is read by a YAML 1.2 parser (`saphyr-parser`). PyYAML's own
//!   output always reads back identically, but a few hand-written YAML 1.1
//!   oddities differ:
//!   - a quoted scalar whose continuation lines are not indented past the
//!     enclosing block (`- - 'a` then `  b'`) is refused;
//!   - some stray tabs PyYAML refuses are accepted (`a\tb` as a plain
//!     scalar, a tab after a block scalar's last line);
//!   - an anchor or alias name runs to the next blank, so `&a: x` is the
//!     anchor `a:` here, and the anchor `a` on an empty key in PyYAML;
//!   - an anchor defined twice is allowed (the later one counts), where
//!     PyYAML refuses the document;
//!   - inside `[...]` or `{...}` PyYAML takes every `?` for the explicit
//!     key indicator (`[a, ?]` holds `{None: None}`); here only a `?`
//!     followed by a blank is one.
//! * U+2028 and U+2029 are line breaks in YAML 1.1. They are treated so
//!   inside quoted scalars (where PyYAML's emitter writes them; a simple key
//!   holding one is refused, as PyYAML refuses it) but not in plain or block
//!   scalars.
//! * Aliases are expanded into copies, so a document that shared a node is
//!   written back without `&id001` anchors (same data, different text).
//! * `!!binary`, `!!set`, `!!omap`, `!!pairs` and recursive aliases, which
//!   `SafeLoader` accepts, have no [`Value`] and are refused.
//! * Merging several mappings (`<<: [*a, *b]`), or one that repeats a key,
//!   follows PyYAML 6.0.3: an earlier mapping wins, and the later ones'
//!   keys come first. PyYAML 6.0.4 changed both, and which of two equal
//!   keys it keeps there depends on whether CPython shares their string
//!   object (`y` wins, `yy` loses), which cannot be reproduced.
//! * Mapping keys that Python cannot order (a string and a number, say) are
//!   written in insertion order, as PyYAML does; NaN keys, which Python
//!   sorts erratically, also keep insertion order.

#![warn(missing_docs)]

mod bigint;
mod compose;
mod construct;
mod emit;
mod error;
mod float_repr;
mod key_order;
mod mapping;
mod parse;
mod quoted_breaks;
mod reader;
mod resolve;
mod scalar_style;
mod tags;
mod timestamp;
mod value;
mod writer;

pub use emit::emit;
pub use error::SyntaxError;
pub use parse::{parse, MAX_ALIAS_COPY, MAX_DEPTH};
pub use value::{Map, Value};
