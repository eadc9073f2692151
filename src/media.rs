//! Uploaded files: what a file is, recognised by its bytes (never by its name or the
//! browser's word), and images made safe to publish: turned upright by their EXIF
//! orientation, re-encoded without any metadata, and resized for `srcset`.
//!
//! JPEG and PNG are decoded once and re-encoded (JPEG at [`JPEG_QUALITY`]) with
//! variants at [`VARIANT_WIDTHS`] narrower than the original; a PNG also gets a
//! lossless WebP copy of each size where that is smaller. GIF is re-encoded frame by
//! frame (animations kept, comments and application blocks dropped). WebP keeps its
//! pixels untouched and loses its `EXIF` and `XMP ` chunks. MP3, MP4, M4A and
//! WebM lose their tags without re-encoding (see [`tags`]); PDF and Ogg are stored
//! as they are. SVG and HTML are refused: they can carry script. AVIF is not
//! decoded (no well-kept pure-Rust decoder exists): its size is read from its
//! header, its Exif and XMP are blanked in place (see [`avif`]), and it is served
//! as the one full-size version, without variants.

pub mod avif;
pub mod tags;

use std::io::Cursor;
use std::sync::LazyLock;

use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader};
use tokio::sync::Semaphore;

/// Widths of the resized copies of an image, in pixels (only those narrower than it).
pub const VARIANT_WIDTHS: [u32; 4] = [480, 960, 1600, 2400];
/// JPEG quality of re-encoded photos.
pub const JPEG_QUALITY: u8 = 85;
/// Default largest file, in MiB.
pub const DEFAULT_MAX_FILE_MIB: u64 = 32;
/// Default most pixels of an image, in megapixels.
pub const DEFAULT_MAX_MEGAPIXELS: u64 = 50;
/// Default most files in one upload.
pub const DEFAULT_MAX_FILES: usize = 20;

/// Limits on uploads (flags `--media-max-file-mib`, `--media-max-megapixels`,
/// `--media-max-files`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_pixels: u64,
    pub max_files: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: DEFAULT_MAX_FILE_MIB * 1024 * 1024,
            max_pixels: DEFAULT_MAX_MEGAPIXELS * 1_000_000,
            max_files: DEFAULT_MAX_FILES,
        }
    }
}

impl Limits {
    /// The largest request body an upload of `max_files` files at the limit may
    /// have (with room for the form's other fields and the multipart framing).
    pub fn request_bytes(&self) -> usize {
        let files = self.max_file_bytes.saturating_mul(self.max_files as u64);
        usize::try_from(files.saturating_add(1024 * 1024)).unwrap_or(usize::MAX)
    }
}

/// Images processed at once: the rest wait, so that uploads cannot take every core
/// from page requests.
static PROCESSING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    Semaphore::new((cores / 2).max(1))
});

/// A type hewn accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Gif,
    Webp,
    Avif,
    Pdf,
    Mp3,
    M4a,
    Ogg,
    Mp4,
    Webm,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
            Self::Avif => "image/avif",
            Self::Pdf => "application/pdf",
            Self::Mp3 => "audio/mpeg",
            Self::M4a => "audio/mp4",
            Self::Ogg => "audio/ogg",
            Self::Mp4 => "video/mp4",
            Self::Webm => "video/webm",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Gif => "gif",
            Self::Webp => "webp",
            Self::Avif => "avif",
            Self::Pdf => "pdf",
            Self::Mp3 => "mp3",
            Self::M4a => "m4a",
            Self::Ogg => "ogg",
            Self::Mp4 => "mp4",
            Self::Webm => "webm",
        }
    }

    fn image_format(self) -> Option<ImageFormat> {
        match self {
            Self::Jpeg => Some(ImageFormat::Jpeg),
            Self::Png => Some(ImageFormat::Png),
            Self::Gif => Some(ImageFormat::Gif),
            Self::Webp => Some(ImageFormat::WebP),
            _ => None,
        }
    }
}

