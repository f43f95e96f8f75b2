//! One name fold (#15): usernames and emails are folded by `UserKey::new`
//! and `EmailKey::new` (`src/user.rs`) and nowhere else, so a name means
//! one account wherever it is typed. This scans the source of every crate
//! for lower-casing outside `user.rs` and fails, naming `file:line`, on any
//! that [`ALLOWED`] does not list with its reason.

use std::path::{Path, PathBuf};

/// The calls that fold case.
const FOLDS: [&str; 2] = ["to_lowercase", "to_ascii_lowercase"];

/// The one file that folds names.
const THE_FOLD: &str = "crates/authgate/src/user.rs";

/// Lower-casing of things that are not names: (file, text of the line,
/// why). An entry that matches nothing fails too, so the list stays short.
const ALLOWED: &[(&str, &str, &str)] = &[
    (
        "crates/authgate/src/password_policy/nist.rs",
        "common().contains(password.to_lowercase()",
        "a password checked against the common-password list, not a name",
    ),
    (
        "crates/authgate/src/totp.rs",
        "c.to_ascii_lowercase()",
        "a recovery code's alphabet, read in either case",
    ),
    (
        "crates/authgate/src/passkey/rp.rs",
        "Host::Domain(host)) => host.to_ascii_lowercase()",
        "the app's host name (DNS is case-insensitive): the passkey RP id",
    ),
    (
        "crates/authgate/src/passkey/rp.rs",
        "Host::Domain(id)) => id.to_ascii_lowercase()",
        "a configured RP id, a host name",
    ),
    (
        "crates/authgate/src/oidc/config.rs",
        "name.map(str::to_ascii_lowercase)",
        "an OAuth provider's name in the config (google, microsoft)",
    ),
    (
        "crates/authgate/src/mail/config.rs",
        "value.to_ascii_lowercase()",
        "the SMTP security setting (starttls, tls, none)",
    ),
    (
        "crates/authgate/src/store/url.rs",
        "scheme.to_ascii_lowercase()",
        "a store URL's scheme",
    ),
    (
        "crates/authgate/src/store/postgres/pool.rs",
        "value.trim().to_ascii_lowercase()",
        "a PostgreSQL on/off setting",
    ),
    (
        "crates/authgate-cli/src/commands/settings.rs",
        "s.trim().to_ascii_lowercase()",
        "the SMTP security setting the CLI stores",
    ),
    (
        "crates/authgate-yaml/src/construct.rs",
        "text.to_lowercase()",
        "YAML 1.1 booleans (yes, True, OFF) as PyYAML reads them",
    ),
    (
        "crates/authgate-yaml/src/construct.rs",
        ".to_ascii_lowercase()",
        "YAML floats' inf and nan",
    ),
    (
        "crates/authgate-yaml/src/construct.rs",
        "text.replace('_', \"\").to_lowercase()",
        "YAML floats (1E3, .INF) as PyYAML reads them",
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("crates/authgate sits two levels below the workspace")
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a readable source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether `line` calls `fold` (`.fold(` or a path `::fold`), outside a
/// `//` comment.
fn folds(line: &str, fold: &str) -> bool {
    let code = line.trim_start();
    if code.starts_with("//") {
        return false;
    }
    code.match_indices(fold).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + fold.len()..].chars().next();
        matches!(before, Some('.' | ':')) && !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

#[test]
fn names_are_folded_in_user_rs_only() {
    let root = workspace();
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root.join("crates")).expect("crates/") {
        let src = krate.expect("a directory entry").path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    files.sort();
    assert!(
        files.iter().any(|f| f.ends_with("src/user.rs")),
        "the scan finds the sources"
    );

    let mut used = vec![false; ALLOWED.len()];
    let mut found = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(&root)
            .expect("under the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        if name == THE_FOLD {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        for (i, line) in text.lines().enumerate() {
            if !FOLDS.iter().any(|fold| folds(line, fold)) {
                continue;
            }
            let allowed = ALLOWED
                .iter()
                .position(|(path, snippet, _)| *path == name && line.contains(snippet));
            match allowed {
                Some(entry) => used[entry] = true,
                None => found.push(format!("{name}:{}: {}", i + 1, line.trim())),
            }
        }
    }
    assert!(
        found.is_empty(),
        "lower-casing outside {THE_FOLD}: fold a username or an email with \
         UserKey::new / EmailKey::new; anything else goes in one_fold.rs's ALLOWED \
         with its reason:\n{}",
        found.join("\n")
    );
    let stale: Vec<String> = ALLOWED
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((path, snippet, why), _)| format!("{path}: {snippet:?} ({why})"))
        .collect();
    assert!(
        stale.is_empty(),
        "ALLOWED entries that match nothing any more (remove them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_scan_sees_every_form_of_a_fold() {
    assert!(folds("let k = name.to_lowercase();", "to_lowercase"));
    assert!(folds("x.map(str::to_lowercase)", "to_lowercase"));
    assert!(folds(
        "  a.trim().to_ascii_lowercase()",
        "to_ascii_lowercase"
    ));
    assert!(!folds("/// name.to_lowercase()", "to_lowercase"));
    assert!(!folds("c.is_ascii_lowercase()", "to_ascii_lowercase"));
    assert!(!folds("fn to_lowercase_all()", "to_lowercase"));
    assert!(!folds("x.to_lowercase_all()", "to_lowercase"));
}
