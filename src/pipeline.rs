//! The parallel pipeline: producer → rayon pool → ordered consumer, under a bounded window.
//!
//! ```text
//!  producer thread            rayon pool (T workers)            calling thread
//!  ───────────────            ──────────────────────            ──────────────
//!  take in+out buffers, ──►  read (files: pread) + code   ──►  next k: wait on its slot,
//!  announce k (bounded),      segment k into out buffer,         write, index, return out
//!  queue job k                into slot k % (window + 1)         buffer to pool
//! ```
//!
//! At most `window` segments are in flight: the pools hold exactly `window` input and `window`
//! output buffers, allocated once and reused, so memory is O(window × segment size) whatever the
//! input length. The consumer writes segments strictly in order, so the output is identical for any
//! thread count and window. Nothing is allocated per segment. See `docs/ARCHITECTURE.md`.

use crate::codec::{self, MatchFinder};
use crate::error::{Error, Result};
use crate::format::{
    self, FileHeader, IndexBuilder, IndexEntry, SegmentHeader, StreamParser, SEGMENT_HEADER_LEN,
};
use crate::options::Options;
use crate::segment;
use crate::stats::Stats;
use crossbeam_channel::bounded;
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::FileExt;
use std::time::{Duration, Instant};

mod indexed;
mod pool;
use indexed::{IndexedFile, IndexedSegment};
use pool::{Cancel, Pool};

/// Where the input of a run comes from.
pub enum Source<'a> {
    /// A regular file: its length is known, workers read their own segments with positional reads.
    File(&'a File),
    /// Any byte stream (a pipe, a socket): read in order by the producer.
    Reader(&'a mut (dyn Read + Send)),
}

/// Called by the consumer after each segment with (bytes read so far, bytes written so far).
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Sync);

/// Runs `produce` on a helper thread, `work` on a pool of `threads`, and `consume` on the calling
/// thread in production order, with at most `window` results queued. The first error wins; a worker
/// error is returned as it was raised.
///
/// Nothing is allocated per item: the pool's `threads` workers are started once and take items
/// from one queue, and item `k` comes back through result slot `k % (window + 1)`. The producer
/// announces each item to the consumer on a channel of `window` places before queueing it, and the
/// consumer takes the next announcement only after consuming the item before: so at most
/// `window + 1` consecutive items are unconsumed at any time, and no two of them share a slot.
fn run_ordered<I, T>(
    threads: usize,
    window: usize,
    cancel: &Cancel,
    produce: impl FnMut() -> Result<Option<I>> + Send,
    work: impl Fn(I) -> Result<T> + Sync,
    mut consume: impl FnMut(T) -> Result<()>,
) -> Result<()>
where
    I: Send,
    T: Send,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("sigma-worker-{i}"))
        .build()
        .map_err(|e| Error::Io(io::Error::other(e)))?;
    let window = window.max(1);
    let slots = window + 1;
    let (job_tx, job_rx) = bounded::<(usize, I)>(window);
    let (order_tx, order_rx) = bounded::<usize>(window);
    let (slot_tx, slot_rx): (Vec<_>, Vec<_>) = (0..slots).map(|_| bounded::<Result<T>>(1)).unzip();
    let mut produce = produce;
    std::thread::scope(|ts| {
        // The producer: items announced to the consumer, then queued for the workers. It stops
        // when the input ends, on an error, or when the consumer is gone; dropping its senders
        // then ends the workers' and the consumer's loops.
        let producer = ts.spawn(move || -> Result<()> {
            let mut k = 0usize;
            while let Some(item) = produce()? {
                if order_tx.send(k).is_err() || job_tx.send((k, item)).is_err() {
                    break;
                }
                k += 1;
            }
            Ok(())
        });
        let result = pool.in_place_scope(|s| {
            for _ in 0..threads {
                let (job_rx, slot_tx, work) = (&job_rx, &slot_tx, &work);
                s.spawn(move |_| {
                    for (k, item) in job_rx {
                        // A panic in `work` becomes this item's error, so the consumer never waits
                        // on a slot no one will fill (the panic message is printed as usual).
                        let r =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(item)))
                                .unwrap_or_else(|_| {
                                    Err(Error::Io(io::Error::other("worker thread panicked")))
                                });
                        // Fails only once the consumer has stopped.
                        let _ = slot_tx[k % slots].send(r);
                    }
                });
            }
            // The consumer, on this thread, in production order. Everything it owns is dropped
            // when it returns (before the scope waits for the workers), which unblocks a producer
            // or worker waiting on it.
            let (order_rx, slot_rx) = (order_rx, slot_rx);
            for k in &order_rx {
                let r = slot_rx[k % slots]
                    .recv()
                    .unwrap_or_else(|_| Err(Error::Io(io::Error::other("worker thread lost"))));
                if let Err(e) = r.and_then(&mut consume) {
                    cancel.fire();
                    return Err(e);
                }
            }
            Ok(())
        });
        let produced = producer
            .join()
            .unwrap_or_else(|_| Err(Error::Io(io::Error::other("reader thread panicked"))));
        result.and(produced)
    })
}

