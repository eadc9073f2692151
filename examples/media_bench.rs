//! Processes a 12-megapixel phone-sized JPEG (4000 × 3000, with detail that does not
//! compress away) the way an upload is, and prints the time each run takes and the
//! sizes made: `cargo run --example media_bench` (debug; image crates at opt-level 3,
//! see Cargo.toml) or `cargo run --release --example media_bench`. Peak memory:
//! `/usr/bin/time -v` around it.

use std::io::Cursor;
use std::time::Instant;

use hewn::media::{self, Limits};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

fn main() {
    let (w, h) = (4000u32, 3000u32);
    // Smooth gradients with a fine pattern: roughly what a photo costs to encode.
    let photo = RgbImage::from_fn(w, h, |x, y| {
        let n = (x.wrapping_mul(7919) ^ y.wrapping_mul(104_729)) % 23;
        Rgb([(x * 255 / w) as u8 ^ n as u8, (y * 255 / h) as u8, ((x + y) % 256) as u8])
    });
    let mut jpeg = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(photo).write_to(&mut jpeg, ImageFormat::Jpeg).unwrap_or_else(|e| panic!("{e}"));
    let jpeg = jpeg.into_inner();
    println!("input: {w} × {h} JPEG, {} bytes", jpeg.len());
    for run in 1..=3 {
        let started = Instant::now();
        let done = media::process(jpeg.clone(), &Limits::default(), false).unwrap_or_else(|e| panic!("{e:?}"));
        let took = started.elapsed();
        let sizes: Vec<String> = done.variants.iter().map(|v| format!("{}w {} B", v.width, v.bytes.len())).collect();
        println!("run {run}: {:.2} s; full size {} B; {}", took.as_secs_f64(), done.bytes.len(), sizes.join(", "));
    }
}
