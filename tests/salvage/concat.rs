//! Salvage rows: concatenated streams, each recovered in turn.

use super::*;

#[test]
fn concatenated_streams_are_salvaged_in_turn() {
    let (sa, sb) = (a(), b());
    let ab = cat(&[&sa.data, &sb.data]);
    let b_at = sa.enc.len(); // where stream B starts in the file
    let mut rows = Vec::new();

    // The case: two valid files back to back salvage to both, through their indexes.
    rows.push(Row {
        name: "ab",
        file: cat(&[&sa.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec![
                "salvaged 5 segments from 2 streams".into(),
                "nothing lost".into(),
            ],
        }),
    });

    // An empty stream first, between and last changes nothing.
    let e = empty();
    rows.push(Row {
        name: "empty-a-empty-b-empty",
        file: cat(&[&e.enc, &sa.enc, &e.enc, &sb.enc, &e.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 5,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["nothing lost".into()],
        }),
    });

    // A's index damaged: A is scanned, B still read through its index; nothing lost.
    let mut a_idx = a();
    damage_index(&mut a_idx);
    rows.push(Row {
        name: "a-index-damaged",
        file: cat(&[&a_idx.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["by scanning".into(), "nothing lost".into()],
        }),
    });

    // ... and A's segment 1 lost: zeros in its place, B's data keeps its offset.
    let mut a_idx1 = a();
    damage_index(&mut a_idx1);
    damage_payload(&mut a_idx1, 1);
    let mut out = ab.clone();
    out[SEG..2 * SEG].fill(0);
    rows.push(Row {
        name: "a-index-and-segment-1-damaged",
        file: cat(&[&a_idx1.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(SEG, Some(2 * SEG), "1 of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![
                "lost bytes 4096..8192 (4096 bytes, segment 1 of the stream at byte 0), written as zeros"
                    .into(),
            ],
        }),
    });

    // A's last segment lost while both indexes are intact: zeros of the length A's index gives.
    let mut a2 = a();
    damage_payload(&mut a2, 2);
    let mut out = ab.clone();
    out[2 * SEG..A_LEN].fill(0);
    rows.push(Row {
        name: "a-last-segment-damaged",
        file: cat(&[&a2.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(2 * SEG, Some(A_LEN), "2 of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes 8192..{A_LEN} (1000 bytes, segment 2 of the stream at byte 0), written as zeros"
            )],
        }),
    });

    // B's first segment lost: a range of the original in B's part.
    let mut b0 = b();
    damage_payload(&mut b0, 0);
    let mut out = ab.clone();
    out[A_LEN..A_LEN + B_SEG].fill(0);
    rows.push(Row {
        name: "b-segment-0-damaged",
        file: cat(&[&sa.enc, &b0.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: false,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![lost(
                A_LEN,
                Some(A_LEN + B_SEG),
                &format!("0 of the stream at byte {b_at}"),
            )],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes {A_LEN}..{} (8192 bytes, segment 0 of the stream at byte {b_at}), written as zeros",
                A_LEN + B_SEG
            )],
        }),
    });

    // B's file header damaged: A's footer still ends A, B is recovered from its segments.
    let mut bh = b();
    damage_header(&mut bh);
    rows.push(Row {
        name: "b-header-damaged",
        file: cat(&[&sa.enc, &bh.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: Some((A_LEN + B_LEN) as u64),
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec!["nothing lost".into()],
        }),
    });

    // A's footer and last segment damaged: A's length is unknown, B follows at once and the report
    // says so rather than "nothing lost".
    let mut af = a();
    damage_footer(&mut af);
    damage_payload(&mut af, 2);
    let mut out = sa.data[..2 * SEG].to_vec();
    out.extend_from_slice(&sb.data);
    rows.push(Row {
        name: "a-footer-and-tail-damaged",
        file: cat(&[&af.enc, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 4,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![lost(2 * SEG, None, "2 onwards of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![
                "lost bytes 8192.. of unknown length (segment 2 onwards of the stream at byte 0)"
                    .into(),
            ],
        }),
    });

    // A's footer and B's header both damaged: nothing marks where A ends but A's short last
    // segment, after which B's segments follow; B is recovered as a stream of its own.
    let mut af = a();
    damage_footer(&mut af);
    let mut bh = b();
    damage_header(&mut bh);
    rows.push(Row {
        name: "a-footer-and-b-header-damaged",
        file: cat(&[&af.enc, &bh.enc]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![],
            code: 0,
            stderr: vec![
                "salvaged 5 segments from 2 streams".into(),
                "nothing lost".into(),
            ],
        }),
    });

    // A cut in the middle of its segment 1, then B: what A held from there on is lost.
    let s1 = sa.l.segments[1];
    let cut = &sa.enc[..s1.offset + 100];
    let mut out = sa.data[..SEG].to_vec();
    out.extend_from_slice(&sb.data);
    rows.push(Row {
        name: "a-cut-then-b",
        file: cat(&[cut, &sb.enc]),
        expect: Expect::Report(Want {
            out,
            recovered: 3,
            streams: 2,
            scanned: true,
            original_len: None,
            lost: vec![lost(SEG, None, "1 onwards of the stream at byte 0")],
            inconsistent: vec![],
            code: 1,
            stderr: vec!["lost bytes 4096.. of unknown length".into()],
        }),
    });

    // Bytes after the last stream that are no stream: everything is recovered, but the report
    // does not claim that nothing was lost.
    let end = sa.enc.len() + sb.enc.len();
    rows.push(Row {
        name: "ab-trailing-bytes",
        file: cat(&[&sa.enc, &sb.enc, b"junk"]),
        expect: Expect::Report(Want {
            out: ab.clone(),
            recovered: 5,
            streams: 2,
            scanned: false,
            original_len: None,
            lost: vec![lost(
                A_LEN + B_LEN,
                None,
                &format!(
                    "none: input bytes {end}..{} hold no intact file header, segment or footer",
                    end + 4
                ),
            )],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes {}.. to the unknown end of the original",
                A_LEN + B_LEN
            )],
        }),
    });
    run_rows(rows, check);
}

// ---------------------------------------------------------------------------------------------
// A footer whose raw length disagrees with the index and the segments
// ---------------------------------------------------------------------------------------------