/// Fills `buf` from `r` until it is full or the input ends; returns the bytes read.
fn read_full(r: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

thread_local! {
    static FINDER: RefCell<Option<MatchFinder>> = const { RefCell::new(None) };
}

/// Runs `f` with this worker thread's match finder for `level`, creating it on first use.
fn with_finder<R>(level: u8, f: impl FnOnce(&mut MatchFinder) -> R) -> R {
    FINDER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.as_ref().map(MatchFinder::level) != Some(level) {
            *slot = Some(MatchFinder::new(level));
        }
        f(slot.as_mut().expect("just set"))
    })
}

struct EncJob {
    ordinal: u32,
    raw_offset: u64,
    len: usize,
    /// Holds the raw bytes for stream input; an empty buffer to fill for file input.
    raw: Vec<u8>,
    out: Vec<u8>,
}

struct EncDone {
    header: SegmentHeader,
    out: Vec<u8>,
    latency: Duration,
}

/// Encodes `input` to `output` on a thread pool. The bytes written depend only on the input, the
/// level and the segment size: never on the thread count, the window or the kind of source.
pub fn encode(
    input: Source<'_>,
    output: &mut dyn Write,
    opts: &Options,
    progress: Option<Progress<'_>>,
) -> Result<Stats> {
    encode_from(input, output, opts, progress, None)
}

/// Where an encode starts and stops, when it is not the whole input into a whole stream.
pub(crate) struct Span {
    /// The index of the segments already in the output (their entries are kept for the trailer).
    pub index: IndexBuilder,
    /// Bytes already in the output.
    pub written: u64,
    /// The first segment to encode: its raw bytes start at `first × segment size`.
    pub first: u64,
    /// The segment to stop before (`None`: the end of the input).
    pub end: Option<u64>,
    /// Whether the index and footer follow the last segment.
    pub trailer: bool,
}

impl Span {
    /// An interrupted encode continued: the segments before `index.count()` are already in the
    /// output (which holds `written` bytes, header included) and have been verified.
    pub fn resume(index: IndexBuilder, written: u64) -> Span {
        Span {
            first: index.count(),
            index,
            written,
            end: None,
            trailer: true,
        }
    }
}

