//! The bridges between Python objects and Rust I/O: bytes-like inputs, paths, Python file objects
//! as `Read`/`Seek`/`Write`, and atomic output files.

use crate::errors::{io_to_py, py_to_io};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};
use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// The bytes of a bytes-like object: a `bytes` object is borrowed without a copy (it is
/// immutable); any other object with the buffer protocol (bytearray, memoryview, array, mmap,
/// numpy arrays) is copied once into `bytes` first. (The stable ABI of CPython 3.9 and 3.10 has no
/// buffer protocol, and a mutable buffer read without the GIL and without an export lock could be
/// resized under the reader.)
pub struct InBytes {
    bytes: Py<PyBytes>,
    ptr: *const u8,
    len: usize,
}

impl InBytes {
    /// Borrows `obj`'s bytes; `TypeError` when it is not bytes-like.
    pub fn new(obj: &Bound<'_, PyAny>) -> PyResult<InBytes> {
        let bytes = match obj.cast::<PyBytes>() {
            Ok(b) => b.clone(),
            Err(_) => {
                if obj.is_instance_of::<PyString>() {
                    return Err(PyTypeError::new_err(
                        "a bytes-like object is required, not 'str'",
                    ));
                }
                // memoryview() accepts exactly the objects with the buffer protocol (TypeError
                // otherwise, naming the type); tobytes() copies any layout in C order.
                obj.py()
                    .import("builtins")?
                    .getattr("memoryview")?
                    .call1((obj,))?
                    .call_method0("tobytes")?
                    .cast_into::<PyBytes>()?
            }
        };
        let (ptr, len) = (bytes.as_bytes().as_ptr(), bytes.as_bytes().len());
        Ok(InBytes {
            bytes: bytes.unbind(),
            ptr,
            len,
        })
    }

