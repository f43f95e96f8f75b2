//! The core's integration tests, one test binary: each file of this
//! directory is a module, named as its file was when it was a binary of its
//! own (`cargo test -p authgate --test it store_conformance::` runs one).
//! One binary links once instead of fourteen times, and its tests share
//! one PostgreSQL server (`support`) instead of starting one per binary.
//!
//! `yaml_pyyaml.rs` stays a binary of its own beside this directory.
//! Child processes are this binary re-run on one ignored test (`robust`).

/// Instantiates `$test` for one store, in module `$module`: each test
/// function takes the fixture `super::$make()` builds.
macro_rules! suite {
    ($module:ident => $make:ident; $($test:ident),* $(,)?) => {
        mod $module {
            $(
                #[test]
                fn $test() {
                    super::$test(&super::$make());
                }
            )*
        }
    };
}

/// Instantiates every listed test for every store, in modules `memory`,
/// `yaml_file`, `sqlite` and `postgres`, from the calling module's fixture
/// functions of those names.
macro_rules! every_store {
    ($($test:ident),* $(,)?) => {
        suite!(memory => memory; $($test),*);
        suite!(yaml_file => yaml_file; $($test),*);
        suite!(sqlite => sqlite; $($test),*);
        suite!(postgres => postgres; $($test),*);
    };
}

#[path = "../support/mod.rs"]
mod support;

mod robust;
mod soft_authenticator;

mod attacks;
mod bad_environment;
mod captcha;
mod concurrent_writers;
mod counting;
#[cfg(unix)]
mod file_modes;
mod kill_writers;
mod login_flow;
mod many_writers;
mod oidc_flow;
mod one_fold;
mod passkeys;
mod password_vectors;
mod postgres_tls;
mod second_factor;
mod store_conformance;
mod token_vectors;