/// Why a file was refused, with the status it is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// 413: larger than a limit (bytes or pixels).
    TooLarge(String),
    /// 415: not a type hewn accepts.
    Unsupported(String),
    /// 422: the type is accepted but the file is damaged or incomplete.
    Invalid(String),
}

impl Refusal {
    pub fn status(&self) -> u16 {
        match self {
            Self::TooLarge(_) => 413,
            Self::Unsupported(_) => 415,
            Self::Invalid(_) => 422,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Self::TooLarge(m) | Self::Unsupported(m) | Self::Invalid(m) => m,
        }
    }
}

/// What a file is, from its first bytes.
pub fn sniff(bytes: &[u8]) -> Result<Kind, Refusal> {
    let at = |i: usize, n: usize| bytes.get(i..i + n).unwrap_or_default();
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Kind::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Kind::Png);
    }
    if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        return Ok(Kind::Gif);
    }
    if bytes.starts_with(b"RIFF") && at(8, 4) == b"WEBP" {
        return Ok(Kind::Webp);
    }
    if bytes.starts_with(b"%PDF-") {
        return Ok(Kind::Pdf);
    }
    if bytes.starts_with(b"OggS") {
        return Ok(Kind::Ogg);
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return if bytes.iter().take(64).collect::<Vec<_>>().windows(4).any(|w| w == [&b'w', &b'e', &b'b', &b'm']) {
            Ok(Kind::Webm)
        } else {
            Err(Refusal::Unsupported("This Matroska file is not WebM; only WebM video is accepted.".into()))
        };
    }
    if avif::is_avif(bytes) {
        return Ok(Kind::Avif);
    }
    if at(4, 4) == b"ftyp" {
        return match at(8, 4) {
            b"avif" | b"avis" => Err(Refusal::Invalid("This AVIF image is damaged or incomplete.".into())),
            b"M4A " | b"M4B " => Ok(Kind::M4a),
            b"isom" | b"iso2" | b"iso4" | b"iso5" | b"iso6" | b"mp41" | b"mp42" | b"avc1" | b"M4V " | b"dash" => {
                Ok(Kind::Mp4)
            }
            _ => Err(Refusal::Unsupported("This MPEG-4 family file is not MP4 video or M4A audio.".into())),
        };
    }
    if bytes.starts_with(b"ID3") || (at(0, 1) == [0xFF] && at(1, 1).first().is_some_and(|b| b & 0xE0 == 0xE0)) {
        return Ok(Kind::Mp3);
    }
    if looks_like_markup(bytes) {
        return Err(Refusal::Unsupported(
            "SVG and HTML files are refused: they can run script in the site's pages.".into(),
        ));
    }
    Err(Refusal::Unsupported(
        "This type of file is not accepted: upload JPEG, PNG, GIF, WebP or AVIF images, PDF, MP3, M4A or Ogg audio, \
         or MP4 or WebM video."
            .into(),
    ))
}

/// True for text starting with `<` after a byte order mark and white space (SVG,
/// HTML, XML).
fn looks_like_markup(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<')
}

/// A file made from an upload besides its main one.
#[derive(Debug, Clone)]
pub struct Variant {
    pub kind: VariantKind,
    pub width: u32,
    pub height: u32,
    pub content_type: &'static str,
    pub extension: &'static str,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VariantKind {
    Resized,
    Webp,
    Original,
}

impl VariantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Resized => "resized",
            Self::Webp => "webp",
            Self::Original => "original",
        }
    }
}

/// An upload made ready to store: the file the public gets, and its variants.
#[derive(Debug, Clone)]
pub struct Processed {
    pub kind: Kind,
    /// Pixels, for images.
    pub size: Option<(u32, u32)>,
    pub bytes: Vec<u8>,
    pub variants: Vec<Variant>,
}

/// [`process`] on the blocking pool, at most a few at a time.
pub async fn process_bounded(bytes: Vec<u8>, limits: Limits, keep_original: bool) -> Result<Processed, Refusal> {
    let _permit = PROCESSING.acquire().await.map_err(|_| Refusal::Invalid("The server is shutting down.".into()))?;
    tokio::task::spawn_blocking(move || process(bytes, &limits, keep_original))
        .await
        .unwrap_or_else(|_| Err(Refusal::Invalid("This image could not be processed.".into())))
}

