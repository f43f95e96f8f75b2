//! PyYAML's YAML 1.1 implicit resolvers, as hand-written matchers.
//!
//! Each function matches exactly the language of the corresponding regular
//! expression in PyYAML's `resolver.py`, including one quirk of Python's `$`:
//! it also matches just before a final newline, so `"null\n"` resolves like
//! `"null"`.

/// The tag a plain scalar resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implicit {
    /// `tag:yaml.org,2002:null`
    Null,
    /// `tag:yaml.org,2002:bool`
    Bool,
    /// `tag:yaml.org,2002:int`
    Int,
    /// `tag:yaml.org,2002:float`
    Float,
    /// `tag:yaml.org,2002:timestamp`
    Timestamp,
    /// `tag:yaml.org,2002:merge` (`<<`)
    Merge,
    /// `tag:yaml.org,2002:value` (`=`)
    Equals,
    /// `tag:yaml.org,2002:yaml` (`!`, `&`, `*`; never produced by a parser)
    YamlRef,
    /// `tag:yaml.org,2002:str`
    Str,
}

/// Resolves a plain scalar the way `yaml.SafeLoader` (and `yaml.Dumper`) do.
pub(crate) fn resolve_plain(value: &str) -> Implicit {
    // Resolvers are looked up by first character; none is registered for a
    // line break, so `"\n"` stays a string although `^(?:)$` would match it.
    if value.starts_with('\n') {
        return Implicit::Str;
    }
    let s = value.strip_suffix('\n').unwrap_or(value).as_bytes();
    // PyYAML only tries the resolvers registered for the first character;
    // the languages below are disjoint, so the order does not matter.
    if is_null(s) {
        Implicit::Null
    } else if is_bool(s) {
        Implicit::Bool
    } else if is_float(s) {
        Implicit::Float
    } else if is_int(s) {
        Implicit::Int
    } else if is_timestamp(s) {
        Implicit::Timestamp
    } else if s == b"<<" {
        Implicit::Merge
    } else if s == b"=" {
        Implicit::Equals
    } else if matches!(s, b"!" | b"&" | b"*") {
        Implicit::YamlRef
    } else {
        Implicit::Str
    }
}

fn is_null(s: &[u8]) -> bool {
    matches!(s, b"" | b"~" | b"null" | b"Null" | b"NULL")
}

fn is_bool(s: &[u8]) -> bool {
    matches!(
        s,
        b"yes"
            | b"Yes"
            | b"YES"
            | b"no"
            | b"No"
            | b"NO"
            | b"true"
            | b"True"
            | b"TRUE"
            | b"false"
            | b"False"
            | b"FALSE"
            | b"on"
            | b"On"
            | b"ON"
            | b"off"
            | b"Off"
            | b"OFF"
    )
}

