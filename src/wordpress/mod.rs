//! WordPress interop: reading WXR exports into hewn and writing hewn out as WXR.

pub mod autop;
pub mod bounds;
pub mod content;
pub mod convert;
pub mod disqus;
pub mod export;
pub mod filetype;
#[cfg(test)]
mod hostile_text;
pub mod html;
pub mod import;
pub mod input;
pub mod links;
pub mod progress;
pub mod records;
pub mod report;
pub mod shortcodes;
pub mod stage;
pub mod summary;
pub mod texturize;
pub mod uploads;
pub mod wxr;
pub mod xml;
