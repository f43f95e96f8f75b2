//! `authgate hash`: bcrypt hashes for config files written by hand.

use authgate::password;
use clap::Args;

use crate::failure::CliResult;
use crate::input;
use crate::output::{outln, Out};

/// Print a bcrypt hash for each password.
///
/// With no arguments, passwords are read one per line from standard input,
/// or prompted for without echo on a terminal. Passwords given as arguments
/// are visible to other users of the machine: prefer stdin.
#[derive(Debug, Args)]
pub struct HashArgs {
    /// Passwords to hash.
    passwords: Vec<String>,
}

/// Hashes on every core and prints one hash per line, in input order.
pub fn run(args: HashArgs) -> CliResult {
    let passwords = if args.passwords.is_empty() {
        input::passwords_to_hash()?
    } else {
        args.passwords
    };
    let refs: Vec<&str> = passwords.iter().map(String::as_str).collect();
    let mut out = Out::new();
    for hash in password::hash_many(&refs) {
        outln!(out, "{}", hash?)?;
    }
    Ok(())
}
