//! The `trailer` target: the trailer and the fixed-size structures (`Index::read_at`,
//! `FileHeader`, `Footer`, `SegmentHeader`), parsed and serialized back.

use super::fix_trailer_checks;
use sigmalang::format::{
    self, FileHeader, Footer, Index, IndexBuilder, SegmentHeader, FILE_HEADER_LEN, FOOTER_LEN,
    FOOTER_MAGIC, SEGMENT_HEADER_LEN,
};
use std::io;

/// `trailer` target. Input: `[flags][file ...]`; flags bit 0: recompute check values
/// ([`fix_trailer_checks`]) first. Parses the file with `Index::read_at` (reads served from the
/// slice, `UnexpectedEof` past its end) and its pieces with `FileHeader::parse`,
/// `Footer::parse` and `SegmentHeader::parse`; whatever is accepted must be self-consistent and
/// serialize back to the same bytes.
pub fn check_trailer(input: &[u8]) {
    let Some((&flags, rest)) = input.split_first() else {
        return;
    };
    let mut file = rest.to_vec();
    if flags & 1 != 0 {
        fix_trailer_checks(&mut file);
    }
    let file = &file[..];
    let len = file.len() as u64;
    let read_at = |buf: &mut [u8], at: u64| -> io::Result<()> {
        let start =
            usize::try_from(at).map_err(|_| io::Error::from(io::ErrorKind::UnexpectedEof))?;
        match start
            .checked_add(buf.len())
            .and_then(|end| file.get(start..end))
        {
            Some(src) => {
                buf.copy_from_slice(src);
                Ok(())
            }
            None => Err(io::ErrorKind::UnexpectedEof.into()),
        }
    };
    if let Ok(index) = Index::read_at(&read_at, len) {
        check_index(&index, file);
    }

    let mut seg_size = vec![0, 1, 4096, u32::MAX];
    if file.len() >= FILE_HEADER_LEN {
        let hb: &[u8; FILE_HEADER_LEN] = file[..FILE_HEADER_LEN].try_into().unwrap();
        if let Ok(h) = FileHeader::parse(hb) {
            assert_eq!(&h.to_bytes(), hb, "FileHeader does not serialize back");
            assert!((format::MIN_SEGMENT_SIZE..=format::MAX_SEGMENT_SIZE).contains(&h.segment_size));
            seg_size.push(h.segment_size);
        }
    }
    if file.len() >= FOOTER_LEN {
        let at = file.len() - FOOTER_LEN;
        let fb: &[u8; FOOTER_LEN] = file[at..].try_into().unwrap();
        if let Ok(f) = Footer::parse(fb, at as u64) {
            assert_eq!(&f.to_bytes(), fb, "Footer does not serialize back");
        }
    }
    for start in [0, FILE_HEADER_LEN] {
        let Some(b) = file.get(start..start + SEGMENT_HEADER_LEN) else {
            continue;
        };
        let hb: &[u8; SEGMENT_HEADER_LEN] = b.try_into().unwrap();
        for &s in &seg_size {
            if let Ok(h) = SegmentHeader::parse(hb, start as u64, s, None) {
                assert_eq!(&h.to_bytes(), hb, "SegmentHeader does not serialize back");
                assert!(h.raw_len >= 1 && h.raw_len <= s);
                assert!(if h.stored() {
                    h.enc_len == h.raw_len
                } else {
                    h.enc_len < h.raw_len
                });
            }
        }
    }
}

/// An index `Index::read_at` accepted must describe the file exactly.
fn check_index(index: &Index, file: &[u8]) {
    assert_eq!(index.encoded_len, file.len() as u64);
    let hb: &[u8; FILE_HEADER_LEN] = file[..FILE_HEADER_LEN].try_into().unwrap();
    assert_eq!(index.header.to_bytes(), *hb);
    assert_eq!(index.entries.len() as u64, index.footer.segments);
    let seg = u64::from(index.header.segment_size);
    let mut b = IndexBuilder::new(true);
    let mut enc = FILE_HEADER_LEN as u64;
    for (k, e) in index.entries.iter().enumerate() {
        assert_eq!(e.raw_offset, k as u64 * seg);
        assert_eq!(e.enc_offset, enc);
        assert!(e.raw_len >= 1 && u64::from(e.raw_len) <= seg);
        assert!(e.enc_len <= e.raw_len);
        if k + 1 < index.entries.len() {
            assert_eq!(u64::from(e.raw_len), seg);
        }
        enc += SEGMENT_HEADER_LEN as u64 + u64::from(e.enc_len);
        b.push(*e);
    }
    assert_eq!(enc, index.footer.index_offset);
    assert_eq!(b.raw_len(), index.footer.raw_len);
    let trailer = b.trailer_bytes(index.footer.index_offset);
    assert!(
        file[index.footer.index_offset as usize..] == trailer[..],
        "accepted index/footer differ from the canonical serialization"
    );
    let foot = file.len() - FOOTER_LEN;
    assert_eq!(&file[foot..foot + 4], &FOOTER_MAGIC);
}
