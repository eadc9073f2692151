//! AVIF images, read without decoding them (hewn has no AV1 decoder, and takes no C
//! one): the size from the primary item's `ispe` property, and metadata removed in
//! place.
//!
//! An AVIF file is a HEIF container: a `meta` box lists items (`iinf`), where their
//! bytes are (`iloc`) and their properties (`iprp`). Exif and XMP are items of their
//! own (type `Exif`, or `mime` with the type `application/rdf+xml`), so they are
//! removed without re-encoding and without moving a byte: each one's payload is
//! overwritten with zeros where `iloc` says it lies, and its item type becomes
//! [`REMOVED_TYPE`], which readers skip as an unknown item. Every offset in the
//! file stays valid, and the picture's bytes are untouched. A file whose metadata
//! cannot be found exactly (an extent "to the end", data in another item) is
//! refused rather than published with it.

/// The item type that removed metadata items get: not a type any reader knows.
pub const REMOVED_TYPE: &[u8; 4] = b"hidn";

/// The content types of `mime` items that carry XMP.
const XMP_TYPES: [&str; 2] = ["application/rdf+xml", "application/xmp+xml"];

/// Most boxes read in one container (a file of many tiny boxes is refused, not walked).
const MAX_BOXES: usize = 10_000;

/// Why an AVIF file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The boxes are damaged, incomplete or not those of an AVIF image.
    Damaged,
    /// Metadata is stored in a way hewn cannot remove exactly.
    Unstrippable,
}

/// A box: its type, and where its payload lies in the file (after the header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BoxAt {
    pub(super) kind: [u8; 4],
    /// Start of the payload in the file.
    pub(super) start: usize,
    /// End of the payload (exclusive) in the file.
    pub(super) end: usize,
    /// Start of the header (its size and type) in the file.
    pub(super) header: usize,
}

/// The boxes in `bytes[from..to]`.
pub(super) fn boxes(bytes: &[u8], from: usize, to: usize) -> Result<Vec<BoxAt>, Error> {
    let mut out = Vec::new();
    let mut at = from;
    while at < to {
        if out.len() >= MAX_BOXES {
            return Err(Error::Damaged);
        }
        let size = u64::from(be_u32(bytes, at)?);
        let kind = four(bytes, at.checked_add(4).ok_or(Error::Damaged)?)?;
        let (start, size) = match size {
            0 => (at.checked_add(8).ok_or(Error::Damaged)?, to.checked_sub(at).ok_or(Error::Damaged)? as u64),
            1 => (at.checked_add(16).ok_or(Error::Damaged)?, be_u64(bytes, at.checked_add(8).ok_or(Error::Damaged)?)?),
            n => (at.checked_add(8).ok_or(Error::Damaged)?, n),
        };
        let end = usize::try_from(size).ok().and_then(|s| at.checked_add(s)).ok_or(Error::Damaged)?;
        if end > to || start > end {
            return Err(Error::Damaged);
        }
        out.push(BoxAt { kind, start, end, header: at });
        at = end;
    }
    Ok(out)
}

fn be_u16(bytes: &[u8], at: usize) -> Result<u16, Error> {
    let b = bytes.get(at..at.checked_add(2).ok_or(Error::Damaged)?).ok_or(Error::Damaged)?;
    Ok(u16::from_be_bytes(b.try_into().map_err(|_| Error::Damaged)?))
}

fn be_u32(bytes: &[u8], at: usize) -> Result<u32, Error> {
    let b = bytes.get(at..at.checked_add(4).ok_or(Error::Damaged)?).ok_or(Error::Damaged)?;
    Ok(u32::from_be_bytes(b.try_into().map_err(|_| Error::Damaged)?))
}

fn be_u64(bytes: &[u8], at: usize) -> Result<u64, Error> {
    let b = bytes.get(at..at.checked_add(8).ok_or(Error::Damaged)?).ok_or(Error::Damaged)?;
    Ok(u64::from_be_bytes(b.try_into().map_err(|_| Error::Damaged)?))
}

/// An unsigned number of `size` bytes (0, 4 or 8, as `iloc` gives them; 2 for indexes).
fn be_sized(bytes: &[u8], at: usize, size: u8) -> Result<u64, Error> {
    match size {
        0 => Ok(0),
        2 => be_u16(bytes, at).map(u64::from),
        4 => be_u32(bytes, at).map(u64::from),
        8 => be_u64(bytes, at),
        _ => Err(Error::Damaged),
    }
}

