//! TLS for PostgreSQL connections: libpq's `sslmode` and `sslrootcert`,
//! over rustls (with the *ring* provider, set per connection, never a
//! process default).
//!
//! | `sslmode` | encrypted | certificate checked |
//! |---|---|---|
//! | `disable` | no | — |
//! | `prefer` | if the server offers it | no |
//! | `require` | yes | chain only if `sslrootcert` is given (as libpq) |
//! | `verify-ca` | yes | chain |
//! | `verify-full` | yes | chain and host name |
//!
//! Without `sslmode`, a server on a loopback address or a Unix socket gets
//! `prefer`, any other `require` — or `verify-full` when `sslrootcert` is
//! given. Chains are checked against `sslrootcert` (a PEM file;
//! `sslrootcert=system`: the Mozilla roots) or else the Mozilla roots.
//!
//! tokio-postgres knows neither `verify-*` nor `sslrootcert`: both are taken
//! out of the connection string here before it is parsed.
//!
//! A password is never offered over a connection to another machine that
//! may be unencrypted (`disable`, or `prefer`): see `refuse_plain_password`.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::{Host, SslMode as WireMode};
use tokio_postgres::Config;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::percent::percent_decode;

/// libpq's `sslmode`.
///
/// | `sslmode` | encrypted | certificate checked |
/// |---|---|---|
/// | `disable` | no | — |
/// | `prefer` | if the server offers it | no |
/// | `require` | yes | chain only if `sslrootcert` is given (as libpq) |
/// | `verify-ca` | yes | chain |
/// | `verify-full` | yes | chain and host name |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    /// Never encrypt.
    Disable,
    /// Encrypt if the server offers it; no certificate check.
    Prefer,
    /// Always encrypt; the chain is checked only against a given `sslrootcert`.
    Require,
    /// Always encrypt; the chain must lead to a trusted root.
    VerifyCa,
    /// Always encrypt; the chain must lead to a trusted root and name the host.
    VerifyFull,
}

impl SslMode {
    /// libpq's name of the mode, as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    /// Whether a connection in this mode can end up in plain text.
    fn may_be_plain(self) -> bool {
        matches!(self, SslMode::Disable | SslMode::Prefer)
    }

    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" | "allow" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(format!(
                    "sslmode must be disable, prefer, require, verify-ca or verify-full, \
                     not '{other}'"
                ))
            }
        })
    }
}

/// The TLS parameters of a connection string.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(super) struct TlsParams {
    /// `sslmode`, if given.
    pub mode: Option<SslMode>,
    /// `sslrootcert`, if given (`system`: the Mozilla roots).
    pub root_cert: Option<String>,
}

/// Takes `sslmode` and `sslrootcert` out of `url` (a `postgresql://` URL or
/// a `key=value` string); returns the rest, for tokio-postgres to parse.
pub(super) fn split_tls_params(url: &str) -> Result<(String, TlsParams), String> {
    let mut params = TlsParams::default();
    let mut take = |key: &str, value: &str| -> Result<bool, String> {
        match key {
            "sslmode" => params.mode = Some(SslMode::parse(value)?),
            "sslrootcert" => params.root_cert = Some(value.to_owned()),
            "sslcert" | "sslkey" | "sslpassword" => {
                return Err(format!("{key} (client certificates) is not supported"))
            }
            _ => return Ok(false),
        }
        Ok(true)
    };
    let rest = if url.contains("://") {
        let Some((base, query)) = url.split_once('?') else {
            return Ok((url.to_owned(), params));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(&percent_decode(key), &percent_decode(value))? {
                kept.push(pair);
            }
        }
        if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        }
    } else {
        let mut kept = Vec::new();
        for token in url.split_whitespace() {
            let (key, value) = token.split_once('=').unwrap_or((token, ""));
            if !take(key.trim(), value.trim_matches('\''))? {
                kept.push(token);
            }
        }
        kept.join(" ")
    };
    Ok((rest, params))
}

/// Whether every host of `config` is this machine: a Unix socket, a
/// loopback address or `localhost`.
fn all_local(config: &Config) -> bool {
    let hosts = config.get_hosts();
    let addrs = config.get_hostaddrs();
    let host_local = |h: &Host| match h {
        Host::Tcp(name) => {
            name.eq_ignore_ascii_case("localhost")
                || name
                    .trim_matches(['[', ']'])
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        #[cfg(unix)]
        Host::Unix(_) => true,
    };
    !(hosts.is_empty() && addrs.is_empty())
        && hosts.iter().all(host_local)
        && addrs.iter().all(IpAddr::is_loopback)
}

/// How connections of one store negotiate TLS.
#[derive(Clone)]
pub(super) struct Tls {
    /// The mode in force (the given one, or the default for the hosts).
    pub mode: SslMode,
    /// The rustls connector; `None` for `disable`.
    pub connector: Option<MakeRustlsConnect>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").field("mode", &self.mode).finish()
    }
}

