//! Salvage rows: a footer or index that disagrees with the segments is reported, never trusted.

use super::*;

#[test]
fn footer_raw_length_disagreeing_is_reported_never_trusted() {
    let sa = a();
    let f_at = sa.l.footer_offset;
    let s2_at = sa.l.segments[2].offset;
    let mut rows = Vec::new();
    for (name, claim) in [
        ("footer-len-minus-1", A_LEN as u64 - 1),
        ("footer-len-plus-1", A_LEN as u64 + 1),
    ] {
        let mut s = a();
        set_footer_raw_len(&mut s, claim);
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Report(Want {
                out: sa.data.clone(),
                recovered: 3,
                streams: 1,
                scanned: true,
                original_len: None,
                lost: vec![],
                inconsistent: vec![format!(
                    "the footer at byte {f_at} says {claim} bytes in 3 segments, but segment 2 at \
                     byte {s2_at} holds original bytes 8192..9192"
                )],
                code: 1,
                stderr: vec![
                    format!("{name}.sigma: the container disagrees with itself: the footer at byte {f_at} says {claim} bytes"),
                    "the segments' own checksums were trusted".into(),
                    "the container is inconsistent".into(),
                ],
            }),
        });
    }
    let mut s = a();
    set_footer_raw_len(&mut s, u64::MAX);
    rows.push(Row {
        name: "footer-len-max",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says {} bytes in 3 segments, which segments of 4096 \
                 bytes cannot hold",
                u64::MAX
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });

    // The footer lies and the last segment is lost: its length is not taken from the footer (never
    // `8192..18446744073709551615` or `8192..9191`): the tail is lost to an unknown end.
    for (name, claim, why) in [
        (
            "footer-len-max-tail-lost",
            u64::MAX,
            format!(
                "the footer at byte {f_at} says {} bytes in 3 segments, which segments of 4096 \
                 bytes cannot hold",
                u64::MAX
            ),
        ),
        (
            "footer-len-minus-1-tail-lost",
            A_LEN as u64 - 1,
            format!(
                "the footer at byte {f_at} says 9191 bytes in 3 segments, but the index at byte \
                 {} lists 9192 bytes",
                sa.l.index_offset
            ),
        ),
    ] {
        let mut s = a();
        set_footer_raw_len(&mut s, claim);
        damage_payload(&mut s, 2);
        rows.push(Row {
            name,
            file: s.enc,
            expect: Expect::Report(Want {
                out: sa.data[..2 * SEG].to_vec(),
                recovered: 2,
                streams: 1,
                scanned: true,
                original_len: None,
                lost: vec![lost(2 * SEG, None, "2 onwards")],
                inconsistent: vec![why],
                code: 1,
                stderr: vec![
                    "lost bytes 8192.. to the unknown end of the original (segment 2 onwards)"
                        .into(),
                    "the container disagrees with itself".into(),
                ],
            }),
        });
    }

    // A footer that agrees and a lost tail: the tail's length comes from the footer, and it is cut
    // from the output, not claimed as zeros.
    let mut s = a();
    damage_index(&mut s);
    damage_payload(&mut s, 2);
    rows.push(Row {
        name: "footer-agrees-tail-lost",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data[..2 * SEG].to_vec(),
            recovered: 2,
            streams: 1,
            scanned: true,
            original_len: Some(A_LEN as u64),
            lost: vec![lost(2 * SEG, Some(A_LEN), "2")],
            inconsistent: vec![],
            code: 1,
            stderr: vec![format!(
                "lost bytes 8192..{A_LEN} (1000 bytes, segment 2), not written (the output ends before them)"
            )],
        }),
    });

    // The footer's stream checksum does not match the segments'.
    let mut s = a();
    let at = s.l.footer_offset + 28;
    s.enc[at] ^= 0x40;
    fix_footer_check(&mut s.enc);
    rows.push(Row {
        name: "footer-stream-hash",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says 9192 bytes in 3 segments, but its stream checksum \
                 does not match the segments' checksums"
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });

    // A consistent index and footer that both lie about segment 1's checksum: the index is not
    // trusted over the segment's own header, which is intact.
    let mut s = a();
    forge_index_raw_hash(&mut s, 1);
    rows.push(Row {
        name: "index-and-footer-lie",
        file: s.enc,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![format!(
                "the footer at byte {f_at} says 9192 bytes in 3 segments, but its stream checksum \
                 does not match the segments' checksums"
            )],
            code: 1,
            stderr: vec!["the container disagrees with itself".into()],
        }),
    });
    // An intact segment 0 of another stream inside A, after A's own: it cannot be placed (the
    // ordinal is taken), so it is reported rather than dropped in silence; A's footer no longer
    // fits where it now sits.
    let other = stream(SEG, SEG, 7);
    let c0 = other.l.segments[0];
    let s1 = sa.l.segments[1].offset;
    let mut file = sa.enc[..s1].to_vec();
    file.extend_from_slice(&other.enc[c0.offset..c0.end()]);
    file.extend_from_slice(&sa.enc[s1..]);
    let shift = c0.end() - c0.offset;
    rows.push(Row {
        name: "duplicate-ordinal",
        file,
        expect: Expect::Report(Want {
            out: sa.data.clone(),
            recovered: 3,
            streams: 1,
            scanned: true,
            original_len: None,
            lost: vec![],
            inconsistent: vec![
                format!(
                    "segment 0 at byte {s1} is intact but was not written: an earlier segment \
                     has the same ordinal"
                ),
                format!(
                    "the footer at byte {} says 9192 bytes in 3 segments, with its index at \
                     stream offset {}: that index does not end where the footer starts",
                    f_at + shift,
                    sa.l.index_offset
                ),
            ],
            code: 1,
            stderr: vec![format!(
                "the container disagrees with itself: segment 0 at byte {s1} is intact but was not written"
            )],
        }),
    });
    run_rows(rows, check);
}

/// Changes index entry `k`'s raw hash and recomputes the index check and the footer's stream
/// checksum, so that the index and footer agree with each other (and `Index::read_at` accepts
/// them) but not with segment `k`'s header.
fn forge_index_raw_hash(s: &mut Stream, k: usize) {
    use xxhash_rust::xxh3::{xxh3_64, Xxh3};
    let io = s.l.index_offset;
    let n = s.l.segments.len();
    let e = io + 12 + k * 32;
    s.enc[e + 24] ^= 0x01;
    let entries = &s.enc[io + 12..io + 12 + n * 32];
    let mut h = Xxh3::new();
    h.update(&s.enc[io..io + 4]);
    h.update(entries);
    h.update(&(n as u64).to_le_bytes());
    let check = h.digest() as u32;
    let c = io + 12 + n * 32;
    s.enc[c..c + 4].copy_from_slice(&check.to_le_bytes());
    let mut hashes = Vec::new();
    for j in 0..n {
        hashes.extend_from_slice(&s.enc[io + 12 + j * 32 + 24..io + 12 + j * 32 + 32]);
    }
    let f = s.l.footer_offset;
    s.enc[f + 28..f + 36].copy_from_slice(&xxh3_64(&hashes).to_le_bytes());
    fix_footer_check(&mut s.enc);
    let mut direct = Vec::new();
    let opts = sigmalang::Options::new();
    assert!(
        sigmalang::decode(
            sigmalang::Source::Reader(&mut &s.enc[..]),
            &mut direct,
            &opts,
            None
        )
        .is_err(),
        "the forged index must still be refused by decode"
    );
}

// ---------------------------------------------------------------------------------------------
// Unknown versions and reserved header bits
// ---------------------------------------------------------------------------------------------