fn four(bytes: &[u8], at: usize) -> Result<[u8; 4], Error> {
    bytes.get(at..at.checked_add(4).ok_or(Error::Damaged)?).and_then(|b| b.try_into().ok()).ok_or(Error::Damaged)
}

fn byte(bytes: &[u8], at: usize) -> Result<u8, Error> {
    bytes.get(at).copied().ok_or(Error::Damaged)
}

/// A cursor over a box's payload that reads big-endian numbers, failing past its end.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    end: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<usize, Error> {
        let at = self.at;
        let next = at.checked_add(n).ok_or(Error::Damaged)?;
        if next > self.end {
            return Err(Error::Damaged);
        }
        self.at = next;
        Ok(at)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        let at = self.take(1)?;
        byte(self.bytes, at)
    }

    fn u16(&mut self) -> Result<u16, Error> {
        let at = self.take(2)?;
        be_u16(self.bytes, at)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        let at = self.take(4)?;
        be_u32(self.bytes, at)
    }

    fn sized(&mut self, size: u8) -> Result<u64, Error> {
        let at = self.take(usize::from(size))?;
        be_sized(self.bytes, at, size)
    }

    /// A 16-bit number when `short`, else 32-bit (item ids and counts by box version).
    fn id(&mut self, short: bool) -> Result<u32, Error> {
        if short { self.u16().map(u32::from) } else { self.u32() }
    }
}

/// True when `bytes` opens with an `ftyp` box naming AVIF (`avif` or `avis`) as its
/// major brand or, under a HEIF major brand, among its compatible ones.
pub fn is_avif(bytes: &[u8]) -> bool {
    let Ok(first) = boxes_head(bytes) else { return false };
    if &first.kind != b"ftyp" {
        return false;
    }
    let brand = |at: usize| four(bytes, at).ok();
    let major = brand(first.start);
    if matches!(major.as_ref(), Some(b"avif" | b"avis")) {
        return true;
    }
    let heif = matches!(major.as_ref(), Some(b"mif1" | b"msf1" | b"miaf"));
    heif && (first.start.saturating_add(8)..first.end)
        .step_by(4)
        .any(|at| matches!(brand(at).as_ref(), Some(b"avif" | b"avis")))
}

/// The first box of a file.
fn boxes_head(bytes: &[u8]) -> Result<BoxAt, Error> {
    let size = usize::try_from(be_u32(bytes, 0)?).map_err(|_| Error::Damaged)?;
    let kind = four(bytes, 4)?;
    if !(8..=4096).contains(&size) || size > bytes.len() {
        return Err(Error::Damaged);
    }
    Ok(BoxAt { kind, start: 8, end: size, header: 0 })
}

/// Where an item's bytes are (`iloc`): its id, construction method (0: in the
/// file, 1: in `idat`), and extents as offset (from the file's or `idat`'s start)
/// and length.
type Location = (u32, u8, Vec<(u64, u64)>);

/// What the `meta` box says about the image.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Meta {
    /// The primary item.
    primary: Option<u32>,
    /// Each item: id, type, where its type is in the file, and its MIME type.
    items: Vec<(u32, [u8; 4], usize, String)>,
    locations: Vec<Location>,
    /// The `ispe` properties by their index in `ipco` (from 1): width and height.
    sizes: Vec<(usize, u32, u32)>,
    /// Property indexes of each item (`ipma`).
    associations: Vec<(u32, Vec<usize>)>,
    /// The payload of the `idat` box.
    idat: Option<(usize, usize)>,
}

