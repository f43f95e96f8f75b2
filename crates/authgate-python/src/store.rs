//! `Store`: a handle on a config file or on dict-mode credentials.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use authgate::store::{self, DocStore, OpenOptions, StoreLocation};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert;
use crate::errors::IntoPyResult;

/// A store of users and sessions, shared by every `Authenticate` in the process.
#[pyclass(module = "authgate._core", frozen)]
pub struct Store {
    pub(crate) inner: Arc<dyn store::Store>,
    /// The same store when it is a config document (file or dict mode).
    doc: Option<Arc<DocStore>>,
}

impl Store {
    fn from_doc(doc: Arc<DocStore>) -> Self {
        Store {
            inner: doc.clone(),
            doc: Some(doc),
        }
    }

    fn doc(&self, what: &str) -> PyResult<&Arc<DocStore>> {
        self.doc.as_ref().ok_or_else(|| {
            pyo3::exceptions::PyTypeError::new_err(format!(
                "{what} is only available for config.yaml and dict-mode stores"
            ))
        })
    }
}

/// The options for opening a config file; `None` keeps the core's default
/// lock timeout.
fn open_options(lock_timeout: Option<f64>) -> PyResult<OpenOptions> {
    let mut options = OpenOptions::default();
    if let Some(seconds) = lock_timeout {
        options.lock_timeout = Duration::try_from_secs_f64(seconds).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err("lock_timeout must be a positive number")
        })?;
    }
    Ok(options)
}

#[pymethods]
impl Store {
    /// Opens (or reuses) the store of a config file.
    #[staticmethod]
    #[pyo3(signature = (path, lock_timeout = None))]
    fn open(py: Python<'_>, path: PathBuf, lock_timeout: Option<f64>) -> PyResult<Self> {
        let options = open_options(lock_timeout)?;
        let doc = py.detach(|| store::open(&path, options)).py_err()?;
        Ok(Store::from_doc(doc))
    }

    /// Opens (or reuses) the store `source` names: `sqlite:///path.db`,
    /// `postgresql://…`, or the path of a config.yaml (the core decides
    /// which, see [`StoreLocation::parse`]). `lock_timeout` applies to a
    /// config file.
    #[staticmethod]
    #[pyo3(signature = (source, lock_timeout = None))]
    fn open_url(py: Python<'_>, source: &str, lock_timeout: Option<f64>) -> PyResult<Self> {
        let options = open_options(lock_timeout)?;
        match StoreLocation::parse(source).py_err()? {
            // A config file keeps its `DocStore` handle (`to_yaml`, `loads`, `path`).
            StoreLocation::ConfigFile(path) => {
                let doc = py.detach(|| store::open(&path, options)).py_err()?;
                Ok(Store::from_doc(doc))
            }
            database => {
                let inner = py.detach(|| database.open(options)).py_err()?;
                Ok(Store { inner, doc: None })
            }
        }
    }

    /// Copies a config.yaml text (users, settings, pre-authorized emails and
    /// authgate's state) into the empty database named by `url`; returns the
    /// number of users.
    #[staticmethod]
    fn import_config(py: Python<'_>, url: &str, yaml_text: &str) -> PyResult<usize> {
        py.detach(|| {
            let origin = std::path::Path::new("<import>");
            let value = authgate::yaml::parse(yaml_text, origin)?;
            let doc = authgate::store::document::Document::from_value(
                value,
                authgate::store::document::Layout::Config,
                origin,
            )?;
            store::import_into(url, &doc)
        })
        .py_err()
    }

    /// A new store over dict-mode `credentials`, its state in memory.
    /// Keep it for the app's next runs and hand it each new dict with
    /// [`Store::replace_credentials`].
    #[staticmethod]
    fn in_memory(credentials: &Bound<'_, PyAny>) -> PyResult<Self> {
        let value = convert::from_py(credentials)?;
        let doc = DocStore::in_memory(value).py_err()?;
        Ok(Store::from_doc(Arc::new(doc)))
    }

    /// Takes a new dict of a dict-mode store; returns the users whose
    /// entries in it are out of date (copy their `user_record` back).
    fn replace_credentials(
        &self,
        py: Python<'_>,
        credentials: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<String>> {
        let doc = self.doc("replace_credentials")?;
        if doc.path().is_some() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "replace_credentials is only available for dict-mode stores",
            ));
        }
        let value = convert::from_py(credentials)?;
        py.detach(|| doc.replace_credentials(value)).py_err()
    }

    /// The config file's path, or `None` in dict mode.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.doc.as_ref().and_then(|d| d.path()).map(PathBuf::from)
    }

    /// How many times the file was parsed in this process: once, plus once
    /// per change on disk.
    #[getter]
    fn loads(&self) -> PyResult<u64> {
        Ok(self.doc("loads")?.loads())
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

    /// The cookie name, key, expiry days and API key an app runs with over
    /// this store, given what it passed (`authgate::cookie_settings`).
    #[pyo3(signature = (name, key, expiry_days, api_key=None))]
    fn cookie_settings(
        &self,
        py: Python<'_>,
        name: &str,
        key: &str,
        expiry_days: f64,
        api_key: Option<&str>,
    ) -> PyResult<(String, String, f64, Option<String>)> {
        let given = authgate::cookie_settings::Given {
            name,
            key,
            expiry_days,
            api_key,
        };
        let s = py
            .detach(|| authgate::cookie_settings::resolve(self.inner.as_ref(), &given))
            .py_err()?;
        Ok((s.name, s.key, s.expiry_days, s.api_key))
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

    /// The cookie key this store generated and keeps for itself (created
    /// on first use), for a config or database whose settings name none.
    fn generated_cookie_key(&self, py: Python<'_>) -> PyResult<String> {
        py.detach(|| self.inner.generated_cookie_key()).py_err()
    }

    /// How many stored passwords are still plaintext.
    fn plaintext_count(&self, py: Python<'_>) -> PyResult<usize> {
        py.detach(|| self.inner.plaintext_passwords().map(|p| p.len()))
            .py_err()
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
        py.detach(|| authgate::auto_hash::hash_in_background(&self.inner))
            .py_err()
    }

    /// The document as YAML, as it would be written.
    fn to_yaml(&self, py: Python<'_>) -> PyResult<String> {
        let doc = self.doc("to_yaml")?;
        py.detach(|| doc.to_yaml()).py_err()
    }

    fn __repr__(&self) -> String {
        match &self.doc {
            Some(doc) => format!("Store({})", doc.origin().display()),
            None => format!("Store({:?})", self.inner),
        }
    }
}
