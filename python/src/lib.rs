//! `sigmalang._native`: the Python binding of the ΣLANG library (PyO3, abi3 for CPython ≥ 3.9).
//!
//! Every function releases the GIL around the library's work. Where that work reads or writes a
//! Python file object (a `Read`/`Seek`/`Write` adapter, [`io::PyFile`]), the GIL is taken again
//! for each call into the file object only. The Python-level API, `open()` and the fsspec
//! registration live in `python/sigmalang/__init__.py`; the stubs in `_native.pyi`.

mod errors;
mod io;
mod reader;
mod writer;

use crate::errors::{detached, io_to_py, to_py};
use crate::io::{non_negative, FileArg, InBytes, Input, PyFile, Sink};
use crate::reader::PyReader;
use crate::writer::PyWriter;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use sigmalang::format::{Index, SEGMENT_HEADER_LEN};
use sigmalang::{Options, SegmentSize, Source, Stats};
use std::cell::RefCell;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Reads of Python file objects are buffered this much (streams, parts).
const PY_READ_BUFFER: usize = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Options

/// A segment size as Python gives it: None (the level's default), "auto", an int, or a size with
/// a binary unit as the command line takes it ("64K", "4M", "4MiB").
fn segment_size_arg(arg: Option<&Bound<'_, PyAny>>) -> PyResult<SegmentSize> {
    let Some(arg) = arg.filter(|a| !a.is_none()) else {
        return Ok(SegmentSize::Level);
    };
    let bytes: u64 = if let Ok(s) = arg.cast::<PyString>() {
        let s = s.to_cow()?.trim().to_string();
        if s.eq_ignore_ascii_case("auto") {
            return Ok(SegmentSize::Auto);
        }
        parse_size(&s).ok_or_else(|| {
            PyValueError::new_err(format!(
                "segment_size {s:?} is not a size (examples: 65536, \"64K\", \"4M\", \"auto\"; \
                 units are binary, 1K = 1024)"
            ))
        })?
    } else if arg.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "segment_size must be an int, a str or None",
        ));
    } else {
        let v: i128 = arg
            .extract()
            .map_err(|_| PyTypeError::new_err("segment_size must be an int, a str or None"))?;
        non_negative("segment_size", v)?
    };
    let (lo, hi) = (
        sigmalang::format::MIN_SEGMENT_SIZE,
        sigmalang::format::MAX_SEGMENT_SIZE,
    );
    if bytes < u64::from(lo) || bytes > u64::from(hi) {
        return Err(PyValueError::new_err(format!(
            "segment_size {bytes} is outside {lo}..={hi} bytes"
        )));
    }
    Ok(SegmentSize::Fixed(bytes as u32))
}

/// "4M" → 4 MiB; units as the command line's (binary).
fn parse_size(s: &str) -> Option<u64> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return None,
    };
    num.parse::<u64>().ok()?.checked_mul(1 << shift)
}

/// Library options from the Python arguments, checked (`ValueError` when out of range).
fn options(
    py: Python<'_>,
    level: i128,
    threads: i128,
    segment_size: Option<&Bound<'_, PyAny>>,
) -> PyResult<Options> {
    let lv = u8::try_from(level).map_err(|_| {
        PyValueError::new_err(format!(
            "level {level} outside {}..={}",
            sigmalang::codec::MIN_LEVEL,
            sigmalang::codec::MAX_LEVEL
        ))
    })?;
    let threads = usize::try_from(threads)
        .map_err(|_| PyValueError::new_err(format!("threads must be >= 0, not {threads}")))?;
    let opts = Options::new()
        .level(lv)
        .threads(threads)
        .segment_size_policy(segment_size_arg(segment_size)?);
    opts.validate().map_err(|e| to_py(py, e))?;
    Ok(opts)
}