fn read_meta(bytes: &[u8]) -> Result<(Meta, BoxAt), Error> {
    let top = boxes(bytes, 0, bytes.len())?;
    let meta = top.iter().find(|b| &b.kind == b"meta").ok_or(Error::Damaged)?;
    // A full box: version and flags first.
    let inner = boxes(bytes, meta.start.checked_add(4).ok_or(Error::Damaged)?, meta.end)?;
    let mut m = Meta::default();
    for b in &inner {
        let mut r = Reader { bytes, at: b.start, end: b.end };
        match &b.kind {
            b"pitm" => {
                let version = r.u8()?;
                r.take(3)?;
                m.primary = Some(r.id(version == 0)?);
            }
            b"iinf" => {
                let version = r.u8()?;
                r.take(3)?;
                r.id(version == 0)?;
                for infe in boxes(bytes, r.at, b.end)?.iter().filter(|x| &x.kind == b"infe") {
                    let mut e = Reader { bytes, at: infe.start, end: infe.end };
                    let version = e.u8()?;
                    e.take(3)?;
                    if version < 2 {
                        // Old item entries carry no type: neither Exif nor XMP.
                        continue;
                    }
                    let id = e.id(version == 2)?;
                    e.u16()?;
                    let type_at = e.take(4)?;
                    let kind = four(bytes, type_at)?;
                    let mut mime = String::new();
                    if &kind == b"mime" {
                        // item_name, then content_type: strings ending in NUL.
                        let rest = bytes.get(e.at..infe.end).unwrap_or_default();
                        let mut parts = rest.split(|c| *c == 0);
                        parts.next();
                        mime = String::from_utf8_lossy(parts.next().unwrap_or_default()).trim().to_ascii_lowercase();
                    }
                    m.items.push((id, kind, type_at, mime));
                }
            }
            b"iloc" => m.locations = read_iloc(bytes, b)?,
            b"iprp" => {
                for child in boxes(bytes, b.start, b.end)? {
                    match &child.kind {
                        b"ipco" => {
                            for (i, p) in boxes(bytes, child.start, child.end)?.iter().enumerate() {
                                if &p.kind == b"ispe" {
                                    let mut s = Reader { bytes, at: p.start, end: p.end };
                                    s.take(4)?;
                                    let (w, h) = (s.u32()?, s.u32()?);
                                    m.sizes.push((i + 1, w, h));
                                }
                            }
                        }
                        b"ipma" => m.associations.extend(read_ipma(bytes, &child)?),
                        _ => {}
                    }
                }
            }
            b"idat" => m.idat = Some((b.start, b.end)),
            _ => {}
        }
    }
    Ok((m, *meta))
}

fn read_iloc(bytes: &[u8], b: &BoxAt) -> Result<Vec<Location>, Error> {
    let mut r = Reader { bytes, at: b.start, end: b.end };
    let version = r.u8()?;
    if version > 2 {
        return Err(Error::Damaged);
    }
    r.take(3)?;
    let sizes = r.u8()?;
    let (offset_size, length_size) = (sizes >> 4, sizes & 0x0F);
    let more = r.u8()?;
    let base_size = more >> 4;
    let index_size = if version > 0 { more & 0x0F } else { 0 };
    let count = r.id(version < 2)?;
    let mut out = Vec::new();
    for _ in 0..count {
        let id = r.id(version < 2)?;
        let method = if version > 0 { (r.u16()? & 0x0F) as u8 } else { 0 };
        r.u16()?;
        let base = r.sized(base_size)?;
        let extents = r.u16()?;
        let mut list = Vec::new();
        for _ in 0..extents {
            if index_size > 0 {
                r.sized(index_size)?;
            }
            let offset = r.sized(offset_size)?;
            let length = r.sized(length_size)?;
            list.push((base.checked_add(offset).ok_or(Error::Damaged)?, length));
        }
        out.push((id, method, list));
    }
    Ok(out)
}

fn read_ipma(bytes: &[u8], b: &BoxAt) -> Result<Vec<(u32, Vec<usize>)>, Error> {
    let mut r = Reader { bytes, at: b.start, end: b.end };
    let version = r.u8()?;
    r.take(2)?;
    let flags = r.u8()?;
    let count = r.u32()?;
    let mut out = Vec::new();
    for _ in 0..count {
        let id = r.id(version < 1)?;
        let n = r.u8()?;
        let mut props = Vec::new();
        for _ in 0..n {
            // The top bit says whether the property is essential.
            let index = if flags & 1 == 1 { usize::from(r.u16()? & 0x7FFF) } else { usize::from(r.u8()? & 0x7F) };
            props.push(index);
        }
        out.push((id, props));
    }
    Ok(out)
}

/// The width and height of an AVIF image: the primary item's `ispe`. `largest` is
/// the most pixels any `ispe` of the file declares (the limit applies to it, so a
/// small primary item cannot hide a huge one).
pub fn size(bytes: &[u8]) -> Result<((u32, u32), u64), Error> {
    let (m, _) = read_meta(bytes)?;
    let largest = m.sizes.iter().map(|(_, w, h)| u64::from(*w) * u64::from(*h)).max().ok_or(Error::Damaged)?;
    let primary = m.primary.ok_or(Error::Damaged)?;
    let props = m.associations.iter().find(|(id, _)| *id == primary).map(|(_, p)| p.as_slice()).unwrap_or_default();
    let (_, w, h) = m.sizes.iter().find(|(i, _, _)| props.contains(i)).ok_or(Error::Damaged)?;
    if *w == 0 || *h == 0 {
        return Err(Error::Damaged);
    }
    Ok(((*w, *h), largest))
}

