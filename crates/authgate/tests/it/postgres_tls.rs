//! PostgreSQL over TLS against a real server that refuses plain TCP
//! (`hostssl` with `scram-sha-256` only), with a certificate of a throwaway
//! CA that names `localhost` (not `127.0.0.1`); and against the plain test
//! server, which has no TLS at all. What the server itself saw is read from
//! `pg_stat_ssl` over its Unix socket.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

use crate::support::{self, PgServer, PASSWORD};
use authgate::account::{PreAuthorization, Registration};
use authgate::auth::{AuthConfig, Authenticator, LoginRequest};
use authgate::store::postgres::SslMode;
use authgate::store::{PostgresStore, Store};
use authgate::token::TokenKey;

struct TlsServer {
    server: PgServer,
    dir: tempfile::TempDir,
}

impl TlsServer {
    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn other_ca(&self) -> PathBuf {
        self.dir.path().join("other-ca.pem")
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgresql://postgres:{PASSWORD}@{host}:{}/postgres?{query}",
            self.server.port()
        )
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a second CA, and a server certificate of the first for `localhost`.
fn make_certificates(dir: &Path) {
    for name in ["ca", "other-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-keyout",
                &format!("{name}.key"),
                "-out",
                &format!("{name}.pem"),
                "-subj",
                &format!("/CN=authgate test {name}"),
            ],
        );
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
            "-out",
            "server.crt",
        ],
    );
}

fn tls_server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        make_certificates(dir.path());
        let server = PgServer::start_tls(dir.path());
        TlsServer { server, dir }
    })
}

fn connects(url: &str) -> PostgresStore {
    let store = PostgresStore::connect(url).unwrap_or_else(|e| panic!("{url}: {e}"));
    store.user_count().expect("a query over the connection");
    store
}

fn refused(url: &str) -> String {
    let Err(err) = PostgresStore::connect(url) else {
        panic!("{url}: the connection was not refused");
    };
    let text = err.to_string();
    assert!(!text.contains(PASSWORD), "{text}");
    text
}

#[test]
fn verify_full_with_the_servers_ca_connects() {
    let s = tls_server();
    let url = s.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", s.ca().display()),
    );
    assert_eq!(connects(&url).ssl_mode(), SslMode::VerifyFull);
}

#[test]
fn a_root_file_alone_means_verify_full() {
    let s = tls_server();
    let url = s.url("localhost", &format!("sslrootcert={}", s.ca().display()));
    // Loopback defaults to prefer: encrypted here, as the server offers it.
    connects(&url);
    let ip = s.url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", s.ca().display()),
    );
    let text = refused(&ip);
    assert!(text.contains("sslrootcert"), "{text}");
    assert!(text.contains("not valid for name \"127.0.0.1\""), "{text}");
}

#[test]
fn verify_ca_checks_the_chain_but_not_the_name() {
    let s = tls_server();
    let url = s.url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={}", s.ca().display()),
    );
    connects(&url);
}

#[test]
fn another_ca_is_refused() {
    let s = tls_server();
    for mode in ["verify-full", "verify-ca", "require"] {
        let url = s.url(
            "localhost",
            &format!("sslmode={mode}&sslrootcert={}", s.other_ca().display()),
        );
        let text = refused(&url);
        assert!(
            text.contains(&format!("over TLS (sslmode={mode})")),
            "{text}"
        );
        assert!(text.contains("UnknownIssuer"), "{text}");
    }
}

#[test]
fn require_without_a_root_encrypts_and_loopback_prefers_tls() {
    let s = tls_server();
    assert_eq!(
        connects(&s.url("127.0.0.1", "sslmode=require")).ssl_mode(),
        SslMode::Require
    );
    // The server refuses plain TCP, so prefer must have negotiated TLS.
    assert_eq!(
        connects(&s.url("127.0.0.1", "application_name=t")).ssl_mode(),
        SslMode::Prefer
    );
}

#[test]
fn plain_text_is_refused_by_a_tls_only_server() {
    let s = tls_server();
    let text = refused(&s.url("127.0.0.1", "sslmode=disable"));
    assert!(text.contains("no encryption"), "{text}");
}

