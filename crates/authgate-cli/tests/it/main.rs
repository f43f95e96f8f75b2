//! The CLI's integration tests, one test binary: each file of this
//! directory is a module, named as its file was when it was a binary of its
//! own (`cargo test -p authgate-cli --test it migrate::` runs one). They
//! run the built `authgate` command (`common`) and share one PostgreSQL
//! server, started by the core's test harness (`support`).

#[path = "../../../authgate/tests/support/mod.rs"]
mod support;

mod common;

mod cli;
mod migrate;
mod settings;
mod two_factor;
mod users;
