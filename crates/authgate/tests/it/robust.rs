//! Helpers shared by the robustness tests (`many_writers`, `kill_writers`,
//! `bad_environment`): child processes of the test binary, acknowledgement
//! logs, a seeded random generator, and what each store holds, read past
//! the store's own API where the API has no listing (sessions).
//!
//! A child is this test binary re-run with one test selected (`--ignored
//! --exact`) and an environment variable telling that test which role to
//! play. Child entry points are `#[ignore]`d, so a normal run skips them
//! instead of counting a test that did nothing as passed, and run without
//! their variable they fail ([`child_spec`]). A child prints [`READY`] on
//! stdout once its store is open; the parent waits for that line before it
//! starts the clock or the race, and [`ChildProc::wait_success`] refuses a
//! child that exited without printing it: a misspelt test name makes
//! libtest run nothing and exit 0, which must not pass.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};

use authgate::store::{DocStore, OpenOptions, PostgresStore, SqliteStore, Store};

/// The line a child prints once it is ready.
pub const READY: &str = "AUTHGATE-CHILD-READY";

/// A bcrypt hash (cost 4) for seeded and registered users.
pub const HASH: &str = "$2b$04$abcdefghijklmnopqrstuu5Ud6HTuKGO0vDcD8bBx6W6Hg1Yc2oTu";

// ---- random numbers ------------------------------------------------------------------

/// SplitMix64: a small, seeded, reproducible generator.
pub struct Rng(u64);

impl Rng {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        lo + self.next_u64() % (hi - lo + 1)
    }
}

// ---- stores --------------------------------------------------------------------------

/// Which store a test or a child works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A streamlit-authenticator `config.yaml` ([`DocStore::open_file`]).
    Yaml,
    /// A SQLite database file.
    Sqlite,
    /// A PostgreSQL database (URL).
    Postgres,
}

impl Kind {
    /// The name used in child specs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Yaml => "yaml",
            Kind::Sqlite => "sqlite",
            Kind::Postgres => "postgres",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Kind {
        match name {
            "yaml" => Kind::Yaml,
            "sqlite" => Kind::Sqlite,
            "postgres" => Kind::Postgres,
            other => panic!("unknown store kind {other:?}"),
        }
    }
}

/// Opens the store at `location` (a path, or a PostgreSQL URL).
pub fn open_store(kind: Kind, location: &str) -> authgate::Result<Box<dyn Store>> {
    Ok(match kind {
        Kind::Yaml => Box::new(DocStore::open_file(
            Path::new(location),
            OpenOptions::default(),
        )?),
        Kind::Sqlite => Box::new(SqliteStore::open(Path::new(location))?),
        Kind::Postgres => Box::new(PostgresStore::connect(location)?),
    })
}

/// The ids of every session the store holds, read from its storage directly
/// (the `Store` trait has no listing).
pub fn session_ids(kind: Kind, location: &str) -> BTreeSet<String> {
    match kind {
        Kind::Yaml => DocStore::open_file(Path::new(location), OpenOptions::default())
            .unwrap_or_else(|e| panic!("{location} must open: {e}"))
            .state()
            .expect("read the state")
            .sessions
            .into_keys()
            .collect(),
        Kind::Sqlite => {
            let conn = rusqlite::Connection::open(location).expect("open the SQLite file");
            let mut stmt = conn
                .prepare("SELECT id FROM sessions")
                .expect("prepare the sessions query");
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))
                .expect("query sessions")
                .collect::<Result<_, _>>()
                .expect("read sessions");
            ids
        }
        Kind::Postgres => {
            let mut client =
                postgres::Client::connect(location, postgres::NoTls).expect("connect to postgres");
            client
                .query("SELECT id FROM sessions", &[])
                .expect("query sessions")
                .iter()
                .map(|r| r.get::<_, String>(0))
                .collect()
        }
    }
}

/// `PRAGMA integrity_check` of a SQLite file: `"ok"` when sound.
pub fn sqlite_integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).expect("open the SQLite file");
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<_, _>>()
        })
        .expect("run integrity_check");
    rows.join("; ")
}

/// The temporary files a config writer leaves in `dir` (`.authgate-*.tmp`).
pub fn temp_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list the config directory")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".authgate-") && n.ends_with(".tmp"))
        .collect();
    names.sort();
    names
}