/// A name no other connection of this test binary uses, for
/// `application_name`: how the server's views find a store's connections.
fn unique_app(hint: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("tls_{hint}_{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `pg_stat_ssl.ssl` of every connection of `server` named `app`: the
/// server's own word on whether each is encrypted.
fn server_sees_ssl(server: &PgServer, app: &str) -> Vec<bool> {
    server
        .local_client("postgres")
        .query(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
             WHERE a.application_name = $1",
            &[&app],
        )
        .expect("read pg_stat_ssl")
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[test]
fn a_user_registers_and_logs_in_over_verify_full() {
    let s = tls_server();
    let dbname = s.server.create_database("verify_full_login");
    let app = unique_app("login");
    let url = format!(
        "postgresql://postgres:{PASSWORD}@localhost:{}/{dbname}?sslmode=verify-full&sslrootcert={}&application_name={app}",
        s.server.port(),
        s.ca().display()
    );
    let store = Arc::new(connects(&url));
    let config = AuthConfig::new(
        TokenKey::new("a-cookie-key-of-32-bytes-or-more-0123456789"),
        30.0,
    )
    .and_then(|c| c.with_hash_cost(4))
    .unwrap();
    let auth = Authenticator::new(store.clone(), config);
    auth.register(&Registration {
        username: "ann",
        email: "ann@example.com",
        first_name: "Ann",
        last_name: "Lee",
        password: "Secret-123",
        password_repeat: "Secret-123",
        pre_authorized: PreAuthorization::Anyone,
        ..Default::default()
    })
    .expect("register over TLS");
    let login = auth
        .login(&LoginRequest {
            username: "ann",
            password: "Secret-123",
            ..Default::default()
        })
        .expect("log in over TLS");
    assert_eq!(login.user.username, "ann");
    assert!(store.user("ann").unwrap().is_some());
    // The store keeps its connections open: the server lists each one, and
    // each one encrypted.
    let seen = server_sees_ssl(&s.server, &app);
    assert!(!seen.is_empty(), "the server lists no connection of {app}");
    assert!(seen.iter().all(|&ssl| ssl), "{seen:?}");
}

#[test]
fn the_loopback_default_is_encrypted_when_the_server_offers_tls() {
    let s = tls_server();
    let app = unique_app("prefer_tls");
    let store = connects(&s.url("127.0.0.1", &format!("application_name={app}")));
    assert_eq!(store.ssl_mode(), SslMode::Prefer);
    let seen = server_sees_ssl(&s.server, &app);
    assert!(!seen.is_empty() && seen.iter().all(|&ssl| ssl), "{seen:?}");
}

#[test]
fn the_loopback_default_falls_back_to_plain_text_without_tls() {
    // The plain server has no TLS: prefer connects without it, and the
    // server says so (the check above can tell the difference).
    let server = support::server();
    let dbname = server.create_database("prefer_plain");
    let app = unique_app("prefer_plain");
    let url = format!("{}?application_name={app}", server.url(&dbname));
    let store = connects(&url);
    assert_eq!(store.ssl_mode(), SslMode::Prefer);
    let seen = server_sees_ssl(server, &app);
    assert!(!seen.is_empty() && seen.iter().all(|&ssl| !ssl), "{seen:?}");
}

#[test]
fn require_against_a_server_without_tls_is_refused_with_the_fix() {
    let server = support::server();
    let dbname = server.create_database("require_plain");
    for mode in ["require", "verify-full"] {
        let text = refused(&format!("{}?sslmode={mode}", server.url(&dbname)));
        assert!(
            text.contains(&format!("over TLS (sslmode={mode})")),
            "{text}"
        );
        assert!(text.contains("sslrootcert=/path/ca.pem"), "{text}");
        assert!(
            text.contains(&format!("127.0.0.1:{}", server.port())),
            "{text}"
        );
    }
}

#[test]
fn no_password_goes_to_another_machine_in_plain_text() {
    // `db.example` names another machine; hostaddr sends the connection to
    // the plain test server on 127.0.0.1 instead, so that a missing refusal
    // would be seen to connect rather than to leave this machine.
    let server = support::server();
    let dbname = server.create_database("plain_password");
    let at = |auth: &str, mode: &str| {
        format!(
            "postgresql://postgres{auth}@db.example:{}/{dbname}?hostaddr=127.0.0.1&sslmode={mode}",
            server.port()
        )
    };
    for mode in ["disable", "prefer"] {
        let text = refused(&at(&format!(":{PASSWORD}"), mode));
        assert!(text.contains("refusing to send the password"), "{text}");
        assert!(text.contains(&format!("sslmode={mode}")), "{text}");
    }
    // The operator's explicit choice without a password still works.
    let app = unique_app("disable_trust");
    let store = connects(&format!("{}&application_name={app}", at("", "disable")));
    assert_eq!(store.ssl_mode(), SslMode::Disable);
    let seen = server_sees_ssl(server, &app);
    assert!(!seen.is_empty() && seen.iter().all(|&ssl| !ssl), "{seen:?}");
}
