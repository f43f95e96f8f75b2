//! An open store: the core's [`OpenStore`], named `Backend` here. Which
//! store a `--store`, `--from` or `--to` argument names, and whether a
//! missing one may be created ([`Create`]), is decided by the core.
//!
//! [`OpenStore`]: authgate::store::migrate::OpenStore

pub use authgate::store::migrate::{Create, OpenStore as Backend};
