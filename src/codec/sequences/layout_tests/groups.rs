//! Payloads of several groups written by hand, each field's table chosen (predefined,
//! single, described, repeat) rather than left to the encoder: a repeat takes the previous
//! group's table whatever its mode, and errors in a later group name it.

use super::super::{length_code, Field, Seq, LENGTH_CODES, MIN_MATCH, NEW_CODE, RUN_CODE};
use super::hostile::{decode, section};
use crate::codec::fse::{BitWriter, Distribution, EncodeTable, EncoderState};

/// How a hand-made group codes a field.
#[derive(Clone)]
enum T {
    Predefined,
    Single(u8),
    Described(Box<Distribution>),
    Repeat,
}

/// The three codes of a sequence.
fn codes(q: &Seq) -> [u8; 3] {
    [
        length_code(q.lit_len).0,
        q.offset_code().0,
        length_code(q.match_len - MIN_MATCH as u32).0,
    ]
}

/// Appends a group of `seqs` coded with `choice` (the tables of a repeat come from `prev`),
/// written as "The bitstream of a group" says.
fn group(out: &mut Vec<u8>, choice: &[T; 3], prev: &mut [Option<EncodeTable>; 3], seqs: &[Seq]) {
    let mut modes = 0;
    let modes_at = out.len();
    out.push(0);
    for f in Field::ALL {
        let i = f as usize;
        let (mode, table) = match &choice[i] {
            T::Predefined => (0, Some(EncodeTable::new(f.predefined()))),
            T::Single(s) => {
                out.push(*s);
                (1, Some(EncodeTable::rle(*s)))
            }
            T::Described(d) => {
                d.write(out);
                (2, Some(EncodeTable::new(d)))
            }
            T::Repeat => (3, None),
        };
        modes |= mode << (2 * i);
        if let Some(t) = table {
            prev[i] = Some(t);
        }
    }
    out[modes_at] = modes;
    let c: Vec<[u8; 3]> = seqs.iter().map(codes).collect();
    let [tll, tof, tml] = prev.each_ref().map(|t| t.as_ref().expect("a table"));
    let extras = |w: &mut BitWriter, q: &Seq| {
        let (ll, ll_bits) = length_code(q.lit_len);
        let v = q.match_len - MIN_MATCH as u32;
        let (ml, ml_bits) = length_code(v);
        let (_, of_extra, of_bits) = q.offset_code();
        w.write(
            u64::from(q.lit_len - LENGTH_CODES[usize::from(ll)].0),
            ll_bits,
        );
        w.write(u64::from(v - LENGTH_CODES[usize::from(ml)].0), ml_bits);
        w.write(u64::from(of_extra), of_bits);
    };
    let mut w = BitWriter::new();
    let last = seqs.len() - 1;
    let mut sll = EncoderState::new(tll, c[last][0]);
    let mut sof = EncoderState::new(tof, c[last][1]);
    let mut sml = EncoderState::new(tml, c[last][2]);
    extras(&mut w, &seqs[last]);
    for i in (0..last).rev() {
        sof.encode(&mut w, c[i][1]);
        sml.encode(&mut w, c[i][2]);
        sll.encode(&mut w, c[i][0]);
        extras(&mut w, &seqs[i]);
    }
    sml.flush(&mut w);
    sof.flush(&mut w);
    sll.flush(&mut w);
    let stream = w.finish();
    out.extend_from_slice(&(stream.len() as u32).to_le_bytes());
    out.extend_from_slice(&stream);
}

/// `x` then `n` copies of it, 3 to 7 bytes each: a run of period 1 (offset code 4), a new
/// distance 1 (offset code 8) and a repeat of offset stack slot 0 (distance 1) in turn. Returns
/// the raw length, the payload before the groups (`lit_count` 1, a raw section, `seq_count`) and
/// the sequences.
fn runs_of_x(n: usize) -> (usize, Vec<u8>, Vec<Seq>) {
    let seqs: Vec<Seq> = (0..n)
        .map(|i| Seq {
            lit_len: u32::from(i == 0),
            match_len: 3 + (i % 5) as u32,
            offset: [u32::from(RUN_CODE), u32::from(NEW_CODE), 0][i % 3],
        })
        .collect();
    let raw_len = 1 + seqs.iter().map(|q| q.match_len as usize).sum::<usize>();
    let mut head = 1u32.to_le_bytes().to_vec();
    head.extend_from_slice(&[0, b'x']);
    head.extend_from_slice(&(n as u32).to_le_bytes());
    (raw_len, head, seqs)
}

