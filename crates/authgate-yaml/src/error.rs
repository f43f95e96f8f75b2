//! The one error the loader returns: where the text stopped making sense
//! to PyYAML's `SafeLoader`, and why.
//!
//! Everything `parse` refuses (bad syntax, unknown tags, values invalid for
//! their tag, bombs) is reported the same way, with the file and a 1-based
//! position, because a person fixing a config file needs nothing more. The
//! authgate core turns it into its own `Error::YamlSyntax`.

use std::path::PathBuf;

/// The YAML text could not be loaded; line and column are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: YAML syntax error at line {line}, column {column}: {message}", path.display())]
pub struct SyntaxError {
    /// The `origin` given to [`parse`](crate::parse) (`<dict>` in dict mode).
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong, in PyYAML's terms where it has them.
    pub message: String,
}

/// The loader's result.
pub(crate) type Result<T> = std::result::Result<T, SyntaxError>;
