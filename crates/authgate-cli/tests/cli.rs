//! The `authgate` command, run as a user would run it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn authgate(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn hash_reads_passwords_from_stdin_and_prints_bcrypt_hashes() {
    let out = authgate(&["hash"], "abc\npässwörd\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let hashes: Vec<String> = text(&out.stdout).lines().map(str::to_string).collect();
    assert_eq!(hashes.len(), 2);
    assert!(authgate::password::verify("abc", &hashes[0]).unwrap());
    assert!(authgate::password::verify("pässwörd", &hashes[1]).unwrap());
    assert!(hashes.iter().all(|h| h.starts_with("$2b$12$")));
}

#[test]
fn hash_refuses_a_password_over_72_bytes() {
    let out = authgate(&["hash"], &format!("{}\n", "x".repeat(73)));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("72 bytes"));
    assert!(!text(&out.stderr).contains("xxxx"), "never echo a password");
}

#[test]
fn hash_with_nothing_on_stdin_is_an_error() {
    let out = authgate(&["hash"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no password"));
}

#[test]
fn check_accepts_a_good_config() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(
        &path,
        "cookie: {expiry_days: 30, key: a-long-enough-secret-key, name: c}\ncredentials:\n  usernames:\n    jsmith: {email: j@x.io, password: abc}\n",
    )
    .unwrap();
    let before = std::fs::read(&path).unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OK, 1 user(s)"), "{stdout}");
    assert!(stdout.contains("1 plaintext password(s)"), "{stdout}");
    assert_eq!(std::fs::read(&path).unwrap(), before, "check never writes");
}

#[test]
fn check_names_the_line_of_a_yaml_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "credentials:\n  usernames:\n    jsmith: a: b\n").unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 3"), "{stderr}");
    assert!(stderr.contains("config.yaml"), "{stderr}");
}

#[test]
fn check_reports_schema_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.yaml");
    std::fs::write(&path, "credentials:\n  usernames:\n    bob: {roles: 5}\n").unwrap();
    let out = authgate(&["check", path.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("'roles' must be a list of strings"));
}

#[test]
fn check_of_a_missing_file_exits_3() {
    let out = authgate(&["check", "/nonexistent/config.yaml"], "");
    assert_eq!(out.status.code(), Some(3));
    assert!(text(&out.stderr).contains("config file not found"));
}

#[test]
fn usage_errors_exit_2_and_help_works() {
    assert_eq!(authgate(&["frobnicate"], "").status.code(), Some(2));
    let help = authgate(&["--help"], "");
    assert!(help.status.success());
    assert!(text(&help.stdout).contains("check"));
}