/// Checks an upload and makes it ready to publish (see the module documentation).
pub fn process(bytes: Vec<u8>, limits: &Limits, keep_original: bool) -> Result<Processed, Refusal> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(too_large(limits));
    }
    let kind = sniff(&bytes)?;
    if kind == Kind::Avif {
        return avif_image(bytes, limits, keep_original);
    }
    let Some(format) = kind.image_format() else {
        let bytes = without_tags(kind, bytes)?;
        return Ok(Processed { kind, size: None, bytes, variants: Vec::new() });
    };
    let (width, height) = header_size(&bytes, format)?;
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refusal::TooLarge(format!(
            "This image has {width} × {height} pixels; at most {} megapixels are accepted.",
            limits.max_pixels / 1_000_000
        )));
    }
    let mut processed = match kind {
        Kind::Jpeg | Kind::Png => still_image(&bytes, kind, limits)?,
        Kind::Gif => gif(&bytes, limits, (width, height))?,
        _ => {
            Processed { kind, size: Some((width, height)), bytes: webp_without_metadata(&bytes)?, variants: Vec::new() }
        }
    };
    if keep_original {
        // The upload itself, moved rather than copied.
        processed.variants.push(Variant {
            kind: VariantKind::Original,
            width,
            height,
            content_type: kind.content_type(),
            extension: kind.extension(),
            bytes,
        });
    }
    Ok(processed)
}

/// An AVIF image: measured from its header (the pixel limit applies to the
/// largest picture it declares), its metadata blanked, served as it is otherwise.
fn avif_image(bytes: Vec<u8>, limits: &Limits, keep_original: bool) -> Result<Processed, Refusal> {
    let ((width, height), largest) = avif::size(&bytes).map_err(|_| damaged())?;
    if largest > limits.max_pixels {
        return Err(too_many_pixels(width, height, limits));
    }
    let original = keep_original.then(|| bytes.clone());
    let stripped = avif::strip(bytes).map_err(|e| match e {
        avif::Error::Damaged => damaged(),
        avif::Error::Unstrippable => Refusal::Invalid(
            "This AVIF image keeps its metadata in a way hewn cannot remove, so it was not accepted. \
             Export it again, or as JPEG or WebP."
                .into(),
        ),
    })?;
    let variants = original
        .map(|bytes| Variant {
            kind: VariantKind::Original,
            width,
            height,
            content_type: Kind::Avif.content_type(),
            extension: Kind::Avif.extension(),
            bytes,
        })
        .into_iter()
        .collect();
    Ok(Processed { kind: Kind::Avif, size: Some((width, height)), bytes: stripped, variants })
}

fn too_many_pixels(width: u32, height: u32, limits: &Limits) -> Refusal {
    Refusal::TooLarge(format!(
        "This image has {width} × {height} pixels; at most {} megapixels are accepted.",
        limits.max_pixels / 1_000_000
    ))
}

/// Audio and video without their tags (see [`tags`]); PDF and Ogg as they are.
fn without_tags(kind: Kind, bytes: Vec<u8>) -> Result<Vec<u8>, Refusal> {
    let stripped = match kind {
        Kind::Mp3 => tags::mp3(bytes),
        Kind::M4a | Kind::Mp4 => tags::mp4(bytes),
        Kind::Webm => tags::webm(bytes),
        _ => Ok(bytes),
    };
    stripped.map_err(|_| Refusal::Invalid("This file is damaged or incomplete, so it could not be read.".into()))
}

fn too_large(limits: &Limits) -> Refusal {
    Refusal::TooLarge(format!(
        "This file is larger than {} MiB, the most accepted.",
        limits.max_file_bytes / 1024 / 1024
    ))
}

fn damaged() -> Refusal {
    Refusal::Invalid("This image is damaged or incomplete, so it could not be read.".into())
}

/// An image's size from its header, before any pixel is decoded.
fn header_size(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), Refusal> {
    ImageReader::with_format(Cursor::new(bytes), format).into_dimensions().map_err(|_| damaged())
}

