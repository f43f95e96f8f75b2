//! Reading passwords: prompted for without echo on a terminal, otherwise
//! read from standard input. A password is never an argument of a command
//! that stores it (other users of the machine can see arguments), and never
//! appears in a message.

use std::io::{BufRead, IsTerminal};

use crate::failure::{CliResult, Failure};

/// The prompts for a password: what it is, and the request to repeat it.
type Prompts = (&'static str, &'static str);

const PASSWORD: Prompts = ("Password: ", "Repeat password: ");
const SMTP_PASSWORD: Prompts = ("SMTP password: ", "Repeat SMTP password: ");

/// Asks twice without echo; refuses a mismatch.
fn prompt_twice((ask, repeat): Prompts) -> CliResult<String> {
    let terminal = |e: std::io::Error| Failure::io(format!("<terminal>: {e}"));
    let first = rpassword::prompt_password(ask).map_err(terminal)?;
    let again = rpassword::prompt_password(repeat).map_err(terminal)?;
    if first != again {
        return Err(Failure::invalid("passwords do not match"));
    }
    Ok(first)
}

/// The non-empty lines of standard input, without their line endings.
fn stdin_lines() -> CliResult<Vec<String>> {
    let mut lines = Vec::new();
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| Failure::io(format!("<stdin>: {e}")))?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        if !line.is_empty() {
            lines.push(line.to_string());
        }
    }
    Ok(lines)
}

/// Passwords for `authgate hash`: one prompted for on a terminal, otherwise
/// every non-empty line of standard input.
pub fn passwords_to_hash() -> CliResult<Vec<String>> {
    if std::io::stdin().is_terminal() {
        return Ok(vec![prompt_twice(PASSWORD)?]);
    }
    let lines = stdin_lines()?;
    if lines.is_empty() {
        return Err(Failure::invalid("no password given on standard input"));
    }
    Ok(lines)
}

/// One new password: prompted for on a terminal unless `from_stdin`,
/// otherwise the first line of standard input.
pub fn new_password(from_stdin: bool) -> CliResult<String> {
    one_password(PASSWORD, from_stdin)
}

/// The password of an SMTP account, read as [`new_password`] reads one.
pub fn smtp_password(from_stdin: bool) -> CliResult<String> {
    one_password(SMTP_PASSWORD, from_stdin)
}

fn one_password(prompts: Prompts, from_stdin: bool) -> CliResult<String> {
    let password = if !from_stdin && std::io::stdin().is_terminal() {
        prompt_twice(prompts)?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::io(format!("<stdin>: {e}")))?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        line.strip_suffix('\r').unwrap_or(line).to_string()
    };
    if password.is_empty() {
        return Err(Failure::invalid(
            "no password given: type one at the prompt or pipe it to --password-stdin",
        ));
    }
    Ok(password)
}