pub(crate) fn encode_from(
    input: Source<'_>,
    output: &mut dyn Write,
    opts: &Options,
    progress: Option<Progress<'_>>,
    span: Option<Span>,
) -> Result<Stats> {
    opts.validate()?;
    let start = Instant::now();
    let (file, mut reader, known_len) = match input {
        Source::File(f) => (Some(f), None, Some(f.metadata()?.len())),
        Source::Reader(r) => (None, Some(r), None),
    };
    let seg = opts.resolved_segment_size(known_len) as usize;
    // Buffers and workers as the memory limit allows (never more workers than buffers: an input
    // of few segments does not start idle threads), checked before anything is written.
    let plan = opts.encode_plan(known_len)?;
    let (buffers, threads) = (plan.buffers, plan.threads);
    let window = opts.resolved_window();
    let level = opts.get_level();
    let mut stats = Stats::new(threads, seg as u32);
    stats.memory_estimate = plan.estimate;
    let span = match span {
        Some(s) => s,
        None => {
            output
                .write_all(&FileHeader::new(level, seg as u32).to_bytes())
                .map_err(Error::Write)?;
            Span::resume(IndexBuilder::new(true), format::FILE_HEADER_LEN as u64)
        }
    };
    let (mut index, mut written) = (span.index, span.written);
    // A resumed encode reads its input again at any offset; a part may come from a stream that
    // starts at its first segment.
    if span.first > 0 && file.is_none() && span.end.is_none() {
        return Err(Error::InvalidOption(
            "only file input can be resumed".into(),
        ));
    }
    let (_, raw_cap) = opts.pool_shape(seg as u32, known_len);
    // Pre-touch only when the input length is known (a file): stream buffers grow with the data.
    let touch = known_len.is_some();
    let cancel = Cancel::new();
    let in_pool = Pool::new(buffers, raw_cap, touch, &cancel);
    let out_pool = Pool::new(
        buffers,
        codec::compressed_bound(raw_cap) + SEGMENT_HEADER_LEN,
        touch,
        &cancel,
    );
    let mut ordinal: u64 = span.first;
    let mut raw_offset: u64 = span.first * seg as u64;
    // Where this run's raw bytes end: the input's end, or the span's end if it comes first.
    let stop = |total: u64| {
        span.end
            .map_or(total, |e| total.min(e.saturating_mul(seg as u64)))
    };
    let mut ended = false;

    let produce = || -> Result<Option<EncJob>> {
        if ended || span.end.is_some_and(|e| ordinal >= e) {
            return Ok(None);
        }
        let len = match known_len {
            Some(total) => {
                let left = stop(total).saturating_sub(raw_offset);
                if left == 0 {
                    ended = true;
                    check_unchanged(file.expect("file source"), total)?;
                    return Ok(None);
                }
                left.min(seg as u64) as usize
            }
            None => 0,
        };
        let Some(mut raw) = in_pool.get(&cancel) else {
            return Ok(None);
        };
        let Some(out) = out_pool.get(&cancel) else {
            return Ok(None);
        };
        let len = match reader.as_mut() {
            Some(r) => {
                // Read in chunks, growing the buffer only as data arrives (a 23-byte input with a
                // 256 MiB segment size does not write 256 MiB). The bytes a buffer kept from its
                // last segment are read over, not zeroed first.
                let mut n = 0;
                while n < seg {
                    let step = (seg - n).min(1 << 20);
                    if raw.len() < n + step {
                        raw.resize(n + step, 0);
                    }
                    let got = read_full(&mut **r, &mut raw[n..n + step])?;
                    n += got;
                    if got < step {
                        break;
                    }
                }
                raw.truncate(n);
                if n == 0 {
                    ended = true;
                    return Ok(None);
                }
                n
            }
            None => len,
        };
        if ordinal > u64::from(u32::MAX) {
            return Err(Error::InvalidOption(
                "input needs more than 2^32 segments; use a larger segment size".into(),
            ));
        }
        let job = EncJob {
            ordinal: ordinal as u32,
            raw_offset,
            len,
            raw,
            out,
        };
        ordinal += 1;
        raw_offset += len as u64;
        Ok(Some(job))
    };

    let work = |mut job: EncJob| -> Result<EncDone> {
        let t = Instant::now();
        in_pool.prepare(&mut job.raw);
        out_pool.prepare(&mut job.out);
        if let Some(f) = file {
            job.raw.resize(job.len, 0);
            f.read_exact_at(&mut job.raw, job.raw_offset).map_err(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    Error::InputChanged(format!(
                        "the file shrank below byte {}",
                        job.raw_offset + job.len as u64
                    ))
                } else {
                    Error::Io(e)
                }
            })?;
        }
        let header = with_finder(level, |mf| {
            segment::encode(&job.raw, job.ordinal, mf, &mut job.out)
        });
        in_pool.put(job.raw);
        Ok(EncDone {
            header,
            out: job.out,
            latency: t.elapsed(),
        })
    };

    let consume = |done: EncDone| -> Result<()> {
        output.write_all(&done.out).map_err(Error::Write)?;
        index.push(IndexEntry {
            raw_offset: index.raw_len(),
            enc_offset: written,
            raw_len: done.header.raw_len,
            enc_len: done.header.enc_len,
            raw_hash: done.header.raw_hash,
        });
        written += done.out.len() as u64;
        stats.segments += 1;
        stats.stored_segments += u64::from(done.header.stored());
        stats.record_latency(done.latency);
        out_pool.put(done.out);
        if let Some(p) = progress {
            p(index.raw_len(), written);
        }
        Ok(())
    };

    run_ordered(threads, window, &cancel, produce, work, consume)?;
    let trailer = if span.trailer {
        index.trailer_bytes(written)
    } else {
        Vec::new()
    };
    output.write_all(&trailer).map_err(Error::Write)?;
    output.flush().map_err(Error::Write)?;
    stats.bytes_in = index.raw_len();
    stats.bytes_out = written + trailer.len() as u64;
    stats.finish(start.elapsed());
    Ok(stats)
}

