//! Differential tests against PyYAML.
//!
//! The fixtures in `tests/fixtures/` were written by PyYAML itself
//! (`gen_fixtures.py`): for each YAML text they hold what `yaml.safe_load`
//! builds (type-tagged JSON) and what `yaml.dump(data,
//! default_flow_style=False, allow_unicode=True)` writes for it. Here,
//! `parse` must build the same data and `emit` must write the same bytes.

mod common;

use authgate_yaml::{emit, parse, SyntaxError, Value, MAX_DEPTH};
use common::{decode, same, same_as};
use std::path::Path;

const ORIGIN: &str = "fixture.yaml";

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn cases(name: &str) -> Vec<serde_json::Value> {
    match serde_json::from_str(&fixture(name)) {
        Ok(serde_json::Value::Array(items)) => items,
        other => panic!("{name}: not a JSON array: {other:?}"),
    }
}

fn field<'a>(case: &'a serde_json::Value, key: &str) -> &'a serde_json::Value {
    case.get(key)
        .unwrap_or_else(|| panic!("case without {key}: {case}"))
}

fn text_field<'a>(case: &'a serde_json::Value, key: &str) -> &'a str {
    field(case, key)
        .as_str()
        .unwrap_or_else(|| panic!("{key} is not a string in {case}"))
}