/// A tiny cursor over ASCII bytes for the matchers.
struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a [u8]) -> Self {
        Cursor { s, i: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, pred: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(c) if pred(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    fn eat_byte(&mut self, b: u8) -> bool {
        self.eat(|c| c == b)
    }

    /// Consumes as many bytes matching `pred` as possible; returns how many.
    fn eat_while(&mut self, pred: impl Fn(u8) -> bool) -> usize {
        let start = self.i;
        while self.eat(&pred) {}
        self.i - start
    }

    fn eat_sign(&mut self) -> bool {
        self.eat(|c| c == b'-' || c == b'+')
    }

    fn at_end(&self) -> bool {
        self.i == self.s.len()
    }

    fn rest(&self) -> &'a [u8] {
        &self.s[self.i.min(self.s.len())..]
    }
}

fn digit(c: u8) -> bool {
    c.is_ascii_digit()
}

fn digit_or_underscore(c: u8) -> bool {
    c.is_ascii_digit() || c == b'_'
}

/// `(?::[0-5]?[0-9])+` — one or more sexagesimal groups, each one digit or
/// two digits of which the first is 0–5. Returns false if there is none.
fn eat_sexagesimal_groups(c: &mut Cursor<'_>) -> bool {
    let mut groups = 0;
    while c.peek() == Some(b':') {
        let start = c.i;
        c.i += 1;
        let n = c.eat_while(digit);
        let ok = match n {
            1 => true,
            2 => c.s[c.i - 2] <= b'5',
            _ => false,
        };
        if !ok {
            c.i = start;
            break;
        }
        groups += 1;
    }
    groups > 0
}

/// `(?:[eE][-+][0-9]+)?$`
fn optional_exponent_then_end(c: &mut Cursor<'_>) -> bool {
    if c.eat(|b| b == b'e' || b == b'E') && (!c.eat_sign() || c.eat_while(digit) == 0) {
        return false;
    }
    c.at_end()
}

/// PyYAML's float regex:
/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*([eE][-+][0-9]+)?`,
/// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.(inf|Inf|INF)`, `\.(nan|NaN|NAN)`.
pub(crate) fn is_float(s: &[u8]) -> bool {
    if matches!(s, b".nan" | b".NaN" | b".NAN") {
        return true;
    }
    let mut c = Cursor::new(s);
    let signed = c.eat_sign();
    if matches!(c.rest(), b".inf" | b".Inf" | b".INF") {
        return true;
    }
    if c.eat_byte(b'.') {
        // `\.[0-9][0-9_]*…` takes no sign.
        return !signed && c.eat(digit) && {
            c.eat_while(digit_or_underscore);
            optional_exponent_then_end(&mut c)
        };
    }
    if !c.eat(digit) {
        return false;
    }
    c.eat_while(digit_or_underscore);
    if c.eat_byte(b'.') {
        c.eat_while(digit_or_underscore);
        return optional_exponent_then_end(&mut c);
    }
    // Sexagesimal: the groups must be followed by the fraction.
    eat_sexagesimal_groups(&mut c) && c.eat_byte(b'.') && {
        c.eat_while(digit_or_underscore);
        c.at_end()
    }
}

/// PyYAML's int regex:
/// `[-+]?0b[0-1_]+`, `[-+]?0[0-7_]+`, `[-+]?(0|[1-9][0-9_]*)`,
/// `[-+]?0x[0-9a-fA-F_]+`, `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
pub(crate) fn is_int(s: &[u8]) -> bool {
    let mut c = Cursor::new(s);
    c.eat_sign();
    let body = c.rest();
    match body {
        [b'0'] => true,
        [b'0', b'b', rest @ ..]
            if !rest.is_empty() && rest.iter().all(|&b| matches!(b, b'0' | b'1' | b'_')) =>
        {
            true
        }
        [b'0', b'x', rest @ ..]
            if !rest.is_empty() && rest.iter().all(|&b| b.is_ascii_hexdigit() || b == b'_') =>
        {
            true
        }
        [b'0', rest @ ..] => {
            !rest.is_empty() && rest.iter().all(|&b| matches!(b, b'0'..=b'7' | b'_'))
        }
        [b'1'..=b'9', ..] => {
            c.i += 1;
            c.eat_while(digit_or_underscore);
            c.at_end() || (eat_sexagesimal_groups(&mut c) && c.at_end())
        }
        _ => false,
    }
}

/// PyYAML's timestamp regex: `YYYY-MM-DD`, or
/// `YYYY-M-D(T|t|[ \t]+)H:MM:SS(.fraction)?([ \t]*(Z|[-+]H(:MM)?))?`.
pub(crate) fn is_timestamp(s: &[u8]) -> bool {
    match_timestamp(s, true).is_some()
}

/// The pieces of a timestamp, as text spans of the input.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TimestampParts<'a> {
    pub year: &'a [u8],
    pub month: &'a [u8],
    pub day: &'a [u8],
    /// The time of day, if any.
    pub time: Option<Clock<'a>>,
    /// `Z`, or `(sign, hour, minute)` with the minute possibly empty.
    pub zone: Option<Zone<'a>>,
}

/// The time of day of a timestamp, as text spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Clock<'a> {
    /// One or two digits.
    pub hour: &'a [u8],
    /// Two digits.
    pub minute: &'a [u8],
    /// Two digits.
    pub second: &'a [u8],
    /// Any number of digits, possibly none.
    pub fraction: &'a [u8],
}

/// The time zone of a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Zone<'a> {
    /// `Z`
    Utc,
    /// `+H`, `-HH:MM`, ...
    Offset {
        /// `true` for `-`.
        negative: bool,
        /// One or two digits.
        hour: &'a [u8],
        /// Empty or two digits.
        minute: &'a [u8],
    },
}