fn decoder_limits(limits: &Limits) -> image::Limits {
    let mut l = image::Limits::default();
    // Four bytes a pixel, and room for the decoder's own buffers.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 * 1024 * 1024));
    l
}

/// A JPEG or PNG: decoded once, turned upright, re-encoded in its own format and resized.
fn still_image(bytes: &[u8], kind: Kind, limits: &Limits) -> Result<Processed, Refusal> {
    let format = kind.image_format().ok_or_else(damaged)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|_| damaged())?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| damaged())?;
    picture.apply_orientation(orientation);
    if kind == Kind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(damaged());
    }
    let (width, height) = (picture.width(), picture.height());
    let main = encode(&picture, kind)?;
    let mut variants = Vec::new();
    if kind == Kind::Png {
        push_webp_if_smaller(&mut variants, &picture, main.len())?;
    }
    // Each size is made from the next larger one: quicker, and as sharp.
    let mut source = picture;
    let mut resizer = fast_image_resize::Resizer::new();
    for &w in VARIANT_WIDTHS.iter().rev().filter(|&&w| w < width) {
        let h = scaled_height(width, height, w);
        let smaller = shrink(&mut resizer, &source, w, h);
        let bytes = encode(&smaller, kind)?;
        if kind == Kind::Png {
            push_webp_if_smaller(&mut variants, &smaller, bytes.len())?;
        }
        variants.push(Variant {
            kind: VariantKind::Resized,
            width: w,
            height: h,
            content_type: kind.content_type(),
            extension: kind.extension(),
            bytes,
        });
        source = smaller;
    }
    Ok(Processed { kind, size: Some((width, height)), bytes: main, variants })
}

/// `picture` resized to `width` × `height` with a triangle (bilinear) filter:
/// `fast_image_resize`'s SIMD convolution, several times quicker than `image`'s
/// own on a phone photo, which it falls back on for a layout it does not take.
fn shrink(resizer: &mut fast_image_resize::Resizer, picture: &DynamicImage, width: u32, height: u32) -> DynamicImage {
    use fast_image_resize::{ResizeAlg, ResizeOptions};
    let mut out = DynamicImage::new(width, height, picture.color());
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(fast_image_resize::FilterType::Bilinear));
    match resizer.resize(picture, &mut out, &options) {
        Ok(()) => out,
        Err(_) => picture.resize_exact(width, height, FilterType::Triangle),
    }
}

/// A JPEG ends with its end-of-image marker (a camera may append other data after
/// it, so it is looked for, not required last).
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    bytes.windows(2).skip(2).any(|w| w == [0xFF, 0xD9])
}

/// The height of an image `width` × `height` scaled to `to` pixels wide (at least 1).
pub fn scaled_height(width: u32, height: u32, to: u32) -> u32 {
    let h = (u64::from(height) * u64::from(to) + u64::from(width) / 2) / u64::from(width.max(1));
    u32::try_from(h).unwrap_or(u32::MAX).max(1)
}

fn encode(picture: &DynamicImage, kind: Kind) -> Result<Vec<u8>, Refusal> {
    let failed = || Refusal::Invalid("This image could not be re-encoded.".into());
    let mut out = Vec::new();
    if kind != Kind::Jpeg {
        picture.write_with_encoder(PngEncoder::new(&mut out)).map_err(|_| failed())?;
        return Ok(out);
    }
    // `jpeg-encoder` writes a bare JFIF file (no EXIF, no XMP) several times faster
    // than `image`'s own encoder.
    let converted;
    let rgb = match picture.as_rgb8() {
        Some(rgb) => rgb,
        None => {
            converted = picture.to_rgb8();
            &converted
        }
    };
    let (Ok(w), Ok(h)) = (u16::try_from(rgb.width()), u16::try_from(rgb.height())) else { return Err(failed()) };
    jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
        .encode(rgb.as_raw(), w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|_| failed())?;
    Ok(out)
}

