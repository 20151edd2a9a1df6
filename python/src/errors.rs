//! The exceptions of `sigmalang` and the mapping from the library's [`sigmalang::Error`].
//!
//! ```text
//! SigmaError(Exception)
//! ├── CorruptError        .segment, .offset (None when unknown), .part (join: which part file)
//! │   └── TruncatedError
//! └── MemoryLimitError    .needed, .limit (bytes)
//! ValueError              invalid options, bad arguments
//! OSError (with errno)    I/O; an exception raised by a Python file object passes through as is
//! ```

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use sigmalang::Error;
use std::io;
use std::path::Path;

create_exception!(
    sigmalang,
    SigmaError,
    PyException,
    "Base class of every error that sigmalang raises itself (not of ValueError for invalid \
     options, nor of OSError for I/O errors)."
);
create_exception!(
    sigmalang,
    CorruptError,
    SigmaError,
    "The encoded data is damaged or is not ΣLANG. Attributes: ``segment`` (the segment's ordinal) \
     and ``offset`` (the byte offset in the encoded stream where the damage was found), None when \
     unknown; ``part`` (from 0) when the damage is in one part file given to join()."
);
create_exception!(
    sigmalang,
    TruncatedError,
    CorruptError,
    "The encoded data ends too early (cut off, or a stream that was never finished). ``offset`` \
     is where it ends."
);
create_exception!(
    sigmalang,
    MemoryLimitError,
    SigmaError,
    "A run would need more memory than its limit allows, even with one segment in flight on one \
     thread. Attributes: ``needed`` and ``limit``, in bytes."
);

/// An exception raised by a Python file object while Rust code was reading or writing it, carried
/// through `std::io` unchanged so that it is re-raised as it was.
#[derive(Debug)]
pub struct PyCallError(pub PyErr);

impl std::fmt::Display for PyCallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the Python file object raised {}", self.0)
    }
}

impl std::error::Error for PyCallError {}

/// Wraps a Python exception for a `std::io` interface.
pub fn py_to_io(e: PyErr) -> io::Error {
    io::Error::other(PyCallError(e))
}

/// Python's own text for an errno (`strerror`), without Rust's " (os error N)".
fn strerror(code: i32) -> String {
    let s = io::Error::from_raw_os_error(code).to_string();
    match s.rfind(" (os error ") {
        Some(at) => s[..at].to_string(),
        None => s,
    }
}

/// An `OSError` (the subclass Python picks for the errno: FileNotFoundError, PermissionError, …)
/// with `errno`, `strerror` prefixed by `context`, and `filename` when known.
fn os_error(e: io::Error, context: Option<&str>, filename: Option<&Path>) -> PyErr {
    let Some(code) = e.raw_os_error() else {
        // No errno (an error made by Rust code): pyo3 picks the subclass from the kind.
        let msg = match context {
            Some(c) => format!("{c}: {e}"),
            None => e.to_string(),
        };
        return match e.kind() {
            io::ErrorKind::NotFound => pyo3::exceptions::PyFileNotFoundError::new_err(msg),
            io::ErrorKind::PermissionDenied => pyo3::exceptions::PyPermissionError::new_err(msg),
            io::ErrorKind::AlreadyExists => pyo3::exceptions::PyFileExistsError::new_err(msg),
            io::ErrorKind::IsADirectory => pyo3::exceptions::PyIsADirectoryError::new_err(msg),
            io::ErrorKind::Interrupted => pyo3::exceptions::PyInterruptedError::new_err(msg),
            _ => PyOSError::new_err(msg),
        };
    };
    let text = match context {
        Some(c) => format!("{c}: {}", strerror(code)),
        None => strerror(code),
    };
    match filename {
        Some(p) => PyOSError::new_err((code, text, p.as_os_str().to_os_string())),
        None => PyOSError::new_err((code, text)),
    }
}