/// `opts` with "auto" resolved for an input of `len` bytes (what `sigma encode` does for a file).
fn for_length(opts: Options, len: u64) -> Options {
    let seg = opts.resolved_segment_size(Some(len));
    opts.segment_size(seg)
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// A run's statistics as a dict: bytes_in, bytes_out, segments, threads, wall_s, ratio (raw over
/// encoded bytes), segment_size, stored_segments.
fn stats_dict<'py>(
    py: Python<'py>,
    s: &Stats,
    raw: u64,
    encoded: u64,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("bytes_in", s.bytes_in)?;
    d.set_item("bytes_out", s.bytes_out)?;
    d.set_item("segments", s.segments)?;
    d.set_item("threads", s.threads)?;
    d.set_item("wall_s", s.wall.as_secs_f64())?;
    d.set_item(
        "ratio",
        if encoded == 0 {
            0.0
        } else {
            raw as f64 / encoded as f64
        },
    )?;
    d.set_item("segment_size", s.segment_size)?;
    d.set_item("stored_segments", s.stored_segments)?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// One-shot functions

/// compress(data, level=3, threads=0, segment_size=None) -> bytes
///
/// Encodes ``data`` (any bytes-like object) into a ΣLANG stream: the same bytes as
/// ``sigma encode`` with these options. ``level`` 1 (fastest) .. 9 (smallest); ``threads`` 0 =
/// one per core (the output never depends on it); ``segment_size`` None = the level's default
/// (4 MiB, 16 MiB at levels 8-9), an int or a size such as "64K"/"4M" (4 KiB .. 256 MiB), or
/// "auto" (chosen from ``len(data)``, as ``sigma encode --segment-size auto`` does for a file).
#[pyfunction]
#[pyo3(signature = (data, level = 3, threads = 0, segment_size = None))]
fn compress<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    level: i128,
    threads: i128,
    segment_size: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = InBytes::new(data)?;
    let input = data.as_slice();
    let opts = for_length(
        options(py, level, threads, segment_size)?,
        input.len() as u64,
    );
    let out = detached(py, || {
        let mut out = Vec::new();
        let mut r = input;
        sigmalang::encode(Source::Reader(&mut r), &mut out, &opts, None)?;
        Ok(out)
    })?;
    Ok(PyBytes::new(py, &out))
}

/// decompress(data, threads=0) -> bytes
///
/// Decodes a ΣLANG stream (several streams back to back decode to their concatenation), verifying
/// every checksum, the index and the footer. Raises CorruptError (TruncatedError when it is cut
/// short) naming the segment and the encoded byte offset of the damage.
#[pyfunction]
#[pyo3(signature = (data, threads = 0))]
fn decompress<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    threads: i128,
) -> PyResult<Bound<'py, PyBytes>> {
    let data = InBytes::new(data)?;
    let input = data.as_slice();
    let opts = options(py, 3, threads, None)?;
    let out = detached(py, || {
        let mut out = Vec::new();
        let mut r = input;
        sigmalang::decode(Source::Reader(&mut r), &mut out, &opts, None)?;
        Ok(out)
    })?;
    Ok(PyBytes::new(py, &out))
}

/// Opens the file at `path` for reading, an `OSError` naming it otherwise.
fn open_path(py: Python<'_>, path: &std::path::Path) -> PyResult<File> {
    py.detach(|| File::open(path))
        .map_err(|e| io_to_py(py, e, None, Some(path)))
}

/// encode_file(src, dst, level=3, threads=0, segment_size=None) -> dict
///
/// Encodes the file ``src`` into ``dst`` (paths), as ``sigma encode``: workers read their own
/// segments, and ``dst`` is written to a temporary file beside it and renamed into place only when
/// the run succeeded (an existing ``dst`` is replaced). Returns the run's statistics: bytes_in,
/// bytes_out, segments, threads, wall_s, ratio (raw / encoded), segment_size, stored_segments.
#[pyfunction]
#[pyo3(signature = (src, dst, level = 3, threads = 0, segment_size = None))]
fn encode_file<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    dst: &Bound<'py, PyAny>,
    level: i128,
    threads: i128,
    segment_size: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let (src, dst) = (io::to_path(src)?, io::to_path(dst)?);
    let opts = options(py, level, threads, segment_size)?;
    drop(open_path(py, &src)?);
    let s = detached(py, || sigmalang::encode_file(&src, &dst, &opts))?;
    stats_dict(py, &s, s.bytes_in, s.bytes_out)
}

