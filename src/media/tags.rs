//! Metadata removed from audio and video without re-encoding: the tags a phone or
//! a tagging program writes (a title, an artist, but also a place, a device, a
//! time).
//!
//! - MP3: the ID3v2 tags at the start and the ID3v1 tag at the end are cut off;
//!   nothing in an MP3 points at a byte offset, so the frames play as before.
//! - MP4 and M4A: every `udta` and `meta` box (in `moov` and its tracks, and at the
//!   top) and the XMP `uuid` box become `free` boxes of the same size, their
//!   contents zeroed: no byte moves, so the sample offsets (`stco`, `co64`) stay
//!   valid.
//! - WebM: each `Tags` element of a segment becomes a `Void` element of the same
//!   size, its contents zeroed.
//!
//! PDF and Ogg are left as they are: a PDF's metadata is bound up with its cross
//! reference table, and Ogg's comments sit in a page with a checksum.

/// Why a file's tags could not be removed: its structure is damaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Damaged;

/// The UUID of an XMP box in an ISO media file.
const XMP_UUID: [u8; 16] =
    [0xBE, 0x7A, 0xCF, 0xCB, 0x97, 0xA9, 0x42, 0xE8, 0x9C, 0x71, 0x99, 0x94, 0x91, 0xE3, 0xAF, 0xAC];

/// An MP3 without its ID3v2 tags (at the start) and ID3v1 tag (the last 128 bytes).
pub fn mp3(bytes: Vec<u8>) -> Result<Vec<u8>, Damaged> {
    let mut from = 0usize;
    // A file may carry several ID3v2 tags in a row.
    while let Some(head) = bytes.get(from..from.saturating_add(10)) {
        if !head.starts_with(b"ID3") {
            break;
        }
        let size = head
            .get(6..10)
            .ok_or(Damaged)?
            .iter()
            .try_fold(0usize, |n, b| if b & 0x80 == 0 { Some((n << 7) | usize::from(*b)) } else { None });
        let footer = if head.get(5).is_some_and(|f| f & 0x10 != 0) { 10 } else { 0 };
        let end = size.and_then(|s| from.checked_add(10 + footer + s)).ok_or(Damaged)?;
        if end > bytes.len() {
            return Err(Damaged);
        }
        from = end;
    }
    let mut to = bytes.len();
    if to >= from.saturating_add(128) && bytes.get(to - 128..to - 125) == Some(b"TAG") {
        to -= 128;
    }
    let kept = bytes.get(from..to).ok_or(Damaged)?;
    if kept.is_empty() {
        return Err(Damaged);
    }
    Ok(kept.to_vec())
}

/// An MP4 or M4A with its `udta`, `meta` and XMP `uuid` boxes turned into `free`
/// boxes of the same size (see the module documentation).
pub fn mp4(mut bytes: Vec<u8>) -> Result<Vec<u8>, Damaged> {
    let mut freed = Vec::new();
    let top = super::avif::boxes(&bytes, 0, bytes.len()).map_err(|_| Damaged)?;
    for b in &top {
        match &b.kind {
            b"moov" => {
                for child in super::avif::boxes(&bytes, b.start, b.end).map_err(|_| Damaged)? {
                    match &child.kind {
                        b"udta" | b"meta" => freed.push(child),
                        b"trak" => {
                            let inner = super::avif::boxes(&bytes, child.start, child.end).map_err(|_| Damaged)?;
                            freed.extend(inner.into_iter().filter(|t| matches!(&t.kind, b"udta" | b"meta")));
                        }
                        _ => {}
                    }
                }
            }
            b"meta" | b"udta" => freed.push(*b),
            b"uuid" if bytes.get(b.start..b.start.saturating_add(16)) == Some(&XMP_UUID[..]) => freed.push(*b),
            _ => {}
        }
    }
    for b in freed {
        bytes.get_mut(b.start..b.end).ok_or(Damaged)?.fill(0);
        let kind_at = b.start.checked_sub(4).ok_or(Damaged)?;
        bytes.get_mut(kind_at..b.start).ok_or(Damaged)?.copy_from_slice(b"free");
    }
    Ok(bytes)
}

/// The EBML ids of the elements read in a WebM file.
const SEGMENT: u32 = 0x1853_8067;
const TAGS: u32 = 0x1254_C367;
const VOID: u8 = 0xEC;

/// An EBML variable-length number at `at`: its value (with the length marker
/// removed when `strip` is set, as sizes are; ids keep it) and its length; `None`
/// for a size of all ones ("unknown").
fn vint(bytes: &[u8], at: usize, strip: bool) -> Result<(Option<u64>, usize), Damaged> {
    let first = *bytes.get(at).ok_or(Damaged)?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 {
        return Err(Damaged);
    }
    let raw = bytes.get(at..at.checked_add(len).ok_or(Damaged)?).ok_or(Damaged)?;
    let mut value = raw.iter().fold(0u64, |n, b| (n << 8) | u64::from(*b));
    if strip {
        let marker = 1u64 << (7 * len);
        value &= marker - 1;
        if value == marker - 1 {
            return Ok((None, len));
        }
    }
    Ok((Some(value), len))
}

