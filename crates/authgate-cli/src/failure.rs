//! Why a command failed, and the exit code that says so.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | invalid input or config, or a refused operation (the user exists or is not found, a migration target holds other data, the mail server refused the login or the message) |
//! | 2 | usage error (reported by clap before any command runs) |
//! | 3 | I/O, database or lock error (a file missing or unwritable, a database or mail server unreachable, a lock not released in time) |
//!
//! Messages come from [`authgate::Error`], whose messages never hold a
//! password, a hash or a key, or are written here with the same care.

use std::io::Write;
use std::process::ExitCode;

/// The exit codes, as `authgate --help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  invalid input or config, or a refused operation (user exists, user not
     found, migration target holds other data, mail refused by the server)
  2  usage error
  3  I/O, database or lock error (file missing or unwritable, database or
     mail server unreachable, lock timeout)";

/// The result of a command.
pub type CliResult<T = ()> = Result<T, Failure>;

/// What went wrong, as the operator is told it.
#[derive(Debug)]
pub enum Failure {
    /// Invalid input or config, or a refused operation: exit 1.
    Invalid(String),
    /// An I/O, database or lock error: exit 3.
    Io(String),
    /// Standard output was closed by its reader (`authgate … | head`): the
    /// reader has what it wanted, so this ends the command quietly.
    OutputClosed,
}

impl Failure {
    /// A refused input or operation (exit 1).
    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::Invalid(message.into())
    }

    /// An I/O or database failure (exit 3).
    pub fn io(message: impl Into<String>) -> Self {
        Failure::Io(message.into())
    }

    /// A failure to write to standard output.
    pub fn stdout(e: &std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Failure::OutputClosed
        } else {
            Failure::io(format!("<stdout>: {e}"))
        }
    }

    /// Prints the message on standard error and returns the exit code.
    pub fn report(self) -> ExitCode {
        let (message, code) = match self {
            Failure::Invalid(message) => (message, 1),
            Failure::Io(message) => (message, 3),
            Failure::OutputClosed => return ExitCode::SUCCESS,
        };
        // Nothing better can be done if standard error is closed too.
        let _ = writeln!(std::io::stderr(), "authgate: {message}");
        ExitCode::from(code)
    }
}

impl From<authgate::Error> for Failure {
    fn from(e: authgate::Error) -> Self {
        use authgate::mail::EmailFailure;
        use authgate::Error as E;
        match e {
            E::Io { .. }
            | E::ConfigNotFound(_)
            | E::LockTimeout { .. }
            | E::Database { .. }
            | E::SchemaTooNew { .. }
            | E::Email(EmailFailure::Connect(_) | EmailFailure::Timeout) => {
                Failure::Io(e.to_string())
            }
            _ => Failure::Invalid(e.to_string()),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Invalid(m) | Failure::Io(m) => f.write_str(m),
            Failure::OutputClosed => f.write_str("standard output was closed"),
        }
    }
}