/// decode_file(src, dst, threads=0) -> dict
///
/// Decodes the ΣLANG file ``src`` into ``dst`` (paths) through its index, verifying everything;
/// ``dst`` is replaced atomically, and nothing is left under its name when the run fails. Returns
/// the run's statistics (bytes_in = encoded bytes, bytes_out = raw bytes).
#[pyfunction]
#[pyo3(signature = (src, dst, threads = 0))]
fn decode_file<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    dst: &Bound<'py, PyAny>,
    threads: i128,
) -> PyResult<Bound<'py, PyDict>> {
    let (src, dst) = (io::to_path(src)?, io::to_path(dst)?);
    let opts = options(py, 3, threads, None)?;
    drop(open_path(py, &src)?);
    let s = detached(py, || sigmalang::decode_file(&src, &dst, &opts))?;
    stats_dict(py, &s, s.bytes_out, s.bytes_in)
}

/// info(file) -> dict
///
/// The header, index and footer of a ΣLANG file (a path, or a binary file object with read() and
/// seek()): the keys of ``sigma info --json`` — file, format_version, level, segment_size,
/// segments, stored_segments, raw_bytes, encoded_bytes, ratio, stream_xxh3, and segment_list (per
/// segment: ordinal, raw_offset, encoded_offset, raw_len, encoded_len, stored, xxh3). Reads only
/// the header, the footer and the index.
#[pyfunction]
fn info<'py>(py: Python<'py>, file: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let arg = FileArg::new(file, &["read", "seek"])?;
    let name = arg.display_name(py);
    let input = arg.open_read(py)?;
    let idx = detached(py, move || {
        let cell = RefCell::new(input);
        let len = cell.borrow_mut().seek(SeekFrom::End(0))?;
        let read_at = |buf: &mut [u8], at: u64| -> std::io::Result<()> {
            let mut f = cell.borrow_mut();
            f.seek(SeekFrom::Start(at))?;
            f.read_exact(buf)
        };
        Index::read_at(&read_at, len)
    })?;
    let raw: u64 = idx.entries.iter().map(|e| u64::from(e.raw_len)).sum();
    let stored = idx
        .entries
        .iter()
        .filter(|e| e.enc_len == e.raw_len)
        .count();
    let d = PyDict::new(py);
    d.set_item("file", name)?;
    d.set_item("format_version", idx.header.version)?;
    d.set_item("level", idx.header.level)?;
    d.set_item("segment_size", idx.header.segment_size)?;
    d.set_item("segments", idx.entries.len())?;
    d.set_item("stored_segments", stored)?;
    d.set_item("raw_bytes", raw)?;
    d.set_item("encoded_bytes", idx.encoded_len)?;
    d.set_item(
        "ratio",
        if idx.encoded_len == 0 {
            0.0
        } else {
            raw as f64 / idx.encoded_len as f64
        },
    )?;
    d.set_item("stream_xxh3", format!("{:016x}", idx.footer.stream_hash))?;
    let list = PyList::empty(py);
    for (i, e) in idx.entries.iter().enumerate() {
        let s = PyDict::new(py);
        s.set_item("ordinal", i)?;
        s.set_item("raw_offset", e.raw_offset)?;
        s.set_item("encoded_offset", e.enc_offset)?;
        s.set_item("raw_len", e.raw_len)?;
        s.set_item("encoded_len", e.enc_len + SEGMENT_HEADER_LEN as u32)?;
        s.set_item("stored", e.enc_len == e.raw_len)?;
        s.set_item("xxh3", format!("{:016x}", e.raw_hash))?;
        list.append(s)?;
    }
    d.set_item("segment_list", list)?;
    Ok(d)
}