const G: usize = super::GROUP;

/// Two groups with tables chosen by hand: the first with predefined, described and single
/// tables, the second repeating all three (a repeat takes the previous table whatever its mode);
/// then the same with damage in the second group, named by its number.
#[test]
fn a_second_group_repeats_any_table_and_its_errors_name_it() {
    let (raw_len, head, seqs) = runs_of_x(G + 10);
    let counts = |f: usize, symbols: usize| {
        let mut c = vec![0u32; symbols];
        for q in &seqs[..G] {
            c[usize::from(codes(q)[f])] += 1;
        }
        c
    };
    let ll = Box::new(Distribution::normalize(&counts(0, 64), 5).unwrap());
    let of = Box::new(Distribution::normalize(&counts(1, 36), 8).unwrap());
    let ml = Box::new(Distribution::normalize(&counts(2, 64), 9).unwrap());
    let firsts: [[T; 3]; 3] = [
        [
            T::Predefined,
            T::Described(of.clone()),
            T::Described(ml.clone()),
        ],
        [T::Described(ll), T::Predefined, T::Predefined],
        [T::Predefined, T::Described(of), T::Described(ml)],
    ];
    for first in &firsts {
        let mut p = head.clone();
        let mut prev = [None, None, None];
        group(&mut p, first, &mut prev, &seqs[..G]);
        let second_at = p.len();
        group(
            &mut p,
            &[T::Repeat, T::Repeat, T::Repeat],
            &mut prev,
            &seqs[G..],
        );
        assert_eq!(p[second_at], 0x3f);
        assert!(decode(&p, raw_len).unwrap() == vec![b'x'; raw_len]);

        let mut bad = p.clone();
        bad[second_at] = 0x7f;
        let e = decode(&bad, raw_len).unwrap_err();
        assert!(
            section("sequences", "group 1 modes", second_at)(&e),
            "{e:?}"
        );
        let e = decode(&p[..p.len() - 1], raw_len).unwrap_err();
        assert!(
            section("sequences", "group 1 bitstream length", second_at + 1)(&e),
            "{e:?}"
        );
        // The second group without its last sequence's bits: its bitstream is read past the start
        // or its sequences come out wrong; either way group 1 or a sequence of it is named.
        let mut short = head.clone();
        short[6..10].copy_from_slice(&((G + 9) as u32).to_le_bytes());
        let mut prev = [None, None, None];
        group(&mut short, first, &mut prev, &seqs[..G]);
        short.extend_from_slice(&p[second_at..]);
        let e = decode(&short, raw_len).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("group 1") || msg.contains(&format!("sequence {}", G + 8)),
            "{msg}"
        );
    }

    // Single tables, repeated: three groups, the second and third of copies all alike.
    let (_, head, mut seqs) = runs_of_x(2 * G + 5);
    for q in &mut seqs[G..] {
        *q = Seq {
            lit_len: 0,
            match_len: 7,
            offset: 0,
        };
    }
    let raw_len = 1 + seqs.iter().map(|q| q.match_len as usize).sum::<usize>();
    let mut p = head;
    let mut prev = [None, None, None];
    let pre = || T::Predefined;
    group(&mut p, &[pre(), pre(), pre()], &mut prev, &seqs[..G]);
    group(
        &mut p,
        &[T::Single(0), T::Single(0), T::Single(4)],
        &mut prev,
        &seqs[G..2 * G],
    );
    let third_at = p.len();
    group(
        &mut p,
        &[T::Repeat, T::Repeat, T::Repeat],
        &mut prev,
        &seqs[2 * G..],
    );
    assert!(decode(&p, raw_len).unwrap() == vec![b'x'; raw_len]);
    // A single table has no state: the third group's bitstream holds nothing but the marker.
    assert_eq!(&p[third_at + 1..], &[1, 0, 0, 0, 0x01]);
}
