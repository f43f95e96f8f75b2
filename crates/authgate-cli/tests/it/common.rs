//! Running the `authgate` binary as an operator would, and the stores the
//! tests run it on.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use authgate::store::{AuditEvent, DocStore, OpenOptions};
use authgate::yaml;

/// What a run of the command left.
#[derive(Debug)]
pub struct Run {
    /// The exit code.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Panics with the output unless the command exited 0.
    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, Some(0), "failed: {self:#?}");
        self
    }

    /// Panics with the output unless the command exited with `code`.
    #[track_caller]
    pub fn fails(self, code: i32) -> Self {
        assert_eq!(self.code, Some(code), "wrong exit code: {self:#?}");
        self
    }

    /// Standard output and error together, for "never printed" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `authgate args…` with `stdin`, without the AUTHGATE_* variables of
/// the environment the tests run in.
pub fn authgate(args: &[&str], stdin: &str) -> Run {
    authgate_with_env(args, stdin, &[])
}

/// [`authgate`] with extra environment variables.
pub fn authgate_with_env(args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_authgate"));
    command
        .args(args)
        .env_remove("AUTHGATE_STORE")
        .env_remove("AUTHGATE_FROM")
        .env_remove("AUTHGATE_TO")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("the authgate binary runs");
    let mut input = child.stdin.take().expect("stdin is piped");
    // The command may exit without reading its input.
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    let out = child.wait_with_output().expect("the authgate binary ends");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A bcrypt hash of `password`, cheap to compute.
pub fn quick_hash(password: &str) -> String {
    authgate::password::hash_with_cost(password, 4).expect("hash")
}

/// A config with something of every kind a store keeps: users with unknown
/// keys, odd types (a date, a big integer, a string role), a legacy `name`,
/// a plaintext password and a guest; cookie, api_key and oauth2 settings
/// with extra keys; a pre-authorized list; sessions, a lockout, a pending
/// password and revocations.
pub fn rich_config() -> String {
    let hash = quick_hash("abc");
    let pending = quick_hash("temporary");
    format!(
        "\
api_key: an-api-key
cookie:
  expiry_days: 30.5
  key: a-long-enough-cookie-secret-of-32-bytes
  name: app_cookie
  path: /
credentials:
  note: kept
  usernames:
    jsmith:
      big: 123456789012345678901234567890
      department: sales
      email: jsmith@gmail.com
      failed_login_attempts: 2
      first_name: John
      joined: 2024-01-05
      last_name: Smith
      logged_in: true
      password: {hash}
      roles:
      - admin
      - editor
    rbriggs:
      email: rbriggs@gmail.com
      name: Rebecca Briggs
      password: def
      password_hint: pets
      roles: viewer
    guest:
      email: guest@example.com
      first_name: G
      last_name: Uest
      roles: null
oauth2:
  google:
    client_id: id
    client_secret: oauth-secret
    redirect_uri: http://localhost:8501
pre-authorized:
  emails:
  - melsby@gmail.com
  - X@Y.io
  note: extra
authgate:
  lockouts:
    rbriggs:
      failures: 3
      locked_until: 4102444800.0
      window_start: 100.0
  pending_passwords:
    jsmith:
      expires: 4102444800.0
      hash: {pending}
  revoked_before:
    jsmith: 50.0
    removed_user: 60.0
  sessions:
    s1:
      created: 1.5
      expires: 4102444800.0
      last_seen: 2.25
      username: jsmith
    s2:
      created: 3.0
      expires: 4102444800.0
      last_seen: 4.0
      username: rbriggs
"
    )
}

/// Audit events, oldest first.
pub fn some_events() -> Vec<AuditEvent> {
    (0..5)
        .map(|i| AuditEvent {
            time: 1_700_000_000.0 + f64::from(i) + 0.125,
            kind: if i % 2 == 0 { "login" } else { "login_failed" }.to_string(),
            username: (i != 3).then(|| "jsmith".to_string()),
            detail: (i == 1).then(|| "wrong password".to_string()),
        })
        .collect()
}

/// Writes [`rich_config`] and [`some_events`] (as the audit trail beside it)
/// into `dir`; returns the config's path.
pub fn write_rich_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.yaml");
    std::fs::write(&path, rich_config()).expect("write config");
    write_events(&path, &some_events());
    path
}

/// Writes `events` as the audit trail beside the config at `path`.
pub fn write_events(path: &Path, events: &[AuditEvent]) {
    let lines: String = events
        .iter()
        .map(|e| serde_json::to_string(e).expect("json") + "\n")
        .collect();
    std::fs::write(audit_log(path), lines).expect("write audit trail");
}

/// The audit trail beside a config file.
pub fn audit_log(config: &Path) -> PathBuf {
    let mut name = config.as_os_str().to_owned();
    name.push(".audit.jsonl");
    PathBuf::from(name)
}

/// The events of the audit trail beside a config file.
pub fn read_events(config: &Path) -> Vec<AuditEvent> {
    std::fs::read_to_string(audit_log(config))
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("an audit event"))
        .collect()
}

/// The config file as authgate reads it, written back canonically: two
/// files hold the same data exactly when these are equal.
pub fn canonical(config: &Path) -> String {
    // The state lives in the state database beside the file; the export
    // puts it back under the `authgate` key.
    let store = DocStore::open_file(config, OpenOptions::default()).expect("open config");
    let doc = store.export_document().expect("export config");
    yaml::emit(&doc.to_value())
}

/// A `sqlite://` URL for `path`.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}
