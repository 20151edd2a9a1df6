//! The pipeline's buffers: a fixed pool of reusable buffers per direction, and the cancel flag
//! that wakes a producer blocked on one once the consumer has failed.

use crossbeam_channel::{bounded, Receiver, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// A fixed set of reusable buffers; `get` blocks while all are in flight.
pub(super) struct Pool {
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
    touch: bool,
}

impl Pool {
    /// `n` buffers of `capacity` bytes. With `touch`, [`Pool::prepare`] writes a buffer's pages once
    /// on its first use, so a run's memory is the same fixed amount whatever the data (how much of
    /// a buffer a segment uses depends on how well it compresses): flat and equal to the estimate,
    /// not creeping up with the input. Firing `cancel` wakes a `get` blocked on this pool.
    pub(super) fn new(n: usize, capacity: usize, touch: bool, cancel: &Cancel) -> Pool {
        let (tx, rx) = bounded(n);
        for _ in 0..n {
            tx.send(Vec::with_capacity(capacity))
                .expect("pool has room");
        }
        cancel
            .wake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx.clone());
        Pool { tx, rx, touch }
    }

    /// Called by a worker before it fills `b`: touches a fresh buffer's pages (on the worker, so
    /// the page faults of different buffers are taken in parallel). A fresh buffer is one that
    /// was never filled: every job leaves its buffers non-empty. The buffer is left at its full
    /// length: every job sets the length it needs (or clears it) and writes over the bytes, so
    /// its pages are written once here, not a second time by a zero-filling `resize`.
    pub(super) fn prepare(&self, b: &mut Vec<u8>) {
        if self.touch && b.is_empty() && b.capacity() > 0 {
            b.resize(b.capacity(), 0x5a);
        }
    }

    /// A buffer, or `None` once `cancel` has fired (the consumer failed and will not return
    /// buffers).
    pub(super) fn get(&self, cancel: &Cancel) -> Option<Vec<u8>> {
        let b = self.rx.recv().ok()?;
        (!cancel.fired()).then_some(b)
    }
    pub(super) fn put(&self, b: Vec<u8>) {
        let _ = self.tx.try_send(b);
    }
}

/// Tells a producer to give up once the consumer has failed. Firing sets the flag, then puts an
/// empty (unallocated) buffer in every pool, which wakes a producer blocked on one; [`Pool::get`]
/// checks the flag after every wait.
pub(super) struct Cancel {
    fired: AtomicBool,
    wake: Mutex<Vec<Sender<Vec<u8>>>>,
}

impl Cancel {
    pub(super) fn new() -> Cancel {
        Cancel {
            fired: AtomicBool::new(false),
            wake: Mutex::new(Vec::new()),
        }
    }
    pub(super) fn fire(&self) {
        self.fired.store(true, Ordering::SeqCst);
        for tx in self.wake.lock().unwrap_or_else(|e| e.into_inner()).iter() {
            let _ = tx.try_send(Vec::new());
        }
    }
    pub(super) fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}