/// verify(file, threads=0) -> dict
///
/// Checks every checksum and the structure of a ΣLANG file (a path: through its index, segments
/// in parallel; a binary file object: read front to back, from its start when it can seek), as
/// ``sigma verify``. Raises
/// CorruptError/TruncatedError on damage; returns the run's statistics (bytes_in = encoded bytes,
/// bytes_out = raw bytes) with ``ok`` True.
#[pyfunction]
#[pyo3(signature = (file, threads = 0))]
fn verify<'py>(
    py: Python<'py>,
    file: &Bound<'py, PyAny>,
    threads: i128,
) -> PyResult<Bound<'py, PyDict>> {
    let opts = options(py, 3, threads, None)?;
    let s = match FileArg::new(file, &["read"])? {
        FileArg::Path(p) => {
            let f = open_path(py, &p)?;
            detached(py, || {
                sigmalang::decode(Source::File(&f), &mut std::io::sink(), &opts, None)
            })?
        }
        FileArg::Object(o) => {
            // From the start of the file when it can seek (info() and Reader read it by position
            // too); from where it is otherwise (a pipe).
            let f = o.bind(py);
            let seekable = f.hasattr("seek")?
                && match f.call_method0("seekable") {
                    Ok(v) => v.is_truthy()?,
                    Err(_) => true,
                };
            if seekable {
                f.call_method1("seek", (0,))?;
            }
            let mut r = BufReader::with_capacity(PY_READ_BUFFER, PyFile::new(o));
            detached(py, || {
                sigmalang::decode(Source::Reader(&mut r), &mut std::io::sink(), &opts, None)
            })?
        }
    };
    let d = stats_dict(py, &s, s.bytes_out, s.bytes_in)?;
    d.set_item("ok", true)?;
    Ok(d)
}

/// read_range(file, start, end) -> bytes
///
/// Bytes ``start:end`` of the original data of a ΣLANG file (a path, or a binary file object with
/// read() and seek(), such as an fsspec file: it is read with seek + read), decoding only the
/// segments that cover them. ``end`` is clamped to the data's end.
#[pyfunction]
fn read_range<'py>(
    py: Python<'py>,
    file: &Bound<'py, PyAny>,
    start: i128,
    end: i128,
) -> PyResult<Bound<'py, PyBytes>> {
    let (start, end) = (non_negative("start", start)?, non_negative("end", end)?);
    if start > end {
        return Err(PyValueError::new_err(format!(
            "start {start} is after end {end}"
        )));
    }
    let input = FileArg::new(file, &["read", "seek"])?.open_read(py)?;
    let out = detached(py, move || {
        let mut r = sigmalang::Reader::new(input)?;
        let end = end.min(r.len());
        let start = start.min(end);
        let mut out = Vec::with_capacity((end - start) as usize);
        r.copy_range(start, end, &mut out)?;
        Ok(out)
    })?;
    Ok(PyBytes::new(py, &out))
}

/// salvage(src, dst) -> list[tuple[int, int | None]]
///
/// Recovers every intact segment of the damaged ΣLANG file ``src`` (a path) into ``dst`` (a path,
/// written atomically, or a binary file object with write()), as ``sigma decode --salvage``:
/// recovered data at its original offsets, lost segments between recovered ones as zeros. Returns
/// the lost ranges of the original, ``(start, end)``, ``end`` None when the length of a loss is
/// unknown; an empty list when everything was recovered. Raises (writing nothing) when the file
/// cannot be salvaged at all: empty, an unknown format version, nothing recognisable in it.
#[pyfunction]
fn salvage<'py>(
    py: Python<'py>,
    src: &Bound<'py, PyAny>,
    dst: &Bound<'py, PyAny>,
) -> PyResult<Vec<(u64, Option<u64>)>> {
    let src = match FileArg::new(src, &[])? {
        FileArg::Path(p) => p,
        FileArg::Object(_) => {
            return Err(PyTypeError::new_err(
                "salvage() reads its input by position: src must be a path",
            ))
        }
    };
    let f = open_path(py, &src)?;
    let mut sink = Sink::new(py, dst)?;
    let report = detached(py, move || {
        let report = sigmalang::salvage(&f, &mut sink)?;
        sink.commit()?;
        Ok(report)
    })?;
    Ok(report.lost.iter().map(|l| (l.start, l.end)).collect())
}