/// Sets `config`'s wire-level mode from `params` and builds the connector.
pub(super) fn configure(params: &TlsParams, config: &mut Config) -> Result<Tls, String> {
    let roots = params.root_cert.as_deref();
    let mode = match params.mode {
        Some(mode) => mode,
        None if all_local(config) => SslMode::Prefer,
        None if roots.is_some() => SslMode::VerifyFull,
        None => SslMode::Require,
    };
    refuse_plain_password(mode, config)?;
    config.ssl_mode(match mode {
        SslMode::Disable => WireMode::Disable,
        SslMode::Prefer => WireMode::Prefer,
        _ => WireMode::Require,
    });
    let connector = match mode {
        SslMode::Disable => None,
        SslMode::Prefer => Some(client_config(Check::Nothing)?),
        SslMode::Require if roots.is_none() => Some(client_config(Check::Nothing)?),
        SslMode::Require | SslMode::VerifyCa => {
            Some(client_config(Check::Chain(root_store(roots)?))?)
        }
        SslMode::VerifyFull => Some(client_config(Check::ChainAndName(root_store(roots)?))?),
    };
    Ok(Tls {
        mode,
        connector: connector.map(MakeRustlsConnect::new),
    })
}

/// Refuses a password that could cross the network in plain text: `mode`
/// may end unencrypted (`disable`, or `prefer` when the server — or whoever
/// answers in its place — declines TLS) and a host is another machine.
///
/// Over plain text, whoever is on the path can answer as the server and ask
/// for the password in clear (`AuthenticationCleartextPassword`), and
/// tokio-postgres sends it: it has no switch that allows only SCRAM (its
/// `channel_binding=require` needs TLS). So the password is not offered at
/// all; a server that asks for none (`trust`) is still reachable so.
fn refuse_plain_password(mode: SslMode, config: &Config) -> Result<(), String> {
    let has_password = config.get_password().is_some_and(|p| !p.is_empty());
    if !(mode.may_be_plain() && has_password) || all_local(config) {
        return Ok(());
    }
    Err(format!(
        "refusing to send the password to a server on another machine over a \
         connection that may not be encrypted (sslmode={}): use sslmode=verify-full with \
         sslrootcert=/path/ca.pem, or sslmode=require; sslmode=disable to another machine \
         works only for a server that asks for no password",
        mode.as_str()
    ))
}

/// What a connection checks of the server's certificate.
enum Check {
    Nothing,
    Chain(RootCertStore),
    ChainAndName(RootCertStore),
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn client_config(check: Check) -> Result<ClientConfig, String> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup: {e}"))?;
    let (chain, names) = match check {
        Check::Nothing => (None, false),
        Check::Chain(roots) => (Some(webpki(roots, provider.clone())?), false),
        Check::ChainAndName(roots) => (Some(webpki(roots, provider.clone())?), true),
    };
    let verifier = Arc::new(ServerCheck {
        provider,
        chain,
        names,
    });
    Ok(builder
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth())
}

fn webpki(
    roots: RootCertStore,
    provider: Arc<CryptoProvider>,
) -> Result<Arc<WebPkiServerVerifier>, String> {
    WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
        .build()
        .map_err(|e| format!("TLS setup: {e}"))
}

/// The roots of `sslrootcert` (a PEM file), or the Mozilla roots.
fn root_store(path: Option<&str>) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    match path {
        None | Some("system") => {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        Some(path) => {
            let certs = read_pem(Path::new(path))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(format!("sslrootcert {path} holds no usable CA certificate"));
            }
        }
    }
    Ok(roots)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let what =
        |e: &dyn std::fmt::Display| format!("cannot read sslrootcert {}: {e}", path.display());
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| what(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| what(&e))?;
    if certs.is_empty() {
        return Err(format!(
            "sslrootcert {} holds no PEM certificate",
            PathBuf::from(path).display()
        ));
    }
    Ok(certs)
}

/// Checks a server's certificate as the mode asks: `chain` `None` for
/// `prefer` and `require` without `sslrootcert` (encrypt, and check that the
/// server holds the key of the certificate it shows, but not who issued it:
/// libpq's meaning of these modes); with `chain`, that it leads to a trusted
/// root, and with `names`, that it names the host (`verify-full`).
#[derive(Debug)]
struct ServerCheck {
    provider: Arc<CryptoProvider>,
    chain: Option<Arc<WebPkiServerVerifier>>,
    names: bool,
}

