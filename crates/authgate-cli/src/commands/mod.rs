//! One module per command; each defines its arguments (with the `--help`
//! text) and a `run` function.

pub mod audit;
pub mod check;
pub mod hash;
pub mod mail;
pub mod migrate;
pub mod settings;
pub mod users;

use clap::Args;

use crate::backend::{Backend, Create};
use crate::failure::CliResult;

/// The `--store` argument of the commands that work on one store.
#[derive(Debug, Args)]
pub struct StoreArg {
    /// The store: a config.yaml path, sqlite:///path.db or
    /// postgresql://user:password@host/dbname. Prefer AUTHGATE_STORE for a
    /// URL with a password: command lines are visible to other users.
    #[arg(
        long = "store",
        value_name = "URL_OR_PATH",
        env = "AUTHGATE_STORE",
        hide_env_values = true
    )]
    source: String,
}

impl StoreArg {
    /// Opens the store, which must exist.
    pub fn open(&self) -> CliResult<Backend> {
        Ok(Backend::open(&self.source, Create::No)?)
    }
}