/// Runs every case of a fixture file; reports all failures at once.
fn check_cases(file: &str, min_cases: usize) {
    let cases = cases(file);
    assert!(
        cases.len() >= min_cases,
        "{file}: only {} cases",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let name = text_field(case, "name");
        let yaml = text_field(case, "yaml");
        let want = decode(field(case, "data"));
        let got = match parse(yaml, Path::new(ORIGIN)) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{name}: parse failed: {e}"));
                continue;
            }
        };
        if let Err(e) = same("$", &got, &want) {
            failures.push(format!("{name}: loaded data differs {e}"));
        }
        let dumped = emit(&got);
        // `null` means PyYAML's dump is the input itself.
        let want_dump = field(case, "dump").as_str().unwrap_or(yaml);
        if dumped != want_dump {
            failures.push(format!(
                "{name}: emit differs\n got: {dumped:?}\nwant: {want_dump:?}"
            ));
        }
        // The fixture data itself (built without our parser) must emit the same.
        if emit(&want) != want_dump {
            failures.push(format!("{name}: emit of the fixture data differs"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases in {file} failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn streamlit_config_round_trips_byte_for_byte() {
    let text = fixture("config.yaml");
    let config = parse(&text, Path::new("config.yaml")).expect("config parses");
    assert_eq!(emit(&config), text);

    let users = config
        .as_map()
        .and_then(|c| c.get("credentials"))
        .and_then(Value::as_map)
        .and_then(|c| c.get("usernames"))
        .and_then(Value::as_map)
        .expect("credentials.usernames");
    let jsmith = users.get("jsmith").and_then(Value::as_map).expect("jsmith");
    let password = jsmith
        .get("password")
        .and_then(Value::as_str)
        .expect("password");
    assert!(password.starts_with("$2b$12$") && password.len() == 60);
    assert_eq!(jsmith.get("failed_login_attempts"), Some(&Value::Int(0)));
    assert_eq!(jsmith.get("logged_in"), Some(&Value::Bool(false)));
    let roles: Vec<&str> = jsmith
        .get("roles")
        .and_then(Value::as_seq)
        .expect("roles")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(roles, ["admin", "editor", "viewer"]);
    // A numeric-looking username stays a string key.
    assert!(users.get("1234").is_some());
    let guest = users
        .get("oauth_guest")
        .and_then(Value::as_map)
        .expect("guest");
    assert!(guest.get("password").is_some_and(Value::is_null));

    let config = config.as_map().expect("mapping");
    let google = config
        .get("oauth2")
        .and_then(Value::as_map)
        .and_then(|o| o.get("google"))
        .and_then(Value::as_map)
        .expect("oauth2.google");
    assert!(google.values().all(Value::is_null));
    let emails = config
        .get("pre-authorized")
        .and_then(Value::as_map)
        .and_then(|p| p.get("emails"))
        .and_then(Value::as_seq)
        .expect("pre-authorized.emails");
    assert_eq!(
        emails.first().and_then(Value::as_str),
        Some("melsby@gmail.com")
    );
}

#[test]
fn editing_the_config_writes_what_pyyaml_would() {
    let text = fixture("config.yaml");
    let mut config = parse(&text, Path::new("config.yaml")).expect("config parses");
    let jsmith = config
        .as_map_mut()
        .and_then(|c| c.get_mut("credentials"))
        .and_then(Value::as_map_mut)
        .and_then(|c| c.get_mut("usernames"))
        .and_then(Value::as_map_mut)
        .and_then(|u| u.get_mut("jsmith"))
        .and_then(Value::as_map_mut)
        .expect("jsmith");
    jsmith.insert("failed_login_attempts", Value::Int(3));
    jsmith.insert("logged_in", Value::Bool(true));
    let out = emit(&config);
    assert!(out.contains("      failed_login_attempts: 3\n      first_name: John\n"));
    assert!(out.contains("      logged_in: true\n      password: $2b$12$"));
    // `false` became `true`: one character shorter, nothing else moved.
    assert_eq!(out.len() + 1, text.len());
}

#[test]
fn dump_cases_match_pyyaml() {
    check_cases("dump_cases.json", 30);
}

#[test]
fn load_cases_match_pyyaml() {
    check_cases("load_cases.json", 30);
}

#[test]
fn random_documents_match_pyyaml() {
    check_cases("random_cases.json", 300);
}

#[test]
fn errors_where_pyyaml_errors() {
    let cases = cases("error_cases.json");
    assert!(cases.len() >= 25);
    let mut failures = Vec::new();
    for case in &cases {
        let name = text_field(case, "name");
        let yaml = text_field(case, "yaml");
        match parse(yaml, Path::new(ORIGIN)) {
            Ok(v) => failures.push(format!("{name}: accepted as {v:?}")),
            Err(SyntaxError { path, line, .. }) => {
                assert_eq!(path, Path::new(ORIGIN));
                if let Some(want) = field(case, "line").as_u64() {
                    if line as u64 != want {
                        failures.push(format!("{name}: error on line {line}, PyYAML says {want}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn syntax_error_names_file_line_and_column() {
    let text = "cookie:\n  expiry_days: 30\n  key: [unclosed\nname: x\n";
    let origin = Path::new("/etc/app/config.yaml");
    let err = parse(text, origin).expect_err("unclosed flow sequence");
    assert!(
        err.to_string()
            .starts_with("/etc/app/config.yaml: YAML syntax error at line "),
        "{err}"
    );
    let SyntaxError {
        path,
        line,
        column,
        message,
    } = err;
    assert_eq!(path, origin);
    assert!((3..=4).contains(&line), "line {line}");
    assert!(column >= 1);
    assert!(!message.is_empty());
    match parse("a: 1\nb: 2\n  c: 3\n", Path::new(ORIGIN)) {
        Err(SyntaxError { line: 3, .. }) => {}
        other => panic!("expected an error on line 3, got {other:?}"),
    }
}

#[test]
fn empty_documents_are_null() {
    for text in ["", "\n", "# only a comment\n", "---\n", "---\n...\n"] {
        assert_eq!(
            parse(text, Path::new(ORIGIN)).ok(),
            Some(Value::Null),
            "{text:?}"
        );
    }
}

fn nested(depth: usize, open: &str, close: &str) -> String {
    format!("{}x{}", open.repeat(depth), close.repeat(depth))
}

#[test]
fn nesting_is_capped_without_crashing() {
    let block = |depth: usize| format!("{}x\n", "- ".repeat(depth));
    assert!(parse(&block(MAX_DEPTH), Path::new(ORIGIN)).is_ok());
    // The parser's own limit for flow collections is 255.
    assert!(parse(&nested(255, "[", "]"), Path::new(ORIGIN)).is_ok());
    for text in [
        block(MAX_DEPTH + 1),
        nested(MAX_DEPTH + 1, "[", "]"),
        nested(200_000, "[", "]"),
        nested(200_000, "{a: ", "}"),
        "[".repeat(200_000),
        (0..1_000)
            .map(|i| format!("{}- \n", "  ".repeat(i)))
            .collect(),
        (0..1_000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect(),
    ] {
        match parse(&text, Path::new(ORIGIN)) {
            Err(SyntaxError { .. }) => {}
            other => panic!("expected an error, got {:?}", other.map(|_| "a value")),
        }
    }
    // What an alias copies counts towards the depth where it lands.
    let deep = nested(MAX_DEPTH - 1, "[", "]");
    assert!(parse(&format!("a: &a {deep}\nb: *a\n"), Path::new(ORIGIN)).is_ok());
    match parse(&format!("a: &a {deep}\nb: [*a]\n"), Path::new(ORIGIN)) {
        Err(SyntaxError {
            line: 2, message, ..
        }) => {
            assert!(message.contains("nests deeper than 256"), "{message}")
        }
        other => panic!(
            "expected an error on line 2, got {:?}",
            other.map(|_| "a value")
        ),
    }
}

#[test]
fn alias_expansion_is_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    match parse(&text, Path::new(ORIGIN)) {
        Err(SyntaxError { message, .. }) => {
            assert!(message.contains("aliases copy more than"), "{message}")
        }
        other => panic!("expected an error, got {:?}", other.map(|_| "a value")),
    }
}

/// A small deterministic generator (xorshift) for the fuzz test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn arbitrary_text_never_panics_and_round_trips() {
    // YAML-ish fragments plus nasty characters (NEL is left out: PyYAML's own
    // dump of it does not survive a load, so no round trip is expected).
    let pieces = [
        "a",
        "b",
        "1",
        "0x1f",
        "yes",
        "~",
        "null",
        "2024-01-05",
        "1.5",
        ".inf",
        "<<",
        "=",
        ": ",
        ":",
        "- ",
        "-",
        "? ",
        "#",
        " #",
        "'",
        "\"",
        "\\",
        "[",
        "]",
        "{",
        "}",
        ",",
        "&a ",
        "*a",
        "!!str ",
        "!!int ",
        "! ",
        "|",
        ">",
        "\n",
        "\n  ",
        "\n    ",
        "\t",
        " ",
        "  ",
        "---",
        "...",
        "é",
        "😀",
        "\u{2028}",
        "\u{FEFF}",
        "\r\n",
        "%",
        "@",
        "`",
        "\x01",
        "\u{A0}",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut parsed = 0;
    for _ in 0..20_000 {
        let len = 1 + rng.below(40);
        let text: String = (0..len).map(|_| pieces[rng.below(pieces.len())]).collect();
        let Ok(value) = parse(&text, Path::new(ORIGIN)) else {
            continue;
        };
        parsed += 1;
        let out = emit(&value);
        let again = parse(&out, Path::new(ORIGIN)).unwrap_or_else(|e| {
            panic!("our own output does not parse: {e}\ninput {text:?}\noutput {out:?}")
        });
        // Keys come back sorted, so compare regardless of order.
        if let Err(e) = same_as("$", &again, &value, false) {
            panic!("round trip changed the data: {e}\ninput {text:?}\noutput {out:?}");
        }
        assert_eq!(emit(&again), out, "emit is not stable for {text:?}");
    }
    assert!(parsed > 1_000, "only {parsed} inputs parsed");
}

/// Differences the differential test (`pyyaml_differential.rs`) found and
/// that are now read as PyYAML 6.0.4 reads them (each checked by hand with
/// `yaml.safe_load`).
#[test]
fn oddities_the_differential_test_found_read_as_pyyaml_does() {
    let str_map = |pairs: &[(&str, &str)]| {
        Value::Map(pairs.iter().map(|(k, v)| (*k, Value::from(*v))).collect())
    };
    let reads = [
        // A block scalar that runs to the end of a text without a final line
        // break ends without one.
        ("k: |\n  a\n  b", str_map(&[("k", "a\nb")])),
        ("k: >\n  a\n  b  ", str_map(&[("k", "a b  ")])),
        ("k: |+\n  a\n\n  ", str_map(&[("k", "a\n\n")])),
        ("k: |\n  a\n  b\n", str_map(&[("k", "a\nb\n")])),
        // U+2028 in a quoted scalar is a line break, inside `[...]` and
        // after an anchor or a tag as well.
        (
            "[ 'a\u{2028}  b' ]\n",
            Value::Seq(vec![Value::from("a\u{2028}b")]),
        ),
        ("k: &x \"a \u{2028} b\"\n", str_map(&[("k", "a\u{2028}b")])),
        ("k: !!str 'a\u{2028}  b'\n", str_map(&[("k", "a\u{2028}b")])),
        // An explicit key may hold one; an empty explicit key is null.
        ("? 'a\u{2028}  b'\n: x\n", str_map(&[("a\u{2028}b", "x")])),
        ("{? 'a\u{2028} b' : x}\n", str_map(&[("a\u{2028}b", "x")])),
        (
            "a:\n  ? # c\n\n  : x\n",
            Value::Map(
                [(
                    "a",
                    Value::Map([(Value::Null, Value::from("x"))].into_iter().collect()),
                )]
                .into_iter()
                .collect(),
            ),
        ),
        ("---\n...\n...\n", Value::Null),
        // A `?` at the very end is a key indicator.
        (
            "- ?",
            Value::Seq(vec![Value::Map(
                [(Value::Null, Value::Null)].into_iter().collect(),
            )]),
        ),
        ("k: |\n  what?", str_map(&[("k", "what?")])),
    ];
    for (text, want) in reads {
        let got = parse(text, Path::new(ORIGIN)).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        same("$", &got, &want).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    }
    let refused = [
        // A simple key must fit on one line, and U+2028 is a line break.
        "'a\u{2028}  b': x\n",
        "{'a\u{2028} b': x}\n",
        "? 'a\u{2028} b' : x\n",
        // A key left out needs an explicit `?`.
        ": x\n",
        "- : x\n",
        "a: b\n: c\n",
        "{a: 1, : x}\n",
        // A document end before any document.
        "...\n",
        "# head\n...\n",
    ];
    for text in refused {
        assert!(
            parse(text, Path::new(ORIGIN)).is_err(),
            "{text:?} should be refused, as PyYAML refuses it"
        );
    }
}
