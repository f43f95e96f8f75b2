//! What a node's tag (or the lack of one) tells the loader to build, with
//! `SafeLoader`'s choices: plain scalars and the non-specific `!` resolve
//! implicitly, other untagged scalars are strings, and only the
//! `tag:yaml.org,2002:` tags `SafeConstructor` knows are accepted.

use super::construct::ScalarTag;
use super::resolve::{resolve_plain, Implicit};
use saphyr_parser::{ScalarStyle, Tag};

/// The prefix `!!` stands for.
pub(crate) const CORE: &str = "tag:yaml.org,2002:";

/// How to build a scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// A value of this type.
    Scalar(ScalarTag),
    /// A merge key (`<<`).
    Merge,
    /// The value key (`=`), which becomes the string `=`.
    Equals,
}

/// The kind of collection a start event opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CollectionKind {
    Sequence,
    Mapping,
}

impl CollectionKind {
    fn name(self) -> &'static str {
        match self {
            CollectionKind::Sequence => "sequence",
            CollectionKind::Mapping => "mapping",
        }
    }
}

fn full_tag(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

/// PyYAML's message for a tag it has no constructor for.
pub(crate) fn no_constructor(tag: &str) -> String {
    format!("could not determine a constructor for the tag '{tag}'")
}

/// The message for a `!!` tag that is not a scalar type.
fn core_tag_error(suffix: &str) -> String {
    match suffix {
        "binary" | "set" | "omap" | "pairs" => {
            format!("the tag '{CORE}{suffix}' is valid for PyYAML but has no equivalent here")
        }
        "seq" | "map" => format!(
            "expected a {} node, but found scalar",
            if suffix == "seq" {
                "sequence"
            } else {
                "mapping"
            }
        ),
        other => no_constructor(&format!("{CORE}{other}")),
    }
}

/// Decides how to build a scalar. `key_position` says whether it is a
/// mapping key, where `<<` and `=` have their special meaning.
pub(crate) fn resolve_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    key_position: bool,
) -> Result<Resolved, String> {
    let tag = tag.map(full_tag);
    let implicit = match tag.as_deref() {
        // PyYAML resolves `! 12` implicitly even when the scalar is quoted.
        Some("!") => true,
        None => style == ScalarStyle::Plain,
        Some(_) => false,
    };
    let suffix = if implicit {
        match resolve_plain(text) {
            Implicit::Null => "null",
            Implicit::Bool => "bool",
            Implicit::Int => "int",
            Implicit::Float => "float",
            Implicit::Timestamp => "timestamp",
            Implicit::Merge => "merge",
            Implicit::Equals => "value",
            Implicit::YamlRef => "yaml",
            Implicit::Str => "str",
        }
    } else {
        match &tag {
            None => "str",
            Some(t) => t.strip_prefix(CORE).ok_or_else(|| no_constructor(t))?,
        }
    };
    Ok(match suffix {
        "null" => Resolved::Scalar(ScalarTag::Null),
        "bool" => Resolved::Scalar(ScalarTag::Bool),
        "int" => Resolved::Scalar(ScalarTag::Int),
        "float" => Resolved::Scalar(ScalarTag::Float),
        "timestamp" => Resolved::Scalar(ScalarTag::Timestamp),
        "str" => Resolved::Scalar(ScalarTag::Str),
        "merge" if key_position => Resolved::Merge,
        "value" if key_position => Resolved::Equals,
        other => return Err(core_tag_error(other)),
    })
}

/// Checks the tag on a sequence or mapping: none, `!`, or the matching
/// `!!seq`/`!!map`.
pub(crate) fn check_collection_tag(kind: CollectionKind, tag: Option<&Tag>) -> Result<(), String> {
    let Some(tag) = tag else { return Ok(()) };
    let tag = full_tag(tag);
    if tag == "!" {
        return Ok(());
    }
    let expected = match tag.strip_prefix(CORE) {
        Some("seq") => "sequence",
        Some("map") => "mapping",
        Some("str" | "null" | "bool" | "int" | "float" | "timestamp") => "scalar",
        Some(other) => return Err(core_tag_error(other)),
        None => return Err(no_constructor(&tag)),
    };
    if expected == kind.name() {
        Ok(())
    } else {
        Err(format!(
            "expected a {expected} node, but found {}",
            kind.name()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(handle: &str, suffix: &str) -> Tag {
        Tag {
            handle: handle.to_owned(),
            suffix: suffix.to_owned(),
        }
    }

    #[test]
    fn scalars() {
        let plain = ScalarStyle::Plain;
        let quoted = ScalarStyle::SingleQuoted;
        assert_eq!(
            resolve_scalar("12", plain, None, false),
            Ok(Resolved::Scalar(ScalarTag::Int))
        );
        assert_eq!(
            resolve_scalar("12", quoted, None, false),
            Ok(Resolved::Scalar(ScalarTag::Str))
        );
        let bang = tag("", "!");
        assert_eq!(
            resolve_scalar("12", quoted, Some(&bang), false),
            Ok(Resolved::Scalar(ScalarTag::Int))
        );
        assert_eq!(resolve_scalar("<<", plain, None, true), Ok(Resolved::Merge));
        assert!(resolve_scalar("<<", plain, None, false).is_err());
        assert_eq!(resolve_scalar("=", plain, None, true), Ok(Resolved::Equals));
        let local = tag("!", "foo");
        assert_eq!(
            resolve_scalar("x", plain, Some(&local), false),
            Err("could not determine a constructor for the tag '!foo'".to_owned())
        );
        let float = tag(CORE, "float");
        assert_eq!(
            resolve_scalar("1e3", plain, Some(&float), false),
            Ok(Resolved::Scalar(ScalarTag::Float))
        );
        assert!(resolve_scalar("x", plain, Some(&tag(CORE, "binary")), false).is_err());
    }

    #[test]
    fn collections() {
        assert!(check_collection_tag(CollectionKind::Sequence, None).is_ok());
        assert!(check_collection_tag(CollectionKind::Sequence, Some(&tag(CORE, "seq"))).is_ok());
        assert_eq!(
            check_collection_tag(CollectionKind::Sequence, Some(&tag(CORE, "map"))),
            Err("expected a mapping node, but found sequence".to_owned())
        );
        assert!(check_collection_tag(CollectionKind::Mapping, Some(&tag(CORE, "set"))).is_err());
    }
}