/// A WebM file with each `Tags` element of its segment turned into a `Void` element
/// of the same size (see the module documentation). Walking stops at an element of
/// unknown size (a live recording's cluster), whose end cannot be known.
pub fn webm(mut bytes: Vec<u8>) -> Result<Vec<u8>, Damaged> {
    let mut at = 0usize;
    let mut tags = Vec::new();
    while at < bytes.len() {
        let (id, id_len) = vint(&bytes, at, false)?;
        let (size, size_len) = vint(&bytes, at.checked_add(id_len).ok_or(Damaged)?, true)?;
        let data = at.checked_add(id_len + size_len).ok_or(Damaged)?;
        let id = id.and_then(|i| u32::try_from(i).ok()).ok_or(Damaged)?;
        if id == SEGMENT {
            // Into the segment: its children follow.
            at = data;
            continue;
        }
        let Some(size) = size else { break };
        let end = usize::try_from(size).ok().and_then(|s| data.checked_add(s)).ok_or(Damaged)?;
        if end > bytes.len() {
            return Err(Damaged);
        }
        if id == TAGS {
            tags.push((at, end));
        }
        at = end;
    }
    for (from, to) in tags {
        let total = to.checked_sub(from).ok_or(Damaged)?;
        let void = void_element(total).ok_or(Damaged)?;
        bytes.get_mut(from..to).ok_or(Damaged)?.copy_from_slice(&void);
    }
    Ok(bytes)
}

/// A `Void` element exactly `total` bytes long (its contents zero).
fn void_element(total: usize) -> Option<Vec<u8>> {
    // The shortest size field that fits what remains after the id and itself.
    let len = (1..=8usize)
        .find(|len| total.checked_sub(1 + len).is_some_and(|content| (content as u64) < (1u64 << (7 * len)) - 1))?;
    let content = total.checked_sub(1 + len)?;
    let mut out = Vec::with_capacity(total);
    out.push(VOID);
    let size = (content as u64) | (1u64 << (7 * len));
    out.extend(size.to_be_bytes().iter().skip(8 - len));
    out.resize(total, 0);
    Some(out)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn an_mp3_loses_its_id3v2_and_id3v1_tags_and_keeps_its_frames() {
        let frames = [0xFF, 0xFB, 0x90, 0x64, 1, 2, 3, 4];
        let mut file = b"ID3\x04\x00\x00\x00\x00\x00\x0a".to_vec();
        file.extend(b"TALBHome\0\0");
        file.extend(frames);
        let mut v1 = b"TAG".to_vec();
        v1.extend(b"Secret place".iter().chain(std::iter::repeat(&0)).take(125));
        file.extend(&v1);

        let stripped = mp3(file).unwrap();

        assert_eq!(stripped, frames);
        assert_eq!(mp3(b"ID3\x04\x00\x00\x00\x00\x7f\x7f".to_vec()), Err(Damaged));
    }

    /// A box of `kind` holding `payload`.
    fn iso_box(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut b = u32::try_from(payload.len() + 8).unwrap().to_be_bytes().to_vec();
        b.extend(kind);
        b.extend(payload);
        b
    }

    #[test]
    fn an_mp4_keeps_its_size_and_offsets_and_its_user_data_becomes_free_space() {
        let udta = iso_box(b"udta", &iso_box(b"\xa9xyz", b"+55.6+012.5/"));
        let trak = iso_box(b"trak", &[iso_box(b"tkhd", &[0; 8]), iso_box(b"meta", b"Pixel 9")].concat());
        let moov = iso_box(b"moov", &[iso_box(b"mvhd", &[1; 8]), trak, udta].concat());
        let file = [iso_box(b"ftyp", b"isom\0\0\0\0"), moov, iso_box(b"mdat", b"frames")].concat();

        let stripped = mp4(file.clone()).unwrap();

        assert_eq!(stripped.len(), file.len());
        assert!(!contains(&stripped, b"+55.6") && !contains(&stripped, b"Pixel 9"));
        assert!(!contains(&stripped, b"udta") && !contains(&stripped, b"meta"));
        assert!(contains(&stripped, b"mdatframes") && contains(&stripped, b"mvhd\x01"));
        assert_eq!(mp4(stripped.clone()).unwrap(), stripped);
    }

    #[test]
    fn a_webm_keeps_its_size_and_its_tags_become_void() {
        let ebml = [0x1A, 0x45, 0xDF, 0xA3, 0x84, b'w', b'e', b'b', b'm'];
        // Tags with an 8-byte size field, as muxers often write it.
        let mut tags = vec![0x12, 0x54, 0xC3, 0x67, 0x01, 0, 0, 0, 0, 0, 0, 0x08];
        tags.extend(b"GPS here");
        let info = [0x15, 0x49, 0xA9, 0x66, 0x82, 1, 2];
        let mut segment = vec![0x18, 0x53, 0x80, 0x67, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        segment.extend(info);
        segment.extend(&tags);
        let file = [&ebml[..], &segment].concat();

        let stripped = webm(file.clone()).unwrap();

        assert_eq!(stripped.len(), file.len());
        assert!(!contains(&stripped, b"GPS here"));
        assert!(contains(&stripped, &info));
        let void_at = file.len() - tags.len();
        assert_eq!(stripped[void_at], VOID);
        let (size, len) = vint(&stripped, void_at + 1, true).unwrap();
        assert_eq!(1 + len + size.unwrap() as usize, tags.len());
    }

    #[test]
    fn void_elements_fill_exactly_the_room_given() {
        for total in 2..300 {
            let v = void_element(total).unwrap();
            assert_eq!(v.len(), total);
            let (size, len) = vint(&v, 1, true).unwrap();
            assert_eq!(1 + len + size.unwrap() as usize, total, "{total}");
        }
        assert_eq!(void_element(1), None);
    }

    proptest! {
        #[test]
        fn any_bytes_get_an_answer_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
            if let Ok(out) = mp4(bytes.clone()) {
                prop_assert_eq!(out.len(), bytes.len());
            }
            if let Ok(out) = webm(bytes.clone()) {
                prop_assert_eq!(out.len(), bytes.len());
            }
            if let Ok(out) = mp3(bytes.clone()) {
                prop_assert!(out.len() <= bytes.len());
            }
        }
    }
}
