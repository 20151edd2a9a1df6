//! `Writer`: an encode fed by `write()` calls, the parallel pipeline on its own thread.

use super::*;

/// The encoder's input: chunks sent by `Writer.write`, end of input when the sender is dropped, an
/// error when the writer was abandoned.
struct ChanReader {
    rx: Receiver<Vec<u8>>,
    cur: Vec<u8>,
    pos: usize,
    abort: Arc<AtomicBool>,
}

impl Read for ChanReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos >= self.cur.len() {
            let next = self.rx.recv();
            if self.abort.load(Ordering::SeqCst) {
                return Err(std::io::Error::other(
                    "the Writer was closed before finish()",
                ));
            }
            match next {
                Ok(v) => {
                    self.cur = v;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len() - self.pos);
        buf[..n].copy_from_slice(&self.cur[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Bytes per chunk handed to the encoder thread, and chunks queued at most.
const WRITE_CHUNK: usize = 1 << 20;
const WRITE_QUEUE: usize = 8;

type EncodeResult = sigmalang::Result<(Stats, Sink)>;

/// A running encode: the parallel pipeline on its own thread, fed through a bounded channel.
struct Running {
    tx: Option<SyncSender<Vec<u8>>>,
    handle: Option<JoinHandle<EncodeResult>>,
    abort: Arc<AtomicBool>,
    written: u64,
}

impl Running {
    /// Ends the input (or abandons it) and waits for the encoder.
    fn end(mut self, abandon: bool) -> EncodeResult {
        if abandon {
            self.abort.store(true, Ordering::SeqCst);
        }
        drop(self.tx.take());
        let handle = self.handle.take().expect("end runs once");
        handle.join().unwrap_or_else(|_| {
            Err(sigmalang::Error::Io(std::io::Error::other(
                "the encoder thread panicked",
            )))
        })
    }
}

impl Drop for Running {
    /// A writer dropped unfinished is abandoned: the encoder stops with an error and a path's
    /// temporary file is removed (nothing waits for it here).
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.abort.store(true, Ordering::SeqCst);
            drop(self.tx.take());
        }
    }
}

/// Writer(file, level=3, threads=0, segment_size=None)
///
/// Encodes everything written to it into ``file`` (a path, written to a temporary file beside it
/// and renamed into place by finish(); or a binary file object with write()), on ``threads``
/// workers (0 = one per core). finish() writes the index and footer: the bytes are those of
/// ``compress`` of everything written, with the same level and segment size ("auto" means the
/// level's default, as the length is not known in advance). close() without finish() abandons the
/// output (a path is not created). Usable as a context manager (finishes on a normal exit, abandons
/// on an exception).
#[pyclass(module = "sigmalang", name = "Writer", frozen)]
pub(crate) struct PyWriter {
    state: Mutex<Option<Running>>,
}

enum WriteFail {
    Closed,
    Lib(sigmalang::Error),
}

#[pymethods]
impl PyWriter {
    #[new]
    #[pyo3(signature = (file, level = 3, threads = 0, segment_size = None))]
    fn new(
        py: Python<'_>,
        file: &Bound<'_, PyAny>,
        level: i128,
        threads: i128,
        segment_size: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let opts = options(py, level, threads, segment_size)?;
        let mut sink = Sink::new(py, file)?;
        let (tx, rx) = sync_channel::<Vec<u8>>(WRITE_QUEUE);
        let abort = Arc::new(AtomicBool::new(false));
        let mut reader = ChanReader {
            rx,
            cur: Vec::new(),
            pos: 0,
            abort: abort.clone(),
        };
        let handle = std::thread::Builder::new()
            .name("sigma-writer".into())
            .spawn(move || -> EncodeResult {
                let stats = sigmalang::encode(Source::Reader(&mut reader), &mut sink, &opts, None)?;
                Ok((stats, sink))
            })
            .map_err(|e| io_to_py(py, e, Some("cannot start the encoder thread"), None))?;
        Ok(PyWriter {
            state: Mutex::new(Some(Running {
                tx: Some(tx),
                handle: Some(handle),
                abort,
                written: 0,
            })),
        })
    }

    /// write(data) -> int
    ///
    /// Queues ``data`` (any bytes-like object) for encoding; returns its length in bytes. Blocks
    /// (without the GIL) while the encoder is behind. An error of the encoder (writing the output
    /// failed) is raised here or by finish().
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<usize> {
        let data = InBytes::new(data)?;
        let input = data.as_slice();
        let r = py.detach(|| {
            let mut g = lock(&self.state);
            let Some(run) = g.as_mut() else {
                return Err(WriteFail::Closed);
            };
            let tx = run.tx.as_ref().expect("open writers have a sender");
            for chunk in input.chunks(WRITE_CHUNK) {
                if tx.send(chunk.to_vec()).is_err() {
                    // The encoder stopped early: its error.
                    let run = g.take().expect("checked above");
                    return Err(match run.end(false) {
                        Err(e) => WriteFail::Lib(e),
                        Ok(_) => WriteFail::Lib(sigmalang::Error::Io(std::io::Error::other(
                            "the encoder stopped before the end of the input",
                        ))),
                    });
                }
            }
            run.written += input.len() as u64;
            Ok(input.len())
        });
        r.map_err(|e| match e {
            WriteFail::Closed => closed_error("Writer"),
            WriteFail::Lib(e) => to_py(py, e),
        })
    }

    /// finish() -> dict
    ///
    /// Encodes what is buffered, writes the index and footer, flushes the output (a path: syncs
    /// it and renames it into place) and returns the run's statistics (bytes_in = raw bytes,
    /// bytes_out = encoded bytes). The writer is closed afterwards; a file object given is left
    /// open.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let r = py.detach(|| {
            let run = lock(&self.state).take().ok_or(WriteFail::Closed)?;
            let (stats, sink) = run.end(false).map_err(WriteFail::Lib)?;
            sink.commit().map_err(WriteFail::Lib)?;
            Ok(stats)
        });
        let s = r.map_err(|e| match e {
            WriteFail::Closed => closed_error("Writer"),
            WriteFail::Lib(e) => to_py(py, e),
        })?;
        stats_dict(py, &s, s.bytes_in, s.bytes_out)
    }

    /// Abandons an unfinished writer (a path's temporary file is removed; what was written to a
    /// file object stays there, without index or footer). No effect after finish(). Idempotent.
    fn close(&self, py: Python<'_>) {
        py.detach(|| {
            if let Some(run) = lock(&self.state).take() {
                let _ = run.end(true);
            }
        });
    }

    /// True once finish() or close() was called.
    #[getter]
    fn closed(&self, py: Python<'_>) -> bool {
        py.detach(|| lock(&self.state).is_none())
    }

    /// Bytes written so far.
    #[getter]
    fn bytes_written(&self, py: Python<'_>) -> u64 {
        py.detach(|| lock(&self.state).as_ref().map_or(0, |r| r.written))
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
    ) -> PyResult<bool> {
        let _ = (exc, tb);
        if exc_type.is_some_and(|t| !t.is_none()) {
            self.close(py);
        } else if !self.closed(py) {
            self.finish(py)?;
        }
        Ok(false)
    }
}
