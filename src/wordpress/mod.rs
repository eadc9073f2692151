//! WordPress interop: reading WXR exports into hewn and writing hewn out as WXR.

pub mod autop;
pub mod content;
pub mod export;
pub mod html;
pub mod import;
pub mod input;
pub mod links;
pub mod progress;
pub mod shortcodes;
pub mod stage;
pub mod texturize;
pub mod wxr;