    /// The bytes, valid while `self` lives.
    pub fn as_slice(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `ptr` and `len` are the data of the immutable bytes object `self.bytes`, which
        // `self` keeps alive (and CPython never moves an object's data); the slice borrows `self`.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The bytes object itself.
    #[allow(dead_code)]
    pub fn object(&self) -> &Py<PyBytes> {
        &self.bytes
    }
}

/// What a `file` argument is: a path, or a binary file object.
pub enum FileArg {
    Path(PathBuf),
    Object(Py<PyAny>),
}

/// True for what `open()` takes as a path: str, bytes, os.PathLike.
fn is_path(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(obj.is_instance_of::<PyString>()
        || obj.is_instance_of::<PyBytes>()
        || obj.hasattr("__fspath__")?)
}

/// A path argument (str, bytes or os.PathLike) as a `PathBuf`.
pub fn to_path(obj: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    if !is_path(obj)? {
        return Err(PyTypeError::new_err(format!(
            "expected a path (str, bytes or os.PathLike), not '{}'",
            type_name(obj)
        )));
    }
    let s = obj.py().import("os")?.call_method1("fsdecode", (obj,))?;
    s.extract::<PathBuf>()
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

impl FileArg {
    /// A path, or a file object with all the `methods` named.
    pub fn new(obj: &Bound<'_, PyAny>, methods: &[&str]) -> PyResult<FileArg> {
        if is_path(obj)? {
            return Ok(FileArg::Path(to_path(obj)?));
        }
        for m in methods {
            if !obj.hasattr(*m)? {
                return Err(PyTypeError::new_err(format!(
                    "expected a path or a binary file object with {}, not '{}' (it has no {m}())",
                    methods
                        .iter()
                        .map(|m| format!("{m}()"))
                        .collect::<Vec<_>>()
                        .join(" and "),
                    type_name(obj)
                )));
            }
        }
        Ok(FileArg::Object(obj.clone().unbind()))
    }

    /// The name `info()` reports: the path as given, a file object's `name` (or `path`, as
    /// fsspec's files have) when it is a string, `<file object>` otherwise.
    pub fn display_name(&self, py: Python<'_>) -> String {
        match self {
            FileArg::Path(p) => p.display().to_string(),
            FileArg::Object(o) => {
                let o = o.bind(py);
                for attr in ["name", "path"] {
                    if let Ok(v) = o.getattr(attr) {
                        if let Ok(s) = v.extract::<String>() {
                            return s;
                        }
                    }
                }
                "<file object>".into()
            }
        }
    }

    /// Opens the input for reading: a file, or the file object.
    pub fn open_read(self, py: Python<'_>) -> PyResult<Input> {
        match self {
            FileArg::Path(p) => {
                let f = py
                    .detach(|| File::open(&p))
                    .map_err(|e| io_to_py(py, e, None, Some(&p)))?;
                Ok(Input::File(f))
            }
            FileArg::Object(o) => Ok(Input::Py(PyFile::positional(o))),
        }
    }
}

/// A Python binary file object as `Read + Seek + Write`. Each call takes the GIL for the duration
/// of the Python method calls only; an exception they raise travels as a
/// [`crate::errors::PyCallError`].
///
/// A positional one ([`PyFile::positional`], for random access) keeps its own position and does
/// each read as `seek(pos)` + `read(n)` under one hold of the GIL, so other Python threads that
/// use the same file object meanwhile (fsspec's memory file system hands every reader the same
/// object) cannot move its position between the two.
pub struct PyFile {
    obj: Py<PyAny>,
    at: Option<u64>,
}

impl PyFile {
    /// A file object read (or written) where it stands, call after call: a stream.
    pub fn new(obj: Py<PyAny>) -> PyFile {
        PyFile { obj, at: None }
    }

    /// A file object read by position (see the type's documentation).
    pub fn positional(obj: Py<PyAny>) -> PyFile {
        PyFile { obj, at: Some(0) }
    }

    fn seek_py(f: &Bound<'_, PyAny>, offset: i128, whence: u8) -> io::Result<u64> {
        let r = f.call_method1("seek", (offset, whence)).map_err(py_to_io)?;
        // Some file objects return None from seek(): ask tell().
        let r = if r.is_none() {
            f.call_method0("tell").map_err(py_to_io)?
        } else {
            r
        };
        r.extract::<u64>().map_err(py_to_io)
    }
}

impl Read for PyFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let at = self.at;
        let n = Python::attach(|py| {
            let f = self.obj.bind(py);
            if let Some(pos) = at {
                PyFile::seek_py(f, i128::from(pos), 0)?;
            }
            let got = f.call_method1("read", (buf.len(),)).map_err(py_to_io)?;
            if got.is_none() {
                return Err(io::Error::new(
                    io::ErrorKind::WouldBlock,
                    "the file object's read() returned None (no data available)",
                ));
            }
            let mut copy = |data: &[u8]| {
                if data.len() > buf.len() {
                    return Err(io::Error::other(format!(
                        "the file object's read({}) returned {} bytes",
                        buf.len(),
                        data.len()
                    )));
                }
                buf[..data.len()].copy_from_slice(data);
                Ok(data.len())
            };
            if let Ok(b) = got.cast::<PyBytes>() {
                return copy(b.as_bytes());
            }
            if let Ok(b) = got.cast::<PyByteArray>() {
                // SAFETY: the bytearray is not touched by Python code while this copy runs (the
                // GIL is held and nothing here calls back into Python).
                return copy(unsafe { b.as_bytes() });
            }
            let data = InBytes::new(&got).map_err(py_to_io)?;
            copy(data.as_slice())
        })?;
        if let Some(pos) = self.at.as_mut() {
            *pos += n as u64;
        }
        Ok(n)
    }
}

impl Seek for PyFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let (offset, whence): (i128, u8) = match pos {
            SeekFrom::Start(p) => (i128::from(p), 0),
            SeekFrom::Current(d) => (i128::from(d), 1),
            SeekFrom::End(d) => (i128::from(d), 2),
        };
        match (self.at, pos) {
            // Positional: only the end needs the file object.
            (Some(_), SeekFrom::Start(p)) => {
                self.at = Some(p);
                Ok(p)
            }
            (Some(cur), SeekFrom::Current(d)) => {
                let p = cur.checked_add_signed(d).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidInput, "seek before the start")
                })?;
                self.at = Some(p);
                Ok(p)
            }
            (Some(_), SeekFrom::End(_)) | (None, _) => {
                let p = Python::attach(|py| PyFile::seek_py(self.obj.bind(py), offset, whence))?;
                if self.at.is_some() {
                    self.at = Some(p);
                }
                Ok(p)
            }
        }
    }
}

impl Write for PyFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Python::attach(|py| {
            let bytes = PyBytes::new(py, buf);
            let r = self
                .obj
                .bind(py)
                .call_method1("write", (bytes,))
                .map_err(py_to_io)?;
            // Raw files may write less (and say so); buffered ones return the length or None.
            if r.is_none() {
                return Ok(buf.len());
            }
            let n = r.extract::<usize>().map_err(py_to_io)?;
            Ok(n.min(buf.len()))
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        Python::attach(|py| {
            let f = self.obj.bind(py);
            if f.hasattr("flush").map_err(py_to_io)? {
                f.call_method0("flush").map_err(py_to_io)?;
            }
            Ok(())
        })
    }
}

