//! Processes a 12-megapixel phone-sized JPEG (4000 × 3000, with detail that does not
//! compress away) the way an upload is, and prints the time each run takes and the
//! sizes made: `cargo run --example media_bench` (debug; image crates at opt-level 3,
//! see Cargo.toml) or `cargo run --release --example media_bench`. Peak memory:
//! `/usr/bin/time -v` around it. With `--out DIR`, the files made by the last run
//! are written there (`full.jpg`, `480.jpg`, …), for `bench/media.py` to serve.

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
    let out = std::env::args().skip_while(|a| a != "--out").nth(1);
    let mut last = None;
    for run in 1..=3 {
        let (started, cpu_before) = (Instant::now(), cpu_seconds());
        let done = media::process(jpeg.clone(), &Limits::default(), false).unwrap_or_else(|e| panic!("{e:?}"));
        let (took, cpu) = (started.elapsed(), cpu_seconds() - cpu_before);
        let sizes: Vec<String> = done.variants.iter().map(|v| format!("{}w {} B", v.width, v.bytes.len())).collect();
        println!(
            "run {run}: {:.2} s ({cpu:.2} s of CPU); full size {} B; {}",
            took.as_secs_f64(),
            done.bytes.len(),
            sizes.join(", ")
        );
        last = Some(done);
    }
    if let (Some(dir), Some(done)) = (out, last) {
        let write = |name: String, bytes: &[u8]| {
            std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap_or_else(|e| panic!("{e}"))
        };
        write(format!("full.{}", done.kind.extension()), &done.bytes);
        for v in &done.variants {
            write(format!("{}.{}", v.width, v.extension), &v.bytes);
        }
    }
}

/// CPU time this process has used (Linux: `/proc/self/stat`, in clock ticks of 10 ms),
/// so that a run on a busy machine can be told from a slow one; 0 elsewhere.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