impl ServerCertVerifier for ServerCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_parameters_are_taken_out_of_urls_and_strings() {
        let (rest, p) = split_tls_params(
            "postgresql://u:p@db/x?sslmode=verify-full&application_name=a&sslrootcert=%2Fca.pem",
        )
        .unwrap();
        assert_eq!(rest, "postgresql://u:p@db/x?application_name=a");
        assert_eq!(p.mode, Some(SslMode::VerifyFull));
        assert_eq!(p.root_cert.as_deref(), Some("/ca.pem"));
        let (rest, p) = split_tls_params("host=db sslmode=disable user=u").unwrap();
        assert_eq!(rest, "host=db user=u");
        assert_eq!(p.mode, Some(SslMode::Disable));
        let (rest, p) = split_tls_params("postgresql://db/x").unwrap();
        assert_eq!(
            (rest.as_str(), p),
            ("postgresql://db/x", TlsParams::default())
        );
        assert!(split_tls_params("postgresql://db/x?sslmode=bogus").is_err());
        assert!(split_tls_params("postgresql://db/x?sslcert=/c.pem").is_err());
    }

    fn mode_for(url: &str) -> SslMode {
        let (rest, params) = split_tls_params(url).unwrap();
        let mut config: Config = rest.parse().unwrap();
        configure(&params, &mut config).unwrap().mode
    }

    #[test]
    fn the_default_encrypts_unless_the_server_is_this_machine() {
        assert_eq!(mode_for("postgresql://db.internal/x"), SslMode::Require);
        assert_eq!(mode_for("postgresql://127.0.0.1/x"), SslMode::Prefer);
        assert_eq!(mode_for("postgresql://localhost/x"), SslMode::Prefer);
        assert_eq!(mode_for("postgresql://[::1]/x"), SslMode::Prefer);
        assert_eq!(mode_for("host=/run/postgresql dbname=x"), SslMode::Prefer);
        assert_eq!(
            mode_for("postgresql://localhost,db.internal/x"),
            SslMode::Require
        );
        assert_eq!(
            mode_for("postgresql://db.internal/x?sslmode=disable"),
            SslMode::Disable
        );
    }

    fn configured(url: &str) -> Result<SslMode, String> {
        let (rest, params) = split_tls_params(url)?;
        let mut config: Config = rest.parse().unwrap();
        configure(&params, &mut config).map(|tls| tls.mode)
    }

    #[test]
    fn a_password_never_goes_to_another_machine_in_plain_text() {
        for url in [
            "postgresql://u:pw@db.internal/x?sslmode=disable",
            "postgresql://u:pw@db.internal/x?sslmode=prefer",
            "postgresql://u:pw@localhost,db.internal/x?sslmode=disable",
            "postgresql://u:pw@db.internal/x?hostaddr=127.0.0.1&sslmode=disable",
            "host=10.0.0.5 user=u password=pw sslmode=disable",
        ] {
            let err = configured(url).unwrap_err();
            assert!(
                err.contains("refusing to send the password"),
                "{url}: {err}"
            );
            assert!(!err.contains("pw"), "{err}");
        }
        // Encrypted, on this machine, or without a password: allowed.
        for (url, mode) in [
            ("postgresql://u:pw@db.internal/x", SslMode::Require),
            (
                "postgresql://u:pw@db.internal/x?sslmode=require",
                SslMode::Require,
            ),
            (
                "postgresql://u:pw@127.0.0.1/x?sslmode=disable",
                SslMode::Disable,
            ),
            ("postgresql://u:pw@[::1]/x?sslmode=prefer", SslMode::Prefer),
            ("host=/run/postgresql user=u password=pw", SslMode::Prefer),
            (
                "postgresql://u@db.internal/x?sslmode=disable",
                SslMode::Disable,
            ),
            (
                "postgresql://u:@db.internal/x?sslmode=disable",
                SslMode::Disable,
            ),
        ] {
            assert_eq!(configured(url), Ok(mode), "{url}");
        }
    }

    #[test]
    fn a_bad_root_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("ca.pem");
        std::fs::write(&empty, "not a certificate").unwrap();
        for path in [empty, dir.path().join("missing.pem")] {
            let url = format!("postgresql://db/x?sslrootcert={}", path.display());
            let (rest, params) = split_tls_params(&url).unwrap();
            let mut config: Config = rest.parse().unwrap();
            let err = configure(&params, &mut config).unwrap_err();
            assert!(err.contains("sslrootcert"), "{err}");
        }
    }
}