/// The effective user id, from `id -u`.
pub fn uid() -> String {
    let out = Command::new("id").arg("-u").output().expect("run `id -u`");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

// ---- acknowledgements ----------------------------------------------------------------

/// A child's log of acknowledged operations: one line per operation that
/// returned `Ok`, written and fsync'd after it returned.
pub struct AckLog {
    file: File,
}

impl AckLog {
    /// A new, empty log at `path`.
    pub fn create(path: &Path) -> Self {
        let file = File::options()
            .create_new(true)
            .write(true)
            .open(path)
            .unwrap_or_else(|e| panic!("create the ack log {}: {e}", path.display()));
        AckLog { file }
    }

    /// Records one acknowledged operation.
    pub fn ack(&mut self, line: &str) {
        assert!(!line.contains('\n'), "an ack is one line");
        self.file
            .write_all(format!("{line}\n").as_bytes())
            .expect("write an ack");
        self.file.sync_data().expect("fsync the ack log");
    }
}

/// The complete lines of an ack log; a last line cut short by a kill does
/// not count (its operation may or may not have happened).
pub fn read_acks(path: &Path) -> Vec<String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("read the ack log {}: {e}", path.display()),
    };
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

// ---- child processes -----------------------------------------------------------------

/// The name libtest gives test `func` of the module whose `module_path!()`
/// is `module_path`: that path without the crate's name. The same whether
/// the test file is a binary of its own or a module of a larger one.
pub fn test_name(module_path: &str, func: &str) -> String {
    match module_path.split_once("::") {
        Some((_crate, module)) => format!("{module}::{func}"),
        None => func.to_string(),
    }
}

/// In a child: the spec its parent passed in `env`. Run by hand without
/// it, the child fails instead of passing having done nothing.
pub fn child_spec(env: &str) -> String {
    std::env::var(env).unwrap_or_else(|_| {
        panic!("a child process of another test, which sets {env}; run that test instead")
    })
}

/// A child: this test binary running test `role` with `env=spec`.
pub struct ChildProc {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stdin: Option<ChildStdin>,
    stderr_path: PathBuf,
    what: String,
    /// Whether the child printed [`READY`]: proof that the test ran.
    ready: bool,
}

impl ChildProc {
    /// Starts the ignored test `role` of this binary (its full libtest
    /// name, see [`test_name`]) with `env` set to `spec`; its stderr goes
    /// to `stderr_path`, shown if it fails.
    pub fn spawn(role: &str, env: &str, spec: &str, stderr_path: &Path, what: &str) -> Self {
        let exe = std::env::current_exe().expect("the test binary");
        let stderr = File::create(stderr_path).expect("create the child's stderr file");
        let mut child = Command::new(exe)
            .args([
                role,
                "--ignored",
                "--exact",
                "--test-threads=1",
                "--nocapture",
                "-q",
            ])
            .env(env, spec)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let stdin = child.stdin.take();
        ChildProc {
            child,
            stdout,
            stdin,
            stderr_path: stderr_path.to_path_buf(),
            what: what.to_string(),
            ready: false,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the child printed [`READY`]; panics with its stderr if it
    /// exits first.
    pub fn wait_ready(&mut self) {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self
                .stdout
                .read_line(&mut line)
                .expect("read the child's stdout");
            if n == 0 {
                let status = self.child.wait().expect("wait for the child");
                panic!(
                    "{} exited ({status}) before it was ready; its stderr:\n{}",
                    self.what,
                    self.stderr()
                );
            }
            if line.contains(READY) {
                self.ready = true;
                return;
            }
        }
    }

    /// Tells a child waiting in [`wait_for_go`] to start.
    pub fn go(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin still open");
        stdin.write_all(b"go\n").expect("tell the child to go");
        stdin.flush().expect("flush the child's stdin");
    }

    /// Closes the child's stdin: a child in [`wait_for_eof`] goes on.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Kills the child with SIGKILL and reaps it. Returns how it ended
    /// (it may have finished by itself just before).
    pub fn kill(&mut self) -> ExitStatus {
        // `Child::kill` sends SIGKILL on Unix; the child is not reaped yet,
        // so its pid cannot have been reused.
        self.child.kill().expect("SIGKILL the child");
        self.child.wait().expect("reap the child")
    }

    /// Waits for the child to exit and asserts it succeeded after it
    /// printed [`READY`] (so the test really ran).
    pub fn wait_success(&mut self) {
        self.stdin = None;
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        let status = self.child.wait().expect("wait for the child");
        assert!(
            status.success(),
            "{} failed ({status}); its stderr:\n{}",
            self.what,
            self.stderr()
        );
        self.ready |= rest.lines().any(|l| l.contains(READY));
        assert!(
            self.ready,
            "{} exited without running its test (no {READY} line); its stdout:\n{rest}",
            self.what
        );
    }

    /// What the child wrote on stderr (the last 60 lines).
    pub fn stderr(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for ChildProc {
    fn drop(&mut self) {
        // A parent that panics must not leave its children running.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// In a child: tells the parent the child is ready.
pub fn announce_ready() {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{READY}").expect("write READY");
    out.flush().expect("flush stdout");
}

/// In a child: waits for the parent's [`ChildProc::go`].
pub fn wait_for_go() {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .expect("read the go signal");
    assert_eq!(line.trim(), "go", "the parent closed stdin before go");
}

/// In a child: waits until the parent closes stdin.
pub fn wait_for_eof() {
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
}