/// Matches the resolver's timestamp regex (`resolver == true`: a date alone
/// needs two-digit month and day) or the constructor's (one or two digits
/// everywhere), returning the pieces. The caller strips a final newline.
pub(crate) fn match_timestamp(s: &[u8], resolver: bool) -> Option<TimestampParts<'_>> {
    let mut c = Cursor::new(s);
    let mut parts = TimestampParts::default();
    let span = |c: &mut Cursor<'_>, min: usize, max: usize| -> Option<(usize, usize)> {
        let start = c.i;
        while c.i - start < max && c.eat(digit) {}
        (c.i - start >= min).then_some((start, c.i))
    };
    let (a, b) = span(&mut c, 4, 4)?;
    parts.year = &s[a..b];
    if !c.eat_byte(b'-') {
        return None;
    }
    let (a, b) = span(&mut c, 1, 2)?;
    parts.month = &s[a..b];
    if !c.eat_byte(b'-') {
        return None;
    }
    let (a, b) = span(&mut c, 1, 2)?;
    parts.day = &s[a..b];
    if c.at_end() {
        let two_digits = parts.month.len() == 2 && parts.day.len() == 2;
        return (!resolver || two_digits).then_some(parts);
    }
    if !(c.eat(|b| b == b'T' || b == b't') || c.eat_while(|b| b == b' ' || b == b'\t') > 0) {
        return None;
    }
    let (a, b) = span(&mut c, 1, 2)?;
    let hour = &s[a..b];
    if !c.eat_byte(b':') {
        return None;
    }
    let (a, b) = span(&mut c, 2, 2)?;
    let minute = &s[a..b];
    if !c.eat_byte(b':') {
        return None;
    }
    let (a, b) = span(&mut c, 2, 2)?;
    let second = &s[a..b];
    let mut fraction: &[u8] = &[];
    if c.eat_byte(b'.') {
        let start = c.i;
        c.eat_while(digit);
        fraction = &s[start..c.i];
    }
    parts.time = Some(Clock {
        hour,
        minute,
        second,
        fraction,
    });
    if c.at_end() {
        return Some(parts);
    }
    c.eat_while(|b| b == b' ' || b == b'\t');
    if c.eat_byte(b'Z') {
        parts.zone = Some(Zone::Utc);
    } else {
        let negative = c.peek() == Some(b'-');
        if !c.eat_sign() {
            return None;
        }
        let (a, b) = span(&mut c, 1, 2)?;
        let hour = &s[a..b];
        let mut minute: &[u8] = &[];
        if c.eat_byte(b':') {
            let (a, b) = span(&mut c, 2, 2)?;
            minute = &s[a..b];
        }
        parts.zone = Some(Zone::Offset {
            negative,
            hour,
            minute,
        });
    }
    c.at_end().then_some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        for yes in [
            "1.0",
            "-1.5",
            "+1.",
            "1_000.5",
            "1.e+5",
            "1.5E-3",
            ".5",
            "1:30.5",
            "-190:20:30.15",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
        ] {
            assert!(is_float(yes.as_bytes()), "{yes}");
        }
        for no in [
            "1e3", "1.0e3", ".", "-.5", "+.5", "-.nan", "1:60.5", "1:30", "._5", "1.0e+", "inf",
            "1.5.5", "1:123.0",
        ] {
            assert!(!is_float(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn ints() {
        for yes in [
            "0",
            "-0",
            "+12",
            "1_000",
            "0b101",
            "0b_",
            "0x_",
            "0xFf",
            "017",
            "0_",
            "190:20:30",
            "1:5",
            "-1:05",
        ] {
            assert!(is_int(yes.as_bytes()), "{yes}");
        }
        for no in [
            "09",
            "",
            "-",
            "0b",
            "0x",
            "0b2",
            "1:60",
            "1:123",
            "0:30",
            "1e3",
            "1_000:1_0",
            "01:30",
        ] {
            assert!(!is_int(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn timestamps() {
        for yes in [
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-1-4 1:59:43",
            "2001-12-14T21:59:43Z",
            "2001-12-14 \t 21:59:43.",
        ] {
            assert!(is_timestamp(yes.as_bytes()), "{yes}");
        }
        for no in [
            "2001-1-14",
            "2001-12-14 ",
            "2001-12-14T1:5:43",
            "2001-12-14 21:59:43 ",
            "20011-12-14",
            "2001-12-14 21:59:43+05:0",
        ] {
            assert!(!is_timestamp(no.as_bytes()), "{no}");
        }
        assert!(match_timestamp(b"2001-1-4", false).is_some());
    }

    #[test]
    fn resolution() {
        assert_eq!(resolve_plain(""), Implicit::Null);
        assert_eq!(resolve_plain("null\n"), Implicit::Null);
        assert_eq!(resolve_plain("\n"), Implicit::Str);
        assert_eq!(resolve_plain("2001-12-14\n\n"), Implicit::Str);
        assert_eq!(resolve_plain("Yes"), Implicit::Bool);
        assert_eq!(resolve_plain("yEs"), Implicit::Str);
        assert_eq!(resolve_plain("<<"), Implicit::Merge);
        assert_eq!(resolve_plain("="), Implicit::Equals);
        assert_eq!(resolve_plain("2024-01-05"), Implicit::Timestamp);
        assert_eq!(resolve_plain("12"), Implicit::Int);
        assert_eq!(resolve_plain("1.2"), Implicit::Float);
        assert_eq!(resolve_plain("éé"), Implicit::Str);
    }
}