// ---------------------------------------------------------------------------------------------
// Parts

/// Checks a part number: `ValueError` unless 0 <= part < parts <= MAX_PARTS.
fn part_numbers(part: i128, parts: i128) -> PyResult<(u32, u32)> {
    let max = i128::from(sigmalang::MAX_PARTS);
    if !(1..=max).contains(&parts) || !(0..parts).contains(&part) {
        return Err(PyValueError::new_err(format!(
            "part {part} of {parts}: parts are numbered 0 to parts-1, with parts from 1 to {max}"
        )));
    }
    Ok((part as u32, parts as u32))
}

/// part_range(input_len, part, parts, level=3, segment_size=None) -> tuple[int, int, int]
///
/// Which raw bytes ``start:end`` part ``part`` (0-based) of ``parts`` encodes for an input of
/// ``input_len`` bytes, and the segment size every part uses (``segment_size`` resolved for the
/// whole input: "auto" from ``input_len``). Parts are runs of whole segments, differing by at most
/// one segment (some may be empty).
#[pyfunction]
#[pyo3(signature = (input_len, part, parts, level = 3, segment_size = None))]
fn part_range<'py>(
    py: Python<'py>,
    input_len: i128,
    part: i128,
    parts: i128,
    level: i128,
    segment_size: Option<&Bound<'py, PyAny>>,
) -> PyResult<(u64, u64, u32)> {
    let len = non_negative("input_len", input_len)?;
    let (part, parts) = part_numbers(part, parts)?;
    let opts = options(py, level, 0, segment_size)?;
    let seg = opts.resolved_segment_size(Some(len));
    let (start, end) = sigmalang::part_range(len, seg, part, parts);
    Ok((start, end, seg))
}

/// encode_part(data, input_len, part, parts, level=3, segment_size=None, threads=0) -> bytes
///
/// Encodes part ``part`` of ``parts`` of an input of ``input_len`` bytes into a part file's bytes,
/// from ``data``: exactly the part's raw bytes (``input[start:end]`` for ``start, end, _ =
/// part_range(...)``). ``join`` of all the parts gives the bytes of ``compress`` of the whole
/// input with the same level and segment size.
#[pyfunction]
#[pyo3(signature = (data, input_len, part, parts, level = 3, segment_size = None, threads = 0))]
#[allow(clippy::too_many_arguments)]
fn encode_part<'py>(
    py: Python<'py>,
    data: &Bound<'py, PyAny>,
    input_len: i128,
    part: i128,
    parts: i128,
    level: i128,
    segment_size: Option<&Bound<'py, PyAny>>,
    threads: i128,
) -> PyResult<Bound<'py, PyBytes>> {
    let len = non_negative("input_len", input_len)?;
    let (part, parts) = part_numbers(part, parts)?;
    let opts = options(py, level, threads, segment_size)?;
    let seg = opts.resolved_segment_size(Some(len));
    let (start, end) = sigmalang::part_range(len, seg, part, parts);
    let data = InBytes::new(data)?;
    let input = data.as_slice();
    if input.len() as u64 != end - start {
        return Err(PyValueError::new_err(format!(
            "part {part} of {parts} of an input of {len} bytes is bytes {start}..{end} ({} bytes), \
             but data holds {} bytes",
            end - start,
            input.len()
        )));
    }
    let out = detached(py, || {
        let mut out = Vec::new();
        let mut r = input;
        sigmalang::encode_part_from_reader(&mut r, len, &mut out, &opts, part, parts)?;
        Ok(out)
    })?;
    Ok(PyBytes::new(py, &out))
}

