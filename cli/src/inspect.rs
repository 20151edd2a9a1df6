//! `sigma verify` (every checksum and the structure) and `sigma info` (header, segments, sizes).

use crate::args::{InfoArgs, VerifyArgs};
use crate::inputs::{self, Input, Opened, Walk};
use crate::report;
use crate::units::human;
use crate::Outcome;
use anyhow::Context;
use sigmalang::format::{FileHeader, Index, IndexEntry, StreamParser, SEGMENT_HEADER_LEN};
use std::io::{Read, Write};

pub fn verify(a: VerifyArgs) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    for input in inputs::expand(&a.inputs, a.recursive, Walk::SigmaFiles)? {
        if let Err(e) = input.and_then(|i| verify_one(&a, &i)) {
            outcome.failed(&e);
        }
    }
    Ok(outcome)
}

fn verify_one(a: &VerifyArgs, input: &Input) -> anyhow::Result<()> {
    let name = input.name();
    let mut opened = Opened::open(input)?;
    let opts = a.parallel.options();
    let bar = crate::progress::Progress::for_input(&name, opened.file(), &a.common)?;
    let tick = |read: u64, _written: u64| bar.update(read);
    let r = sigmalang::decode(opened.source(), &mut std::io::sink(), &opts, Some(&tick));
    bar.finish();
    let stats = r.with_context(|| name.clone())?;
    report::print(
        &report::Run {
            cmd: "verify",
            name: &name,
            stats: &stats,
            raw: stats.bytes_out,
            encoded: stats.bytes_in,
            verdict: Some("OK"),
        },
        &a.common,
    );
    Ok(())
}

pub fn info(a: InfoArgs) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    for input in inputs::expand(&a.inputs, a.recursive, Walk::SigmaFiles)? {
        if let Err(e) = input.and_then(|i| info_one(&a, &i)) {
            outcome.failed(&e);
        }
    }
    Ok(outcome)
}

/// What `info` shows of a stream.
struct Described {
    header: FileHeader,
    entries: Vec<IndexEntry>,
    encoded_len: u64,
    stream_hash: u64,
}

/// A stream read front to back has no index to seek to: the segment headers are walked.
fn walk(r: &mut dyn Read) -> sigmalang::Result<Described> {
    let mut p = StreamParser::new(r);
    let header = p.header()?;
    let mut buf = Vec::new();
    let mut entries = Vec::new();
    let mut raw_off = 0u64;
    while let Some((sh, at)) = p.next_segment(&mut buf)? {
        entries.push(IndexEntry {
            raw_offset: raw_off,
            enc_offset: at,
            raw_len: sh.raw_len,
            enc_len: sh.enc_len,
            raw_hash: sh.raw_hash,
        });
        raw_off += u64::from(sh.raw_len);
    }
    // The footer's stream checksum recomputed from the segment hashes.
    let mut b = sigmalang::format::IndexBuilder::new(false);
    for e in &entries {
        b.push(*e);
    }
    Ok(Described {
        header,
        stream_hash: b.footer(0).stream_hash,
        entries,
        encoded_len: p.offset(),
    })
}

fn info_one(a: &InfoArgs, input: &Input) -> anyhow::Result<()> {
    let name = input.name();
    let d = match Opened::open(input)? {
        Opened::Stream(mut r) => walk(&mut r).with_context(|| name.clone())?,
        Opened::File(f) => {
            use std::os::unix::fs::FileExt;
            let len = f.metadata()?.len();
            let idx = Index::read_at(&|b, at| f.read_exact_at(b, at), len)
                .with_context(|| name.clone())?;
            Described {
                header: idx.header,
                entries: idx.entries,
                encoded_len: idx.encoded_len,
                stream_hash: idx.footer.stream_hash,
            }
        }
    };
    std::io::stdout().write_all(render(&name, &d, a).as_bytes())?;
    Ok(())
}

/// `info`'s text (or JSON) for one stream.
fn render(name: &str, d: &Described, a: &InfoArgs) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let raw: u64 = d.entries.iter().map(|e| u64::from(e.raw_len)).sum();
    let stored = d.entries.iter().filter(|e| e.enc_len == e.raw_len).count();
    let ratio = if d.encoded_len == 0 {
        0.0
    } else {
        raw as f64 / d.encoded_len as f64
    };
    if a.json {
        let segs: Vec<_> = d
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                serde_json::json!({
                    "ordinal": i, "raw_offset": e.raw_offset, "encoded_offset": e.enc_offset,
                    "raw_len": e.raw_len, "encoded_len": e.enc_len + SEGMENT_HEADER_LEN as u32,
                    "stored": e.enc_len == e.raw_len, "xxh3": format!("{:016x}", e.raw_hash),
                })
            })
            .collect();
        let v = serde_json::json!({
            "file": name, "format_version": d.header.version, "level": d.header.level,
            "segment_size": d.header.segment_size, "segments": d.entries.len(), "stored_segments": stored,
            "raw_bytes": raw, "encoded_bytes": d.encoded_len, "ratio": ratio,
            "stream_xxh3": format!("{:016x}", d.stream_hash), "segment_list": segs,
        });
        let _ = writeln!(
            s,
            "{}",
            serde_json::to_string_pretty(&v).expect("JSON values serialize")
        );
        return s;
    }
    let _ = writeln!(s, "file:           {name}");
    let _ = writeln!(s, "format version: {}", d.header.version);
    let _ = writeln!(s, "level:          {}", d.header.level);
    let _ = writeln!(
        s,
        "segment size:   {} bytes ({})",
        d.header.segment_size,
        human(d.header.segment_size.into())
    );
    let _ = writeln!(
        s,
        "segments:       {} ({stored} stored raw)",
        d.entries.len()
    );
    let _ = writeln!(s, "raw size:       {raw} bytes ({})", human(raw));
    let _ = writeln!(
        s,
        "encoded size:   {} bytes ({})",
        d.encoded_len,
        human(d.encoded_len)
    );
    let _ = writeln!(s, "ratio:          {ratio:.3}");
    let _ = writeln!(s, "stream xxh3:    {:016x}", d.stream_hash);
    if a.common.verbose {
        let _ = writeln!(
            s,
            "{:>8} {:>14} {:>14} {:>10} {:>10}  xxh3",
            "segment", "raw offset", "enc offset", "raw len", "enc len"
        );
        for (i, e) in d.entries.iter().enumerate() {
            let _ = writeln!(
                s,
                "{i:>8} {:>14} {:>14} {:>10} {:>10}  {:016x}",
                e.raw_offset,
                e.enc_offset,
                e.raw_len,
                e.enc_len as usize + SEGMENT_HEADER_LEN,
                e.raw_hash
            );
        }
    }
    s
}