/// A readable, seekable input: a file, or a Python file object.
pub enum Input {
    File(File),
    Py(PyFile),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Py(f) => f.read(buf),
        }
    }
}

impl Seek for Input {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        match self {
            Input::File(f) => f.seek(pos),
            Input::Py(f) => f.seek(pos),
        }
    }
}

/// Where a run's output goes: a new file renamed into place when the run succeeds (removed when
/// it fails), an existing special file (a device, a FIFO) written directly, or a Python file
/// object.
pub enum Sink {
    Atomic {
        tmp: BufWriter<tempfile::NamedTempFile>,
        target: PathBuf,
    },
    Direct(BufWriter<File>),
    Py(BufWriter<PyFile>),
}

fn output_error<'a>(
    path: &'a Path,
    op: &'static str,
) -> impl FnOnce(io::Error) -> sigmalang::Error + 'a {
    move |source| sigmalang::Error::Output {
        path: path.to_path_buf(),
        op,
        source,
    }
}

impl Sink {
    /// Output to `file`: a path (a temporary file beside it until [`Sink::commit`]) or a file
    /// object with write().
    pub fn new(py: Python<'_>, file: &Bound<'_, PyAny>) -> PyResult<Sink> {
        match FileArg::new(file, &["write"])? {
            FileArg::Path(p) => py
                .detach(|| Sink::to_path(&p))
                .map_err(|e| crate::errors::to_py(py, e)),
            FileArg::Object(o) => Ok(Sink::Py(BufWriter::with_capacity(1 << 20, PyFile::new(o)))),
        }
    }

    /// Output to the file `target`, replaced atomically if it exists.
    pub fn to_path(target: &Path) -> sigmalang::Result<Sink> {
        match std::fs::metadata(target) {
            Ok(m) if m.is_dir() => {
                return Err(output_error(target, "create")(
                    io::Error::from_raw_os_error(
                        21, // EISDIR
                    ),
                ));
            }
            Ok(m) if !m.is_file() => {
                let f = std::fs::OpenOptions::new()
                    .write(true)
                    .open(target)
                    .map_err(output_error(target, "open"))?;
                return Ok(Sink::Direct(BufWriter::with_capacity(1 << 20, f)));
            }
            _ => {}
        }
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        #[cfg(unix)]
        let perm = {
            use std::os::unix::fs::PermissionsExt;
            // 0666 less the umask, as open() creates files.
            std::fs::Permissions::from_mode(0o666)
        };
        let prefix = format!(".{name}.");
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(".sigma-tmp");
        #[cfg(unix)]
        builder.permissions(perm);
        let tmp = builder
            .tempfile_in(&dir)
            .map_err(output_error(target, "create a temporary file for"))?;
        Ok(Sink::Atomic {
            tmp: BufWriter::with_capacity(1 << 20, tmp),
            target: target.to_path_buf(),
        })
    }

    /// Flushes everything and, for a path, syncs the file and renames it into place.
    pub fn commit(self) -> sigmalang::Result<()> {
        match self {
            Sink::Atomic { tmp, target } => {
                let tmp = tmp
                    .into_inner()
                    .map_err(|e| output_error(&target, "write")(e.into_error()))?;
                tmp.as_file()
                    .sync_all()
                    .map_err(output_error(&target, "sync"))?;
                tmp.persist(&target)
                    .map_err(|e| output_error(&target, "rename the finished output to")(e.error))?;
                let dir = match target.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
                    _ => PathBuf::from("."),
                };
                // A rename survives a power loss once its directory is synced; best effort.
                if let Ok(d) = File::open(&dir) {
                    let _ = d.sync_all();
                }
                Ok(())
            }
            Sink::Direct(mut w) => w.flush().map_err(sigmalang::Error::Write),
            Sink::Py(mut w) => w.flush().map_err(sigmalang::Error::Write),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Atomic { tmp, .. } => tmp.write(buf),
            Sink::Direct(w) => w.write(buf),
            Sink::Py(w) => w.write(buf),
        }
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Atomic { tmp, .. } => tmp.write_all(buf),
            Sink::Direct(w) => w.write_all(buf),
            Sink::Py(w) => w.write_all(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Atomic { tmp, .. } => tmp.flush(),
            Sink::Direct(w) => w.flush(),
            Sink::Py(w) => w.flush(),
        }
    }
}

/// A non-negative integer argument, `ValueError` otherwise.
pub fn non_negative(name: &str, v: i128) -> PyResult<u64> {
    u64::try_from(v).map_err(|_| PyValueError::new_err(format!("{name} must be >= 0, not {v}")))
}
