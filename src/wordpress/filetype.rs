//! Whether a file's first bytes are of the type its name claims: an uploads file is
//! served with the content type of its extension, so a `.jpg` must hold a JPEG.

/// How many leading bytes [`matches`] looks at.
pub const HEAD_BYTES: usize = 4096;

/// True when `head` (the first bytes of a file, up to [`HEAD_BYTES`]) is of the type
/// `content_type` names. Types without a signature (unknown files, served as
/// downloads) always match.
pub fn matches(content_type: &str, head: &[u8]) -> bool {
    let at = |offset: usize, magic: &[u8]| head.get(offset..offset + magic.len()) == Some(magic);
    let riff = |form: &[u8]| at(0, b"RIFF") && at(8, form);
    match content_type {
        "image/jpeg" => at(0, &[0xFF, 0xD8, 0xFF]),
        "image/png" => at(0, b"\x89PNG\r\n\x1a\n"),
        "image/gif" => at(0, b"GIF87a") || at(0, b"GIF89a"),
        "image/webp" => riff(b"WEBP"),
        "image/avif" => ftyp_brands(head).is_some_and(|b| b.iter().any(|b| matches!(*b, b"avif" | b"avis"))),
        "image/heic" => ftyp_brands(head).is_some(),
        "image/bmp" => at(0, b"BM"),
        "image/x-icon" => at(0, &[0, 0, 1, 0]),
        "image/tiff" => at(0, b"II*\0") || at(0, b"MM\0*"),
        "image/svg+xml" => is_text(head) && contains_ci(head, b"<svg"),
        "application/pdf" => contains_ci(head.get(..1024).unwrap_or(head), b"%PDF-"),
        "audio/mpeg" => at(0, b"ID3") || head.first() == Some(&0xFF) && head.get(1).is_some_and(|b| b & 0xE0 == 0xE0),
        "audio/mp4" | "video/mp4" | "video/quicktime" => iso_media(head),
        "audio/ogg" | "video/ogg" => at(0, b"OggS"),
        "audio/wav" => riff(b"WAVE"),
        "audio/flac" => at(0, b"fLaC") || at(0, b"ID3"),
        "video/webm" => at(0, &[0x1A, 0x45, 0xDF, 0xA3]),
        "application/zip"
        | "application/epub+zip"
        | "application/vnd.oasis.opendocument.text"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        | "application/vnd.openxmlformats-officedocument.presentationml.presentation" => {
            at(0, b"PK\x03\x04") || at(0, b"PK\x05\x06")
        }
        "application/msword" | "application/vnd.ms-excel" | "application/vnd.ms-powerpoint" => {
            at(0, &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
        }
        t if t.starts_with("text/") => is_text(head),
        _ => true,
    }
}

/// What a file of `content_type` is called in a report.
pub fn label(content_type: &str) -> &str {
    match content_type {
        "image/jpeg" => "JPEG image",
        "image/png" => "PNG image",
        "image/gif" => "GIF image",
        "image/webp" => "WebP image",
        "image/avif" => "AVIF image",
        "image/svg+xml" => "SVG image",
        "application/pdf" => "PDF document",
        "audio/mpeg" => "MP3 file",
        "video/mp4" => "MP4 video",
        t if t.starts_with("text/") => "text file",
        t => t,
    }
}

/// The brands of an ISO media file's leading `ftyp` box (major, then compatible).
fn ftyp_brands(head: &[u8]) -> Option<Vec<&[u8]>> {
    if head.get(4..8)? != b"ftyp" {
        return None;
    }
    let size = u32::from_be_bytes(head.get(..4)?.try_into().ok()?);
    let body = head.get(8..usize::try_from(size).ok()?.min(head.len()))?;
    let major = body.get(..4)?;
    let compatible = body.get(8..).unwrap_or_default().chunks_exact(4);
    Some(std::iter::once(major).chain(compatible).collect())
}

/// An MP4 or QuickTime file: it opens with one of the boxes such files open with.
fn iso_media(head: &[u8]) -> bool {
    matches!(head.get(4..8), Some(b"ftyp" | b"moov" | b"mdat" | b"free" | b"skip" | b"wide" | b"pnot"))
}

/// Text: no NUL byte, unless it is UTF-16 (which opens with a byte order mark).
fn is_text(head: &[u8]) -> bool {
    !head.contains(&0) || head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF])
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_match_the_type_their_name_claims_by_their_first_bytes() {
        assert!(matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]));
        assert!(matches("image/png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"));
        assert!(matches("image/gif", b"GIF89a\x01\0"));
        assert!(matches("image/webp", b"RIFF\x24\0\0\0WEBPVP8 "));
        assert!(matches("image/avif", b"\0\0\0\x20ftypavif\0\0\0\0avifmif1miafMA1B"));
        assert!(matches("image/avif", b"\0\0\0\x1cftypmif1\0\0\0\0mif1avifmiaf"));
        assert!(matches("application/pdf", b"%PDF-1.7\n"));
        assert!(matches("audio/mpeg", b"ID3\x04\0"));
        assert!(matches("audio/mpeg", &[0xFF, 0xFB, 0x90, 0x64]));
        assert!(matches("video/mp4", b"\0\0\0\x18ftypmp42"));
        assert!(matches("text/plain; charset=utf-8", "Plain notes\n".as_bytes()));
        assert!(matches("application/octet-stream", b"\0anything"));
    }

    #[test]
    fn files_whose_bytes_are_of_another_type_do_not_match() {
        let passwd = b"root:x:0:0:root:/root:/bin/bash\n";
        for t in ["image/jpeg", "image/png", "image/gif", "image/webp", "image/avif", "application/pdf", "video/mp4"] {
            assert!(!matches(t, passwd), "{t}");
            assert!(!matches(t, b""), "{t}");
        }
        assert!(!matches("image/png", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(!matches("image/avif", b"\0\0\0\x18ftypmp42\0\0\0\0isom"));
        assert!(!matches("image/svg+xml", b"<html><script>alert(1)</script>"));
        assert!(!matches("text/plain; charset=utf-8", b"\x7fELF\x02\x01\x01\0\0"));
    }
}
