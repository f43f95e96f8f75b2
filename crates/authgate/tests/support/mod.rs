//! A throwaway PostgreSQL server for the tests of one test binary.
//!
//! The first test that needs PostgreSQL starts a server (`initdb` + `pg_ctl`)
//! in a temporary directory, on a free port of 127.0.0.1 with its Unix
//! socket inside that directory, `fsync` off; later tests share it and each
//! creates its own database. PostgreSQL refuses to run as root, so as root
//! the server runs as the `postgres` user (`runuser`).
//!
//! The server is stopped (`pg_ctl stop -m immediate`) and its directory
//! removed when [`PgServer`] is dropped, and — since a `static` is never
//! dropped — by a small watchdog process that waits for the test binary to
//! exit, however it exits.
//!
//! Missing PostgreSQL binaries are a test failure with instructions, never a
//! silent skip: CI installs them. Set `AUTHGATE_PG_BIN` to the directory of
//! `initdb` and `pg_ctl` to choose an installation.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The password written in every test URL. The plain server trusts local
/// connections and ignores it; the TLS-only server ([`PgServer::start_tls`])
/// checks it (`scram-sha-256`). The tests check it never shows in messages.
pub const PASSWORD: &str = "pg-s3cret-Pa55";

/// A running PostgreSQL server.
pub struct PgServer {
    root: PathBuf,
    data: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// The server shared by every test of this binary, started on first use.
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start)
}

