//! What reading an export found besides its rows: items and comments left out, and
//! things imported differently from the file, each with the lines where they are.

use std::collections::BTreeMap;

use super::wxr::Site;

/// How many example lines a summary keeps per reason.
const EXAMPLE_LINES: usize = 8;

/// How often something happened, with the first few lines where it did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub lines: Vec<u64>,
}

/// What reading the file found, beyond the rows themselves.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub site: Site,
    /// The file was a Disqus export (threads and comments, no site).
    pub disqus: bool,
    pub items: u64,
    pub comments: u64,
    pub attachments: u64,
    /// Items and comments left out, by reason.
    pub skipped: BTreeMap<String, Tally>,
    /// Things imported differently from the file, by what happened.
    pub notes: BTreeMap<String, Tally>,
}

impl Report {
    pub fn skip(&mut self, line: u64, reason: impl Into<String>) {
        bump(self.skipped.entry(reason.into()).or_default(), line);
    }

    pub fn note(&mut self, line: u64, what: impl Into<String>) {
        bump(self.notes.entry(what.into()).or_default(), line);
    }
}

fn bump(t: &mut Tally, line: u64) {
    t.count += 1;
    if t.lines.len() < EXAMPLE_LINES && line > 0 {
        t.lines.push(line);
    }
}
