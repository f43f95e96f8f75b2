//! Python objects to and from [`authgate::yaml::Value`] (dict mode, records).

use authgate::yaml::{Map, Value};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

const MAX_DEPTH: usize = 64;

/// Converts a Python value made of dicts, lists, strings, numbers, booleans
/// and `None` (what PyYAML's SafeLoader produces) into a [`Value`].
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    from_py_at(obj, 0)
}

fn from_py_at(obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(PyTypeError::new_err("credentials are nested too deeply"));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(i) = obj.cast::<PyInt>() {
        return Ok(match i.extract::<i64>() {
            Ok(v) => Value::Int(v),
            Err(_) => Value::Str(i.str()?.to_string()),
        });
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Ok(Value::Float(f.value()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::Str(s.to_str()?.to_string()));
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in d.iter() {
            map.insert(from_py_at(&k, depth + 1)?, from_py_at(&v, depth + 1)?);
        }
        return Ok(Value::Map(map));
    }
    if let Ok(l) = obj.cast::<PyList>() {
        return l
            .iter()
            .map(|v| from_py_at(&v, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Seq);
    }
    if let Ok(t) = obj.cast::<PyTuple>() {
        return t
            .iter()
            .map(|v| from_py_at(&v, depth + 1))
            .collect::<PyResult<_>>()
            .map(Value::Seq);
    }
    // Dates and the like: keep their text, as a YAML timestamp would be.
    let type_name = obj.get_type().name()?.to_string();
    if type_name == "date" || type_name == "datetime" {
        return Ok(Value::Timestamp(obj.str()?.to_string()));
    }
    Err(PyTypeError::new_err(format!(
        "credentials may hold dicts, lists, strings, numbers, booleans and None; found {type_name}"
    )))
}

/// Converts a [`Value`] into plain Python objects.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Int(i) => i.into_pyobject(py)?.into_any(),
        Value::Float(f) => f.into_pyobject(py)?.into_any(),
        Value::Str(s) | Value::Timestamp(s) => PyString::new(py, s).into_any(),
        Value::Seq(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Map(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map.iter() {
                dict.set_item(to_py(py, k)?, to_py(py, v)?)?;
            }
            dict.into_any()
        }
        #[allow(unreachable_patterns)]
        other => PyString::new(py, &authgate::yaml::emit(other)).into_any(),
    })
}