/// Converts an I/O error: a Python exception it carries comes back as it was; a library error it
/// carries is converted as one; anything else is an `OSError`.
pub fn io_to_py(
    py: Python<'_>,
    e: io::Error,
    context: Option<&str>,
    filename: Option<&Path>,
) -> PyErr {
    let carries = |e: &io::Error| {
        e.get_ref()
            .map(|r| (r.is::<PyCallError>(), r.is::<Error>()))
            .unwrap_or((false, false))
    };
    match carries(&e) {
        (true, _) => {
            let inner = e.into_inner().expect("checked above");
            match inner.downcast::<PyCallError>() {
                Ok(c) => c.0,
                Err(other) => PyOSError::new_err(other.to_string()),
            }
        }
        (_, true) => {
            let inner = e.into_inner().expect("checked above");
            match inner.downcast::<Error>() {
                Ok(err) => to_py(py, *err),
                Err(other) => PyOSError::new_err(other.to_string()),
            }
        }
        _ => os_error(e, context, filename),
    }
}

/// An exception of class `E` with `message` and these attributes set on it.
fn with_attrs<E: pyo3::PyTypeInfo>(
    py: Python<'_>,
    message: String,
    attrs: &[(&str, Option<u64>)],
) -> PyErr {
    let err = PyErr::new::<E, _>(message);
    let value = err.value(py);
    for (name, v) in attrs {
        // Setting an attribute on a fresh exception instance cannot fail.
        let _ = value.setattr(*name, *v);
    }
    err
}

/// The Python exception for a library error (see the module documentation).
pub fn to_py(py: Python<'_>, e: Error) -> PyErr {
    let message = e.to_string();
    // A damaged part of a join: the class and position of the damage itself, the part's number.
    let mut part = None;
    let mut e = e;
    while let Error::Part { index, source } = e {
        part.get_or_insert(index as u64);
        e = *source;
    }
    let corrupt = |segment: Option<u64>, offset: Option<u64>| {
        with_attrs::<CorruptError>(
            py,
            message.clone(),
            &[("segment", segment), ("offset", offset), ("part", part)],
        )
    };
    match e {
        Error::Io(io) => io_to_py(py, io, None, None),
        Error::Write(io) => io_to_py(py, io, Some("cannot write the output"), None),
        Error::Output { path, op, source } => {
            let context = format!("cannot {op}");
            io_to_py(py, source, Some(&context), Some(&path))
        }
        Error::InvalidOption(_) => PyValueError::new_err(message),
        Error::MemoryLimit { needed, limit } => with_attrs::<MemoryLimitError>(
            py,
            message,
            &[("needed", Some(needed)), ("limit", Some(limit))],
        ),
        Error::Truncated { offset, .. } => with_attrs::<TruncatedError>(
            py,
            message,
            &[("segment", None), ("offset", Some(offset)), ("part", part)],
        ),
        Error::CorruptSegment {
            segment, offset, ..
        }
        | Error::Codec {
            segment, offset, ..
        } => corrupt(Some(segment), Some(offset)),
        Error::CorruptTrailer { offset, .. }
        | Error::TrailingData { offset }
        | Error::PartTrailingData { offset, .. } => corrupt(None, Some(offset)),
        Error::BadMagic { .. }
        | Error::UnsupportedVersion { .. }
        | Error::BadHeader { .. }
        | Error::PartSet(_) => corrupt(None, None),
        other if other.is_corrupt_input() => corrupt(None, None),
        _ => SigmaError::new_err(message),
    }
}

/// Runs library work with the GIL released and converts its error.
pub fn detached<T, F>(py: Python<'_>, f: F) -> PyResult<T>
where
    F: FnOnce() -> sigmalang::Result<T> + Send,
    T: Send,
{
    py.detach(f).map_err(|e| to_py(py, e))
}

/// Adds the exception classes to the module, with their attributes' defaults on the classes.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("SigmaError", py.get_type::<SigmaError>())?;
    m.add("CorruptError", py.get_type::<CorruptError>())?;
    m.add("TruncatedError", py.get_type::<TruncatedError>())?;
    m.add("MemoryLimitError", py.get_type::<MemoryLimitError>())?;
    let corrupt = py.get_type::<CorruptError>();
    for name in ["segment", "offset", "part"] {
        corrupt.setattr(name, py.None())?;
    }
    let memory = py.get_type::<MemoryLimitError>();
    for name in ["needed", "limit"] {
        memory.setattr(name, py.None())?;
    }
    Ok(())
}
