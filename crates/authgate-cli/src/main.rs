//! `authgate`: the operator's command for authgate stores.
//!
//! Exit codes: 0 success; 1 the config or store is invalid, or an input was
//! refused; 2 usage error (from clap); 3 a file could not be read or written.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use authgate::store::{DocStore, OpenOptions, Store};
use authgate::{password, Error};
use clap::{Parser, Subcommand};

/// Operate authgate stores: hash passwords, check configs.
#[derive(Debug, Parser)]
#[command(name = "authgate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print a bcrypt hash for each password.
    ///
    /// With no arguments, passwords are read one per line from standard input,
    /// or prompted for without echo on a terminal. Passwords given as
    /// arguments are visible to other users of the machine: prefer stdin.
    Hash {
        /// Passwords to hash.
        passwords: Vec<String>,
    },
    /// Check a config.yaml: syntax (with line numbers), schema and warnings.
    Check {
        /// The config file.
        config: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Hash { passwords } => hash(passwords),
        Command::Check { config } => check(&config),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("authgate: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Io { .. }
        | Error::ConfigNotFound(_)
        | Error::LockTimeout { .. }
        | Error::Database { .. } => 3,
        _ => 1,
    }
}

fn hash(mut passwords: Vec<String>) -> authgate::Result<()> {
    if passwords.is_empty() {
        passwords = read_passwords()?;
    }
    let refs: Vec<&str> = passwords.iter().map(String::as_str).collect();
    for result in password::hash_many(&refs) {
        println!("{}", result?);
    }
    Ok(())
}

fn read_passwords() -> authgate::Result<Vec<String>> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let first =
            rpassword::prompt_password("Password: ").map_err(|e| Error::io("<terminal>", e))?;
        let again = rpassword::prompt_password("Repeat password: ")
            .map_err(|e| Error::io("<terminal>", e))?;
        if first != again {
            return Err(Error::InvalidInput("passwords do not match".into()));
        }
        return Ok(vec![first]);
    }
    let mut out = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| Error::io("<stdin>", e))?;
        if !line.is_empty() {
            out.push(line);
        }
    }
    if out.is_empty() {
        return Err(Error::InvalidInput(
            "no password given on standard input".into(),
        ));
    }
    Ok(out)
}

fn check(config: &std::path::Path) -> authgate::Result<()> {
    let store = DocStore::open_file(config, OpenOptions::default())?;
    let (users, plaintext) = store.read(|d| (d.user_count(), d.plaintext_passwords().len()))?;
    let settings = store.settings()?;
    println!("{}: OK, {users} user(s)", config.display());
    if plaintext > 0 {
        println!(
            "warning: {plaintext} plaintext password(s); they are hashed when an app first opens the file"
        );
    }
    match settings.cookie_key.as_deref() {
        None => {
            println!("warning: cookie.key is missing; apps fall back to the key passed in code")
        }
        Some("some_key") => println!("warning: cookie.key is the well-known default 'some_key'"),
        Some(k) if k.len() < 16 => println!("warning: cookie.key is shorter than 16 characters"),
        Some(_) => {}
    }
    if settings.cookie_name.is_none() {
        println!("warning: cookie.name is missing");
    }
    Ok(())
}
