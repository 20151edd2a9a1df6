//! `Reader`: random access to a ΣLANG file's original bytes through its index.

use super::*;

/// Reader(file, memory_limit=None)
///
/// Random access to the original bytes of a ΣLANG file (a path, or a binary file object with
/// read() and seek(), such as an fsspec file over object storage) through its index. Opening reads
/// the header, the footer and the index; each read decodes and verifies only the segments that
/// cover it (the last one decoded is kept). A file of several streams back to back reads as their
/// concatenation. ``memory_limit`` (bytes; default: the smaller of 1 GiB and a quarter of physical
/// memory): a file whose longest segment needs more raises MemoryLimitError. Thread-safe (calls
/// are serialized); usable as a context manager.
#[pyclass(module = "sigmalang", name = "Reader", frozen)]
pub(crate) struct PyReader {
    inner: Mutex<Option<sigmalang::Reader<Input>>>,
    size: u64,
    segment_size: u32,
    segments: u64,
}

#[pymethods]
impl PyReader {
    #[new]
    #[pyo3(signature = (file, memory_limit = None))]
    fn new(py: Python<'_>, file: &Bound<'_, PyAny>, memory_limit: Option<i128>) -> PyResult<Self> {
        let limit = match memory_limit {
            Some(m) => non_negative("memory_limit", m)?,
            None => sigmalang::default_memory_limit(),
        };
        let input = FileArg::new(file, &["read", "seek"])?.open_read(py)?;
        let r = detached(py, move || {
            sigmalang::Reader::with_memory_limit(input, limit)
        })?;
        let segments = r
            .streams()
            .iter()
            .map(|(_, i)| i.entries.len() as u64)
            .sum();
        Ok(PyReader {
            size: r.len(),
            segment_size: r.index().header.segment_size,
            segments,
            inner: Mutex::new(Some(r)),
        })
    }

    /// Length of the original data, in bytes.
    #[getter]
    fn size(&self) -> u64 {
        self.size
    }

    /// Raw bytes per segment (of the first stream).
    #[getter]
    fn segment_size(&self) -> u32 {
        self.segment_size
    }

    /// Number of segments (of all streams).
    #[getter]
    fn segments(&self) -> u64 {
        self.segments
    }

    /// True once close() was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.inner).is_none())
    }

    /// read_at(pos, n) -> bytes
    ///
    /// Up to ``n`` bytes of the original from position ``pos`` (fewer at the end of the data, none
    /// at or past it), decoding only the segments that cover them.
    fn read_at<'py>(&self, py: Python<'py>, pos: i128, n: i128) -> PyResult<Bound<'py, PyBytes>> {
        let (pos, n) = (non_negative("pos", pos)?, non_negative("n", n)?);
        let size = self.size;
        let out: Option<Vec<u8>> = detached(py, || {
            let mut g = lock(&self.inner);
            let Some(r) = g.as_mut() else {
                return Ok(None);
            };
            let end = pos.saturating_add(n).min(size);
            let start = pos.min(end);
            let mut out = Vec::with_capacity((end - start) as usize);
            r.copy_range(start, end, &mut out)?;
            Ok(Some(out))
        })?;
        match out {
            Some(v) => Ok(PyBytes::new(py, &v)),
            None => Err(closed_error("Reader")),
        }
    }

    /// read1_at(pos, n) -> bytes
    ///
    /// As read_at(), but no further than the end of the segment that holds ``pos``: decodes at
    /// most one segment (none when it is the one decoded last). Returns fewer than ``n`` bytes at
    /// a segment boundary; none at or past the end of the data.
    fn read1_at<'py>(&self, py: Python<'py>, pos: i128, n: i128) -> PyResult<Bound<'py, PyBytes>> {
        let (pos, n) = (non_negative("pos", pos)?, non_negative("n", n)?);
        let size = self.size;
        let out: Option<Vec<u8>> = detached(py, || {
            let mut g = lock(&self.inner);
            let Some(r) = g.as_mut() else {
                return Ok(None);
            };
            let want = n.min(size.saturating_sub(pos)) as usize;
            let mut out = vec![0u8; want];
            if want > 0 {
                r.seek(SeekFrom::Start(pos))?;
                let got = r.read(&mut out)?;
                out.truncate(got);
            }
            Ok(Some(out))
        })?;
        match out {
            Some(v) => Ok(PyBytes::new(py, &v)),
            None => Err(closed_error("Reader")),
        }
    }

    /// Releases the input (a file opened from a path is closed; a file object given is left
    /// open). Idempotent.
    fn close(&self, py: Python<'_>) {
        let r = py.detach(|| lock(&self.inner).take());
        drop(r);
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (exc_type = None, exc = None, tb = None))]
    fn __exit__(
        &self,
        py: Python<'_>,
        exc_type: Option<&Bound<'_, PyAny>>,
        exc: Option<&Bound<'_, PyAny>>,
        tb: Option<&Bound<'_, PyAny>>,
    ) -> bool {
        let _ = (exc_type, exc, tb);
        self.close(py);
        false
    }

    fn __repr__(&self) -> String {
        format!(
            "<sigmalang.Reader size={} segments={} segment_size={}>",
            self.size, self.segments, self.segment_size
        )
    }
}
