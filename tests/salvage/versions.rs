//! Salvage rows: unknown versions and reserved header bits are refused before anything is written.

use super::*;
use sigmalang::format::VERSION;

#[test]
fn unknown_version_or_reserved_bits_are_refused() {
    let unsupported = |v: u8| {
        format!("unsupported format version {v} (this build reads versions 1 to {VERSION})")
    };
    // The first version after this build's.
    let next = VERSION + 1;
    let reserved = |f: u8, r: u8| {
        format!(
            "corrupt file header: reserved bytes set ({f:#04x}, {r:#04x}): a header this build \
             does not know, so salvage does not reinterpret it"
        )
    };
    let mut rows = Vec::new();
    for (name, v) in [("v0", 0u8), ("v-next", next), ("v9", 9), ("v255", 255)] {
        let mut s = a();
        set_header_byte(&mut s, 4, v);
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Refused(unsupported(v)),
        });
    }
    for (name, at, v) in [
        ("flags-01", 5, 0x01u8),
        ("flags-80", 5, 0x80),
        ("reserved-7", 7, 0x01),
    ] {
        let mut s = a();
        set_header_byte(&mut s, at, v);
        let (f, r) = if at == 5 { (v, 0) } else { (0, v) };
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Refused(reserved(f, r)),
        });
    }
    // The unknown header is the second stream's, found by scanning (A's index is damaged so
    // nothing is read through indexes): its segments are not salvaged as today's version, nor is
    // anything else.
    let mut a_idx = a();
    damage_index(&mut a_idx);
    let mut b_next = b();
    set_header_byte(&mut b_next, 4, next);
    rows.push(Row {
        name: "second-stream-v-next-scanned",
        file: cat(&[&a_idx.enc, &b_next.enc]),
        expect: Expect::Refused(unsupported(next)),
    });
    let mut b_next = b();
    set_header_byte(&mut b_next, 4, next);
    rows.push(Row {
        name: "second-stream-v-next",
        file: cat(&[&a().enc, &b_next.enc]),
        expect: Expect::Refused(unsupported(next)),
    });
    let mut bf = b();
    set_header_byte(&mut bf, 5, 0x02);
    let b_at = a().enc.len();
    rows.push(Row {
        name: "second-stream-flags",
        file: cat(&[&a().enc, &bf.enc]),
        expect: Expect::Refused(format!(
            "corrupt file header: reserved bytes set (0x02, 0x00): a header this build does not \
             know, so salvage does not reinterpret it (the stream at byte {b_at})"
        )),
    });

    // An unknown version byte whose check value fails is damage, not an unknown version: the
    // stream is recovered from its segments.
    let sa = a();
    let mut s = a();
    s.enc[4] = next;
    rows.push(Row {
        name: "v-next-damaged-header",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: Some(A_LEN as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["by scanning".into(), "nothing lost".into()],
        }),
    });
    run_rows(rows, check);
}