/// A URL of a new, empty database on the shared server.
pub fn fresh_database(hint: &str) -> String {
    server().fresh_database(hint)
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The directory holding `initdb` and `pg_ctl`.
fn find_bin_dir() -> PathBuf {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("AUTHGATE_PG_BIN").map(PathBuf::from) {
        assert!(
            has_tools(&dir),
            "AUTHGATE_PG_BIN={} has no initdb and pg_ctl",
            dir.display()
        );
        return dir;
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    for dir in on_path {
        if has_tools(&dir) {
            // pg_ctl finds `postgres` beside its real location.
            let real = std::fs::canonicalize(dir.join("initdb")).unwrap_or(dir.join("initdb"));
            return real.parent().map_or(dir, Path::to_path_buf);
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            has_tools(&bin).then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in \
             /usr/lib/postgresql/*/bin. Install them (Debian: `apt-get install -y postgresql`) \
             or set AUTHGATE_PG_BIN to their directory. The PostgreSQL store tests do not \
             skip themselves."
        ),
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

impl PgServer {
    /// Starts a server; panics with the server's log if it cannot.
    pub fn start() -> PgServer {
        Self::start_with(None)
    }

    /// Starts a server that only accepts TLS connections over TCP
    /// (`hostssl` with `scram-sha-256` for the `postgres` user's
    /// [`PASSWORD`]; `hostnossl` rejected), with the certificate `server.crt`
    /// and key `server.key` of `tls_dir`. Its Unix socket still trusts
    /// everyone, for the tests' own administration.
    pub fn start_tls(tls_dir: &Path) -> PgServer {
        let server = Self::start_with(Some(tls_dir));
        server
            .local_client("postgres")
            .batch_execute(&format!(
                "SET password_encryption = 'scram-sha-256'; \
                 ALTER ROLE postgres PASSWORD '{PASSWORD}'"
            ))
            .expect("set the postgres user's password");
        server
    }

    fn start_with(tls_dir: Option<&Path>) -> PgServer {
        let bin = find_bin_dir();
        let is_root = output_of(Command::new("id").arg("-u")).as_deref() == Some("0");
        if is_root {
            assert!(
                output_of(Command::new("id").args(["-u", "postgres"])).is_some(),
                "running as root, the tests start PostgreSQL as the `postgres` user, \
                 which does not exist (Debian's postgresql package creates it)"
            );
        }
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let root = std::env::temp_dir().join(format!("authgate-pg-{}-{nanos}", std::process::id()));
        let sockets = root.join("sock");
        std::fs::create_dir_all(&sockets).expect("create the server directory");
        if is_root {
            let status = Command::new("chown")
                .args(["-R", "postgres:"])
                .arg(&root)
                .status()
                .expect("run chown");
            assert!(status.success(), "chown of {} failed", root.display());
        }
        let mut server = PgServer {
            data: root.join("data"),
            root,
            bin,
            port: 0,
            as_postgres: is_root,
        };
        server.spawn_watchdog();
        let initdb_log = server.root.join("initdb.log");
        let status = server
            .command("initdb")
            .arg("-D")
            .arg(&server.data)
            .args([
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ])
            .stdin(Stdio::null())
            .stdout(log_file(&initdb_log))
            .stderr(log_file(&initdb_log))
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed:\n{}", tail(&initdb_log));
        if let Some(dir) = tls_dir {
            server.enable_tls(dir);
        }
        let server_log = server.root.join("server.log");
        for attempt in 0..5 {
            server.port = free_port();
            let options = format!(
                "-c listen_addresses=127.0.0.1 -p {} -k {} -c fsync=off \
                 -c synchronous_commit=off -c full_page_writes=off -c max_connections=300",
                server.port,
                sockets.display()
            );
            // stdout and stderr go to a file: the postmaster inherits them,
            // and a pipe would keep whoever reads it waiting for it to exit.
            let ctl_log = server.root.join("pg_ctl.log");
            let status = server
                .command("pg_ctl")
                .arg("-D")
                .arg(&server.data)
                .arg("-l")
                .arg(&server_log)
                .args(["-w", "-t", "60", "-o", &options, "start"])
                .stdin(Stdio::null())
                .stdout(log_file(&ctl_log))
                .stderr(log_file(&ctl_log))
                .status()
                .expect("run pg_ctl");
            if status.success() {
                return server;
            }
            assert!(
                attempt < 4,
                "PostgreSQL did not start:\n{}\n{}",
                tail(&ctl_log),
                tail(&server_log)
            );
        }
        unreachable!("the loop returns or panics")
    }

    /// Turns TLS on and plain TCP connections off.
    fn enable_tls(&self, dir: &Path) {
        for name in ["server.crt", "server.key"] {
            let to = self.data.join(name);
            std::fs::copy(dir.join(name), &to).expect("copy the server's TLS files");
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600))
                .expect("chmod the TLS files");
            if self.as_postgres {
                let status = Command::new("chown")
                    .arg("postgres:")
                    .arg(&to)
                    .status()
                    .expect("run chown");
                assert!(status.success());
            }
        }
        let conf = self.data.join("postgresql.conf");
        let mut text = std::fs::read_to_string(&conf).expect("read postgresql.conf");
        text.push_str("\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n");
        std::fs::write(&conf, text).expect("write postgresql.conf");
        // A password check that only TLS connections can reach: a
        // connection that gets in was encrypted, and sent the password.
        let hba = "local all all trust\n\
                   hostssl all all 127.0.0.1/32 scram-sha-256\n\
                   hostnossl all all 127.0.0.1/32 reject\n";
        std::fs::write(self.data.join("pg_hba.conf"), hba).expect("write pg_hba.conf");
    }

    /// `program` of the installation, run as `postgres` when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(path);
            cmd
        } else {
            Command::new(path)
        }
    }

    /// Starts a process that stops the server and removes its directory once
    /// this test binary has exited.
    fn spawn_watchdog(&self) {
        let quote = |p: &Path| shell_quote(&p.display().to_string());
        let stop = format!(
            "{}{} -D {} stop -m immediate",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            quote(&self.bin.join("pg_ctl")),
            quote(&self.data)
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             if [ -f {pidfile} ]; then {stop} >/dev/null 2>&1; fi; rm -rf {root}",
            pid = std::process::id(),
            pidfile = quote(&self.data.join("postmaster.pid")),
            root = quote(&self.root),
        );
        // Started in the background by a shell that exits at once, and in a
        // session of its own where `setsid` exists, so that it outlives this
        // process and whatever kills this process's group.
        let launcher = format!(
            "{}sh -c {} </dev/null >/dev/null 2>&1 &",
            if Path::new("/usr/bin/setsid").exists() {
                "/usr/bin/setsid "
            } else {
                ""
            },
            shell_quote(&script)
        );
        let status = Command::new("sh")
            .args(["-c", &launcher])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("start the PostgreSQL watchdog");
        assert!(status.success(), "the PostgreSQL watchdog did not start");
    }

    /// The URL of database `dbname`, with [`PASSWORD`].
    pub fn url(&self, dbname: &str) -> String {
        format!(
            "postgresql://postgres:{PASSWORD}@127.0.0.1:{}/{dbname}",
            self.port
        )
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A client of database `dbname`.
    pub fn client(&self, dbname: &str) -> postgres::Client {
        let mut config: postgres::Config = self.url(dbname).parse().expect("test URL");
        config.connect_timeout(Duration::from_secs(10));
        config
            .connect(postgres::NoTls)
            .expect("connect to the test server")
    }

    /// A client of database `dbname` over the server's Unix socket, which
    /// every server trusts (a TLS-only server refuses [`PgServer::client`]).
    pub fn local_client(&self, dbname: &str) -> postgres::Client {
        let mut config = postgres::Config::new();
        config
            .host_path(self.root.join("sock"))
            .port(self.port)
            .user("postgres")
            .dbname(dbname)
            .connect_timeout(Duration::from_secs(10));
        config
            .connect(postgres::NoTls)
            .expect("connect to the test server's Unix socket")
    }

    /// Creates an empty database and returns its URL.
    pub fn fresh_database(&self, hint: &str) -> String {
        let name = self.create_database(hint);
        self.url(&name)
    }

    /// Creates an empty database and returns its name.
    pub fn create_database(&self, hint: &str) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let clean: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("t{}_{clean}", NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = self.local_client("postgres");
        // FILE_COPY (PostgreSQL 15+) copies the small template directly
        // instead of through the WAL: much faster for many small databases.
        let version: i32 = admin
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .and_then(|row| row.try_get(0))
            .expect("server version");
        let strategy = if version >= 150_000 {
            " STRATEGY = FILE_COPY"
        } else {
            ""
        };
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\"{strategy}"))
            .expect("create a test database");
        name
    }

    fn stop(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(&self.data)
            .args(["stop", "-m", "immediate"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn log_file(path: &Path) -> Stdio {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_or_else(|_| Stdio::null(), Stdio::from)
}

/// `text` as one single-quoted shell word.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}
