//! The progress display of long commands, on standard error.
//!
//! Shown only when standard output is a terminal: a script that captures the
//! output (or a CI log) gets the summary line alone.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// While reading: what is being read.
const SPINNER: &str = "{spinner} {msg}";

/// While writing: how far it got.
const BAR: &str = "{msg} [{bar:30}] {human_pos}/{human_len} ({eta})";

/// A spinner while reading, then a bar while writing.
#[derive(Debug)]
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A display that is drawn only if standard output is a terminal.
    pub fn new() -> Self {
        let visible = std::io::stdout().is_terminal();
        let target = if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(style(SPINNER));
        if visible {
            bar.enable_steady_tick(Duration::from_millis(100));
        }
        Progress { bar }
    }
}

/// The core reports how a migration goes; this draws it.
impl authgate::store::migrate::Progress for Progress {
    /// Shows what is being done, with a spinner.
    fn status(&self, message: &str) {
        self.bar.set_message(message.to_string());
    }

    /// Switches to a bar of `total` steps.
    fn start(&self, total: usize, message: &str) {
        self.bar.set_style(style(BAR));
        self.bar.set_length(to_u64(total));
        self.bar.set_position(0);
        self.bar.set_message(message.to_string());
    }

    /// Counts `n` more steps done.
    fn advance(&self, n: usize) {
        self.bar.inc(to_u64(n));
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

fn to_u64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

/// The style of `template`; the default bar if it does not parse (it is a
/// constant, so that would be a bug caught by the tests, not a user error).
fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_parse() {
        for template in [SPINNER, BAR] {
            assert!(ProgressStyle::with_template(template).is_ok(), "{template}");
        }
    }
}