/// `bytes` with the payload of every Exif and XMP item overwritten with zeros and
/// the items' type changed to [`REMOVED_TYPE`] (see the module documentation).
pub fn strip(mut bytes: Vec<u8>) -> Result<Vec<u8>, Error> {
    let (m, _) = read_meta(&bytes)?;
    for (id, kind, type_at, mime) in &m.items {
        let metadata = kind == b"Exif" || (kind == b"mime" && XMP_TYPES.contains(&mime.as_str()));
        if !metadata {
            continue;
        }
        // An item with no location has no bytes; one listed twice is refused below.
        let mut located = m.locations.iter().filter(|(item, ..)| item == id);
        if let Some((_, method, extents)) = located.next() {
            if located.next().is_some() {
                return Err(Error::Unstrippable);
            }
            let base = match method {
                0 => 0,
                1 => m.idat.map(|(start, _)| start).ok_or(Error::Unstrippable)?,
                _ => return Err(Error::Unstrippable),
            };
            let limit = match method {
                1 => m.idat.map_or(0, |(_, end)| end),
                _ => bytes.len(),
            };
            for (offset, length) in extents {
                // A length of 0 means "to the end of the data": never metadata's shape.
                let from = usize::try_from(*offset).ok().and_then(|o| o.checked_add(base));
                let to = from.zip(usize::try_from(*length).ok()).and_then(|(f, l)| f.checked_add(l));
                match (from, to) {
                    (Some(from), Some(to)) if *length > 0 && to <= limit => {
                        bytes.get_mut(from..to).ok_or(Error::Damaged)?.fill(0);
                    }
                    _ => return Err(Error::Unstrippable),
                }
            }
        }
        bytes.get_mut(*type_at..type_at.saturating_add(4)).ok_or(Error::Damaged)?.copy_from_slice(REMOVED_TYPE);
    }
    Ok(bytes)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const PHONE: &[u8] = include_bytes!("../../tests/fixtures/media/phone-exif-xmp.avif");

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_real_avif_is_recognised_and_measured_from_its_ispe() {
        assert!(is_avif(PHONE));
        assert_eq!(size(PHONE), Ok(((32, 16), 512)));
        assert!(!is_avif(b"\0\0\0\x18ftypmp42\0\0\0\0isom"));
    }

    #[test]
    fn exif_and_xmp_are_zeroed_in_place_and_the_picture_is_untouched() {
        assert!(contains(PHONE, b"SERIAL-4242") && contains(PHONE, b"SecretPhone"));
        let stripped = strip(PHONE.to_vec()).unwrap();
        assert_eq!(stripped.len(), PHONE.len());
        for needle in [&b"SERIAL-4242"[..], b"SecretPhone", b"II*\0", b"GPSLatitude", b"ExifExif"] {
            assert!(!contains(&stripped, needle), "{:?} left", String::from_utf8_lossy(needle));
        }
        // Still a valid AVIF of the same size; the image item's bytes are the same.
        assert_eq!(size(&stripped), Ok(((32, 16), 512)));
        let (m, _) = read_meta(&stripped).unwrap();
        let types: Vec<[u8; 4]> = m.items.iter().map(|(_, k, ..)| *k).collect();
        assert_eq!(types, [*b"av01", *REMOVED_TYPE, *REMOVED_TYPE]);
        let differing: Vec<usize> = (0..PHONE.len()).filter(|i| PHONE[*i] != stripped[*i]).collect();
        let (image_at, image_len) = {
            let (_, _, extents) = m.locations.iter().find(|(id, ..)| *id == 1).unwrap();
            (extents[0].0 as usize, extents[0].1 as usize)
        };
        assert!(differing.iter().all(|i| !(image_at..image_at + image_len).contains(i)));
        // Stripping again changes nothing.
        assert_eq!(strip(stripped.clone()).unwrap(), stripped);
    }

    proptest! {
        #[test]
        fn any_bytes_get_an_answer_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = is_avif(&bytes);
            let _ = size(&bytes);
            let _ = strip(bytes);
        }

        #[test]
        fn a_damaged_real_file_gets_an_answer_never_a_panic(
            at in 0..PHONE.len(), value in any::<u8>(), cut in 0..=PHONE.len()
        ) {
            let mut bytes = PHONE.to_vec();
            bytes[at] = value;
            bytes.truncate(cut);
            let _ = size(&bytes);
            if let Ok(stripped) = strip(bytes.clone()) {
                prop_assert_eq!(stripped.len(), bytes.len());
            }
        }
    }
}