fn push_webp_if_smaller(variants: &mut Vec<Variant>, picture: &DynamicImage, than: usize) -> Result<(), Refusal> {
    let mut out = Vec::new();
    let rgba = DynamicImage::ImageRgba8(picture.to_rgba8());
    if rgba.write_with_encoder(WebPEncoder::new_lossless(&mut out)).is_ok() && out.len() < than {
        variants.push(Variant {
            kind: VariantKind::Webp,
            width: picture.width(),
            height: picture.height(),
            content_type: "image/webp",
            extension: "webp",
            bytes: out,
        });
    }
    Ok(())
}

/// A GIF re-encoded frame by frame: the animation stays, comments and application
/// extensions (where XMP hides) go.
fn gif(bytes: &[u8], limits: &Limits, size: (u32, u32)) -> Result<Processed, Refusal> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes)).map_err(|_| damaged())?;
    decoder.set_limits(decoder_limits(limits)).map_err(|_| too_large(limits))?;
    let frames = decoder.into_frames().collect_frames().map_err(|_| damaged())?;
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut out);
        encoder.set_repeat(Repeat::Infinite).map_err(|_| damaged())?;
        encoder.encode_frames(frames).map_err(|_| damaged())?;
    }
    Ok(Processed { kind: Kind::Gif, size: Some(size), bytes: out, variants: Vec::new() })
}

/// A WebP file without its `EXIF` and `XMP ` chunks (and their flags in `VP8X`);
/// the image data is left as it is.
fn webp_without_metadata(bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let body = bytes.get(12..).ok_or_else(damaged)?;
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(b"RIFF\0\0\0\0WEBP");
    let mut rest = body;
    while !rest.is_empty() {
        let (head, after) = rest.split_at_checked(8).ok_or_else(damaged)?;
        let (fourcc, len) = head.split_at_checked(4).ok_or_else(damaged)?;
        let len = u32::from_le_bytes(len.try_into().map_err(|_| damaged())?) as usize;
        let padded = len + (len & 1);
        let data = after.get(..len).ok_or_else(damaged)?;
        rest = after.get(padded..).unwrap_or_default();
        match fourcc {
            b"EXIF" | b"XMP " => continue,
            b"VP8X" => {
                out.extend_from_slice(head);
                let mut data = data.to_vec();
                if let Some(flags) = data.first_mut() {
                    // Clear the EXIF (0x08) and XMP (0x04) flags.
                    *flags &= !0x0C;
                }
                out.extend_from_slice(&data);
            }
            _ => {
                out.extend_from_slice(head);
                out.extend_from_slice(data);
            }
        }
        if len & 1 == 1 {
            out.push(0);
        }
    }
    let riff_len = u32::try_from(out.len() - 8).map_err(|_| damaged())?;
    if let Some(len) = out.get_mut(4..8) {
        len.copy_from_slice(&riff_len.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_recognised_by_their_bytes() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0rest"), Ok(Kind::Jpeg));
        assert_eq!(sniff(b"%PDF-1.7"), Ok(Kind::Pdf));
        assert_eq!(sniff(b"ID3\x04"), Ok(Kind::Mp3));
        assert_eq!(sniff(b"\0\0\0\x20ftypM4A \0"), Ok(Kind::M4a));
        assert_eq!(sniff(b"\0\0\0\x20ftypisom\0"), Ok(Kind::Mp4));
        assert_eq!(sniff(b"\x1A\x45\xDF\xA3\x9f\x42\x82\x84webm"), Ok(Kind::Webm));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif").map_err(|r| r.status()), Err(422));
        assert_eq!(sniff(include_bytes!("../tests/fixtures/media/phone-exif-xmp.avif")), Ok(Kind::Avif));
        assert_eq!(sniff(b"\xEF\xBB\xBF  <svg onload=alert(1)>").map_err(|r| r.status()), Err(415));
        assert_eq!(sniff(b"hello").map_err(|r| r.status()), Err(415));
    }

    #[test]
    fn heights_keep_the_aspect_ratio() {
        assert_eq!(scaled_height(4000, 3000, 480), 360);
        assert_eq!(scaled_height(3000, 1, 480), 1);
    }
}