/// join(parts, dst) -> dict
///
/// Checks a full set of part files (paths or binary file objects with read(), each read front to
/// back, in any order) and writes the stream they make to ``dst`` (a path, written atomically and
/// not at all when a part is refused, or a binary file object with write()): byte-identical to
/// ``compress`` / ``sigma encode`` of the input. A damaged, cut, missing, repeated or foreign part
/// raises CorruptError (``.part`` = its position in ``parts``). Returns the statistics (bytes_in =
/// raw bytes, bytes_out = encoded bytes).
#[pyfunction]
fn join<'py>(
    py: Python<'py>,
    parts: &Bound<'py, PyAny>,
    dst: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyDict>> {
    if parts.is_instance_of::<PyString>() || parts.is_instance_of::<PyBytes>() {
        return Err(PyTypeError::new_err(
            "parts must be a list of paths or file objects, not a single path",
        ));
    }
    let mut readers: Vec<Box<dyn Read + Send>> = Vec::new();
    for item in parts.try_iter()? {
        let item = item?;
        readers.push(match FileArg::new(&item, &["read"])? {
            FileArg::Path(p) => {
                Box::new(BufReader::with_capacity(PY_READ_BUFFER, open_path(py, &p)?))
            }
            FileArg::Object(o) => {
                Box::new(BufReader::with_capacity(PY_READ_BUFFER, PyFile::new(o)))
            }
        });
    }
    let mut sink = Sink::new(py, dst)?;
    let s = detached(py, move || {
        let mut refs: Vec<&mut dyn Read> = readers
            .iter_mut()
            .map(|r| r.as_mut() as &mut dyn Read)
            .collect();
        let stats = sigmalang::join(&mut refs, &mut sink)?;
        sink.commit()?;
        Ok(stats)
    })?;
    stats_dict(py, &s, s.bytes_in, s.bytes_out)
}

// ---------------------------------------------------------------------------------------------
// Shared by Reader and Writer

/// The guarded value, also after a panic in another thread.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The error of a call on a closed Reader or Writer.
fn closed_error(what: &str) -> PyErr {
    PyValueError::new_err(format!("I/O operation on a closed {what}"))
}

// ---------------------------------------------------------------------------------------------
// The module

/// The native part of the ``sigmalang`` package (import ``sigmalang``, which re-exports all of
/// this and adds ``open()`` and the fsspec registration).
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_LEVEL", sigmalang::codec::DEFAULT_LEVEL)?;
    m.add("MIN_LEVEL", sigmalang::codec::MIN_LEVEL)?;
    m.add("MAX_LEVEL", sigmalang::codec::MAX_LEVEL)?;
    m.add_function(wrap_pyfunction!(compress, m)?)?;
    m.add_function(wrap_pyfunction!(decompress, m)?)?;
    m.add_function(wrap_pyfunction!(encode_file, m)?)?;
    m.add_function(wrap_pyfunction!(decode_file, m)?)?;
    m.add_function(wrap_pyfunction!(info, m)?)?;
    m.add_function(wrap_pyfunction!(verify, m)?)?;
    m.add_function(wrap_pyfunction!(read_range, m)?)?;
    m.add_function(wrap_pyfunction!(salvage, m)?)?;
    m.add_function(wrap_pyfunction!(part_range, m)?)?;
    m.add_function(wrap_pyfunction!(encode_part, m)?)?;
    m.add_function(wrap_pyfunction!(join, m)?)?;
    m.add_class::<PyReader>()?;
    m.add_class::<PyWriter>()?;
    Ok(())
}