/// After the last segment: the file must still have exactly the length it had at the start.
fn check_unchanged(f: &File, len: u64) -> Result<()> {
    let now = f.metadata()?.len();
    let mut probe = [0u8; 1];
    let grew = f.read_at(&mut probe, len)? > 0;
    if now != len || grew {
        return Err(Error::InputChanged(format!(
            "the file was {len} bytes at the start and is {now} bytes now"
        )));
    }
    Ok(())
}

/// Where a decode job's segment comes from.
enum Located<'a> {
    /// A file read through its streams' indexes: the worker reads the segment itself.
    Indexed(IndexedSegment<'a>),
    /// A stream: the producer parsed the header (at this encoded offset) and read the payload.
    Parsed(SegmentHeader, u64),
}

struct DecJob<'a> {
    at: Located<'a>,
    /// Encoded bytes consumed once this segment is done (for progress).
    enc_end: u64,
    enc: Vec<u8>,
    out: Vec<u8>,
}

struct DecDone {
    out: Vec<u8>,
    enc_end: u64,
    latency: Duration,
}

/// Decodes `input` to `output` on a thread pool, verifying every checksum, the index and the
/// footer. File input is read through its index (workers read their own segments); stream input is
/// parsed front to back. Writes nothing for a segment before it has been verified. The input may
/// hold several complete streams back to back: their contents are written one after the other
/// (docs/FORMAT.md, "Concatenated streams"); anything else after a footer is an error.
pub fn decode(
    input: Source<'_>,
    output: &mut dyn Write,
    opts: &Options,
    progress: Option<Progress<'_>>,
) -> Result<Stats> {
    opts.validate()?;
    let start = Instant::now();
    let mut threads = opts.resolved_threads();
    let window = opts.resolved_window();
    let cancel = Cancel::new();
    /// The two ways segments are found: through the indexes of a file's streams, or by parsing.
    enum Segments<'a, R> {
        Indexed(IndexedFile<'a>),
        Parsed(Box<StreamParser<R>>),
    }
    let (mut segments, header) = match input {
        Source::File(f) => {
            let file = IndexedFile::open(f)?;
            let header = file.header();
            (Segments::Indexed(file), header)
        }
        Source::Reader(r) => {
            let mut parser = StreamParser::new(r);
            let header = parser.header()?;
            (Segments::Parsed(Box::new(parser)), header)
        }
    };
    let mut stats = Stats::new(threads, header.segment_size);
    // Buffers and workers as the memory limit allows (never more workers than buffers: a file of
    // few segments does not start idle threads), checked before anything is allocated.
    let (in_pool, out_pool, mut in_flight) = match &segments {
        // Sizes from validated indexes: buffers sized to them (input buffers to the largest
        // payload, not a whole segment), touched on first use.
        Segments::Indexed(file) => {
            let shape = file.shape(opts)?;
            stats.memory_estimate = shape.plan.estimate;
            threads = shape.plan.threads;
            let buffers = shape.plan.buffers;
            (
                Pool::new(buffers, shape.input + SEGMENT_HEADER_LEN, true, &cancel),
                Pool::new(buffers, shape.raw, true, &cancel),
                buffers,
            )
        }
        // A stream's sizes are claims until verified: buffers grow only as data arrives.
        Segments::Parsed(_) => {
            let plan = opts.decode_plan(header.segment_size, None, None)?;
            stats.memory_estimate = plan.estimate;
            threads = plan.threads;
            (
                Pool::new(plan.buffers, 0, false, &cancel),
                Pool::new(plan.buffers, 0, false, &cancel),
                plan.buffers,
            )
        }
    };
    stats.threads = threads;
    // The segment length the stream's plan is for: a later stream of a concatenation may have
    // longer segments, which are then given fewer buffers (or refused) to stay within the limit.
    let mut planned_raw = header.segment_size as usize;
    let produce = || -> Result<Option<DecJob<'_>>> {
        let Some(mut enc) = in_pool.get(&cancel) else {
            return Ok(None);
        };
        let Some(out) = out_pool.get(&cancel) else {
            return Ok(None);
        };
        let (at, enc_end) = match &mut segments {
            Segments::Parsed(p) => match p.next_segment(&mut enc)? {
                Some((h, at)) => {
                    let raw = h.raw_len as usize;
                    if raw > planned_raw {
                        let plan = opts
                            .clone()
                            .threads(threads)
                            .decode_plan_for(in_flight, raw, raw)?;
                        if plan.threads < threads {
                            return Err(Error::MemoryLimit {
                                needed: opts
                                    .clone()
                                    .threads(threads)
                                    .memory_limit(u64::MAX)
                                    .decode_plan_for(1, raw, raw)?
                                    .estimate,
                                limit: opts.resolved_memory_limit(),
                            });
                        }
                        // Buffers taken out of circulation for good (this job holds one of each).
                        for _ in plan.buffers..in_flight {
                            let (Some(_), Some(_)) = (in_pool.get(&cancel), out_pool.get(&cancel))
                            else {
                                return Ok(None);
                            };
                        }
                        (planned_raw, in_flight) = (raw, plan.buffers);
                    }
                    (Located::Parsed(h, at), p.offset())
                }
                None => return Ok(None),
            },
            Segments::Indexed(file) => match file.next_segment() {
                Some((segment, end)) => (Located::Indexed(segment), end),
                None => return Ok(None),
            },
        };
        Ok(Some(DecJob {
            at,
            enc_end,
            enc,
            out,
        }))
    };
    let work = |mut job: DecJob<'_>| -> Result<DecDone> {
        let t = Instant::now();
        in_pool.prepare(&mut job.enc);
        out_pool.prepare(&mut job.out);
        match job.at {
            Located::Indexed(s) => s.decode(&mut job.enc, &mut job.out)?,
            Located::Parsed(h, at) => segment::decode(&h, &job.enc, &mut job.out, at)?,
        }
        in_pool.put(job.enc);
        Ok(DecDone {
            out: job.out,
            enc_end: job.enc_end,
            latency: t.elapsed(),
        })
    };
    let consume = |d: DecDone| -> Result<()> {
        output.write_all(&d.out).map_err(Error::Write)?;
        stats.bytes_out += d.out.len() as u64;
        stats.segments += 1;
        stats.record_latency(d.latency);
        out_pool.put(d.out);
        if let Some(p) = progress {
            p(d.enc_end, stats.bytes_out);
        }
        Ok(())
    };
    run_ordered(threads, window, &cancel, produce, work, consume)?;
    output.flush().map_err(Error::Write)?;
    stats.bytes_in = match &segments {
        Segments::Indexed(file) => file.encoded_len(),
        Segments::Parsed(p) => p.offset(),
    };
    stats.finish(start.elapsed());
    Ok(stats)
}
