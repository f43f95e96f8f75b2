//! `Store`: a handle on a config file or on dict-mode credentials.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use authgate::store::{self, DocStore, OpenOptions, Store as _};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::errors::IntoPyResult;

/// A store of users and sessions, shared by every `Authenticate` in the process.
#[pyclass(module = "authgate._core", frozen)]
pub struct Store {
    pub(crate) inner: Arc<DocStore>,
}

#[pymethods]
impl Store {
    /// Opens (or reuses) the store of a config file.
    #[staticmethod]
    #[pyo3(signature = (path, lock_timeout = 10.0))]
    fn open(py: Python<'_>, path: PathBuf, lock_timeout: f64) -> PyResult<Self> {
        let options = OpenOptions {
            lock_timeout: Duration::try_from_secs_f64(lock_timeout).map_err(|_| {
                pyo3::exceptions::PyValueError::new_err("lock_timeout must be a positive number")
            })?,
        };
        let inner = py.detach(|| store::open(&path, options)).py_err()?;
        Ok(Store { inner })
    }

    /// The store for dict-mode `credentials` named `key`: its users are
    /// replaced by the dict on every call, its sessions and lockouts kept.
    #[staticmethod]
    fn in_memory(key: &str, credentials: &Bound<'_, PyAny>) -> PyResult<Self> {
        static MEMORY: OnceLock<Mutex<HashMap<String, Arc<DocStore>>>> = OnceLock::new();
        let value = convert::from_py(credentials)?;
        let registry = MEMORY.get_or_init(Default::default);
        let mut map = registry.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = map.get(key) {
            existing.replace_credentials(value).py_err()?;
            return Ok(Store {
                inner: Arc::clone(existing),
            });
        }
        let inner = Arc::new(DocStore::in_memory(value).py_err()?);
        map.insert(key.to_string(), Arc::clone(&inner));
        Ok(Store { inner })
    }

    /// The config file's path, or `None` in dict mode.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.inner.path().map(PathBuf::from)
    }

    /// How many times the file was parsed in this process: once, plus once
    /// per change on disk.
    #[getter]
    fn loads(&self) -> u64 {
        self.inner.loads()
    }

    /// `cookie` and `api_key` settings from the config.
    fn settings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = py.detach(|| self.inner.settings()).py_err()?;
        let d = PyDict::new(py);
        d.set_item("cookie_name", s.cookie_name)?;
        d.set_item("cookie_key", s.cookie_key)?;
        d.set_item("cookie_expiry_days", s.cookie_expiry_days)?;
        d.set_item("api_key", s.api_key)?;
        Ok(d)
    }

    /// The user's public fields, or `None`.
    fn user<'py>(&self, py: Python<'py>, username: &str) -> PyResult<Option<Bound<'py, PyDict>>> {
        let user = py.detach(|| self.inner.user(username)).py_err()?;
        user.map(|u| crate::auth::user_dict(py, &u)).transpose()
    }

    /// The user's whole stored record (unknown keys included), or `None`.
    fn user_record<'py>(
        &self,
        py: Python<'py>,
        username: &str,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        let record = py.detach(|| self.inner.user_record(username)).py_err()?;
        record.map(|r| convert::to_py(py, &r)).transpose()
    }

    /// Hashes every plaintext password on all cores and stores the hashes.
    fn hash_plaintext_passwords(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| authgate::auto_hash::hash_plaintext_passwords(self.inner.as_ref()))
            .py_err()
    }

    /// Starts hashing the plaintext passwords on a background thread (once per
    /// store); returns how many there are. Refuses at once if one is longer
    /// than 72 bytes.
    fn hash_plaintext_passwords_in_background(&self, py: Python<'_>) -> PyResult<usize> {
        let store: Arc<dyn authgate::store::Store> = self.inner.clone();
        py.detach(|| authgate::auto_hash::hash_in_background(&store))
            .py_err()
    }

    /// The document as YAML, as it would be written.
    fn to_yaml(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.inner.to_yaml()).py_err()
    }

    fn __repr__(&self) -> String {
        format!("Store({})", self.inner.origin().display())
    }
}
