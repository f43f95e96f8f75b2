//! PostgreSQL over TLS against a real server that refuses plain TCP
//! (`hostssl` only), with a certificate of a throwaway CA that names
//! `localhost` (not `127.0.0.1`).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use authgate::store::postgres::SslMode;
use authgate::store::{PostgresStore, Store};
use support::{PgServer, PASSWORD};

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
