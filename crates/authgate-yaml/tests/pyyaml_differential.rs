//! Differential test against live PyYAML, over random documents.
//!
//! `differential/pyyaml_oracle.py`, run by the project's virtualenv (the
//! one `scripts/setup.sh` makes: `$AUTHGATE_VENV`, else `.venv` at the
//! repository root), draws documents from a seed: random data written by
//! `yaml.dump` with random options, and YAML written the way people write
//! it. For each it reports what `yaml.safe_load` builds and what
//! `yaml.dump(data, default_flow_style=False, allow_unicode=True)` (the
//! config store's flags) writes, or PyYAML's refusal. Here, authgate must
//! read the same data, write the same bytes, and refuse what PyYAML refuses.
//!
//! Every run takes a new seed, so the runs together cover more than any one
//! does; a failure names its seed, and `AUTHGATE_YAML_SEED=<seed>` runs that
//! draw again. `AUTHGATE_YAML_CASES` changes the number of documents (for a
//! long run by hand), `AUTHGATE_YAML_SHOW` how many differences are shown
//! (5). Without the virtualenv the test fails: it does not skip.
//!
//! What the documents leave out is the engine's list of known differences
//! (`src/lib.rs`).

mod common;

use authgate_yaml::{emit, parse};
use common::{decode, same};
use std::hash::{BuildHasher, RandomState};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Documents per run: about ten seconds on a busy machine, mostly PyYAML.
const CASES: usize = 1200;

fn python() -> PathBuf {
    let venv = std::env::var_os("AUTHGATE_VENV").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv"),
        PathBuf::from,
    );
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} not found: run scripts/setup.sh (or set AUTHGATE_VENV) for PyYAML",
        python.display()
    );
    python
}

fn env_number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={text:?}: {e}")),
    )
}

/// The seed from `AUTHGATE_YAML_SEED`, or a fresh one from std's per-process
/// random hasher keys.
fn seed() -> u64 {
    env_number("AUTHGATE_YAML_SEED")
        .unwrap_or_else(|| RandomState::new().hash_one(std::time::SystemTime::now()) >> 1)
}

/// What PyYAML did with one document.
struct Case {
    name: String,
    yaml: String,
    outcome: Result<(serde_json::Value, String), String>,
}

fn run_oracle(seed: u64, count: u64) -> Vec<Case> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential/pyyaml_oracle.py");
    let output = Command::new(python())
        .arg(&script)
        .arg(seed.to_string())
        .arg(count.to_string())
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    assert!(
        output.status.success(),
        "the oracle failed (seed {seed}): {}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).expect("the oracle writes UTF-8");
    stdout
        .lines()
        .map(|line| {
            let case: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("oracle line {line:?}: {e}"));
            let text = |key: &str| case.get(key).and_then(|v| v.as_str()).map(str::to_owned);
            let outcome = match text("error") {
                Some(refusal) => Err(refusal),
                None => Ok((
                    case.get("data").cloned().expect("data"),
                    text("dump").expect("dump"),
                )),
            };
            Case {
                name: text("name").expect("name"),
                yaml: text("yaml").expect("yaml"),
                outcome,
            }
        })
        .collect()
}

/// Where authgate and PyYAML part ways on one document, if they do.
fn difference(case: &Case) -> Option<String> {
    let read = parse(&case.yaml, Path::new("fuzz.yaml"));
    let (value, want, want_dump) = match (&case.outcome, read) {
        (Err(_), Err(_)) => return None,
        (Err(refusal), Ok(value)) => {
            return Some(format!(
                "PyYAML refuses it ({}), authgate reads {value:?}",
                first_line(refusal)
            ))
        }
        (Ok(_), Err(e)) => return Some(format!("PyYAML reads it, authgate refuses: {e}")),
        (Ok((data, dump)), Ok(value)) => {
            let want = decode(data);
            if let Err(e) = same("$", &value, &want) {
                return Some(format!("read differs {e}"));
            }
            (value, want, dump)
        }
    };
    // authgate's dump of what it read, and of what PyYAML read.
    for (whose, dumped) in [("its", emit(&value)), ("PyYAML's", emit(&want))] {
        if let Some(at) = first_difference(&dumped, want_dump) {
            return Some(format!(
                "dump of {whose} data differs from yaml.dump's {at}"
            ));
        }
    }
    None
}

/// The first line where two texts differ, with its line number.
fn first_difference(got: &str, want: &str) -> Option<String> {
    let mut got_lines = got.split_inclusive('\n');
    let mut want_lines = want.split_inclusive('\n');
    let mut number = 0;
    loop {
        number += 1;
        match (got_lines.next(), want_lines.next()) {
            (None, None) => return None,
            (a, b) if a == b => {}
            (a, b) => {
                return Some(format!(
                    "at line {number}:\n  authgate: {}\n  PyYAML:   {}",
                    a.map_or_else(|| "(end)".to_owned(), shortened),
                    b.map_or_else(|| "(end)".to_owned(), shortened)
                ))
            }
        }
    }
}

fn first_line(text: &str) -> String {
    text.lines().collect::<Vec<_>>().join(" / ")
}

/// `text` quoted as Rust would write it, cut at 600 characters.
fn shortened(text: &str) -> String {
    let (head, rest) = cut(text, 600);
    format!("{head:?}{rest}")
}

/// `text` cut at `max` characters, and a note of what was cut.
fn cut(text: &str, max: usize) -> (&str, String) {
    match text.char_indices().nth(max) {
        Some((at, _)) => (&text[..at], format!("… ({} more bytes)", text.len() - at)),
        None => (text, String::new()),
    }
}

#[test]
fn random_documents_read_and_dump_as_pyyaml_does() {
    let seed = seed();
    let count = env_number("AUTHGATE_YAML_CASES").unwrap_or(CASES as u64);
    let cases = run_oracle(seed, count);
    let again =
        format!("AUTHGATE_YAML_SEED={seed} cargo test -p authgate-yaml --test pyyaml_differential");
    assert!(
        cases.len() as u64 >= count * 9 / 10,
        "the oracle wrote {} of {count} documents (seed {seed})",
        cases.len()
    );
    // Neither kind of outcome may dwindle, or the test would check little.
    let refused = cases.iter().filter(|c| c.outcome.is_err()).count();
    assert!(
        refused >= cases.len() / 20 && refused <= cases.len() / 3,
        "PyYAML refused {refused} of {} documents (seed {seed}): the generator drifted",
        cases.len()
    );

    let shown = env_number("AUTHGATE_YAML_SHOW").unwrap_or(5) as usize;
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            difference(case).map(|why| {
                let (why, rest) = cut(&why, 1200);
                format!(
                    "{}: {why}{rest}\n yaml: {}",
                    case.name,
                    shortened(&case.yaml)
                )
            })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} documents differ from PyYAML (seed {seed}; again with {again}):\n\n{}",
        failures.len(),
        cases.len(),
        failures
            .iter()
            .take(shown)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
    println!(
        "seed {seed}: {} documents, {refused} refused by both",
        cases.len()
    );
}
