//! A local copy of the old site's `wp-content/uploads` folder: which files in it a
//! post's links name, and those links rewritten to where hewn serves the files.
//!
//! The folder comes from outside and is read as hostile: a file is opened only when
//! its path, with every symbolic link resolved, stays inside the folder, it is a
//! regular file (no FIFO, socket or device), and its first bytes are of the type its
//! name claims. Anything else is refused and named in the import's summary.

use std::cell::RefCell;
use std::collections::HashSet;
use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::convert::content_type;
use super::filetype;
use crate::domain::percent;

/// Where media is served.
pub const MEDIA_PREFIX: &str = "/media/";

/// A local copy of a WordPress site's `wp-content/uploads` folder.
#[derive(Debug, Clone)]
pub struct Uploads {
    dir: PathBuf,
    /// The folder with every link resolved: no file outside it is opened.
    root: PathBuf,
    refused: RefCell<Refused>,
}

/// Files refused so far: every path once, and those not yet reported.
#[derive(Debug, Clone, Default)]
struct Refused {
    seen: HashSet<String>,
    unreported: Vec<(String, Refusal)>,
}

/// Why a file of the uploads folder was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its path leads out of the folder through a symbolic link.
    Outside,
    /// A FIFO, socket or device rather than a file.
    Special(&'static str),
    /// Its bytes are not of the content type its name claims.
    WrongType(&'static str),
    /// Larger than the import copies (in bytes).
    TooLarge(u64),
    /// Opening or reading it failed.
    Unreadable(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Outside => write!(f, "a symbolic link that leads out of the uploads folder"),
            Self::Special(kind) => write!(f, "a {kind}, not a file"),
            Self::WrongType(t) => write!(f, "its bytes are not a {}, as its name claims", filetype::label(t)),
            Self::TooLarge(limit) => write!(f, "larger than {} MB", limit >> 20),
            Self::Unreadable(why) => write!(f, "could not be read ({why})"),
        }
    }
}

/// Where an uploads URL points inside the uploads folder.
const UPLOADS_MARKERS: [&str; 2] = ["/wp-content/uploads/", ".files.wordpress.com/"];

impl Uploads {
    pub fn new(dir: PathBuf) -> Self {
        // Were the folder itself unresolvable, no file would be found inside `root`.
        let root = std::fs::canonicalize(&dir).unwrap_or_else(|_| dir.clone());
        Self { dir, root, refused: RefCell::default() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The media path (relative to the uploads folder) of an uploads URL, when the
    /// folder has that file.
    pub fn path_of_url(&self, url: &str) -> Option<String> {
        let url = url.split(['?', '#']).next().unwrap_or_default();
        UPLOADS_MARKERS.iter().find_map(|m| url.split_once(m).map(|(_, rel)| rel)).and_then(|rel| self.existing(rel))
    }

    /// The media path of a file given relative to the uploads folder (as in
    /// `_wp_attached_file`), when it exists and may be imported.
    pub fn existing(&self, rel: &str) -> Option<String> {
        let rel = percent::decode(rel);
        let rel = rel.trim_start_matches('/');
        let candidates = [Some(rel), strip_site_prefix(rel)];
        candidates.into_iter().flatten().find(|r| self.importable(r)).map(str::to_owned)
    }

    /// True when `rel` is a file that may be imported; a refused one is noted.
    fn importable(&self, rel: &str) -> bool {
        let verdict = self.open(rel).and_then(|found| match found {
            None => Ok(false),
            Some((file, _)) => {
                let mut head = Vec::with_capacity(filetype::HEAD_BYTES);
                file.take(filetype::HEAD_BYTES as u64)
                    .read_to_end(&mut head)
                    .map_err(|e| Refusal::Unreadable(e.to_string()))?;
                let claimed = content_type(rel);
                if filetype::matches(claimed, &head) { Ok(true) } else { Err(Refusal::WrongType(claimed)) }
            }
        });
        verdict.unwrap_or_else(|why| {
            self.refuse(rel, why);
            false
        })
    }

    /// The bytes of the file at media path `rel` (at most `limit` of them) and when it
    /// was last changed, checked as [`Uploads::existing`] checks it.
    pub fn read(&self, rel: &str, limit: u64) -> Result<(Vec<u8>, Option<SystemTime>), Refusal> {
        let (file, meta) = self.open(rel)?.ok_or_else(|| Refusal::Unreadable("it is no longer there".to_owned()))?;
        if meta.len() > limit {
            return Err(Refusal::TooLarge(limit));
        }
        let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| Refusal::Unreadable(e.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(Refusal::TooLarge(limit));
        }
        let claimed = content_type(rel);
        if !filetype::matches(claimed, bytes.get(..filetype::HEAD_BYTES).unwrap_or(&bytes)) {
            return Err(Refusal::WrongType(claimed));
        }
        Ok((bytes, meta.modified().ok()))
    }

    /// Opens the file at `rel` when it is a regular file inside the folder (links
    /// that stay inside are followed); `Ok(None)` when there is none.
    fn open(&self, rel: &str) -> Result<Option<(File, Metadata)>, Refusal> {
        use std::io::ErrorKind;
        if !is_safe_relative(rel) {
            return Ok(None);
        }
        let path = match std::fs::canonicalize(self.root.join(rel)) {
            Ok(path) => path,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => return Ok(None),
            Err(e) => return Err(Refusal::Unreadable(e.to_string())),
        };
        if !path.starts_with(&self.root) {
            return Err(Refusal::Outside);
        }
        let unreadable = |e: std::io::Error| Refusal::Unreadable(e.to_string());
        let seen = std::fs::symlink_metadata(&path).map_err(unreadable)?;
        if seen.is_dir() {
            return Ok(None);
        }
        if !seen.is_file() {
            return Err(Refusal::Special(special_kind(&seen)));
        }
        let file = open_no_follow(&path).map_err(unreadable)?;
        let opened = file.metadata().map_err(unreadable)?;
        // What was opened must be what was checked, were the path swapped in between.
        if !opened.is_file() || !same_file(&seen, &opened) {
            return Err(Refusal::Unreadable("it changed while being read".to_owned()));
        }
        Ok(Some((file, opened)))
    }

    /// Notes that `rel` was refused (each path once).
    pub fn refuse(&self, rel: &str, why: Refusal) {
        let mut refused = self.refused.borrow_mut();
        if refused.seen.insert(rel.to_owned()) {
            refused.unreported.push((rel.to_owned(), why));
        }
    }

    /// The files refused since the last call, each with the reason.
    pub fn take_refused(&self) -> Vec<(String, Refusal)> {
        std::mem::take(&mut self.refused.borrow_mut().unreported)
    }

    /// Rewrites every URL into the uploads folder that names a file the folder has,
    /// to hewn's `/media/...`, noting the media paths in `used`.
    pub fn rewrite(&self, html: &str, used: &mut Vec<String>) -> String {
        if !UPLOADS_MARKERS.iter().any(|m| html.contains(m)) {
            return html.to_owned();
        }
        let mut out = String::with_capacity(html.len());
        let mut rest = html;
        loop {
            let next = UPLOADS_MARKERS.iter().filter_map(|m| rest.find(m).map(|i| (i, *m))).min_by_key(|(i, _)| *i);
            let Some((at, marker)) = next else { break };
            // Every index below is a char boundary of `rest` (found by `find` or past
            // an ASCII marker); `part` keeps that from becoming a panic if it were not.
            let part = |from: usize, to: usize| rest.get(from..to).unwrap_or_default();
            let start =
                part(0, at).char_indices().rev().find(|(_, c)| !is_url_char(*c)).map_or(0, |(i, c)| i + c.len_utf8());
            let path_start = at + marker.len();
            let path_end = part(path_start, rest.len())
                .find(|c: char| !is_url_char(c) || c == '?' || c == '#')
                .map_or(rest.len(), |i| path_start + i);
            let path_end = trim_trailing_comma(rest, path_start, path_end);
            let tail = part(path_end, rest.len());
            let end = if tail.starts_with(['?', '#']) {
                tail.find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
                    .map_or(rest.len(), |i| path_end + i)
            } else {
                path_end
            };
            let prefix = part(start, at);
            let plausible =
                marker.starts_with('.') || prefix.is_empty() || prefix.starts_with('/') || prefix.starts_with("http");
            match self.existing(part(path_start, path_end)).filter(|_| plausible) {
                Some(media) => {
                    out.push_str(part(0, start));
                    out.push_str(&media_url(&media));
                    used.push(media);
                    rest = part(end, rest.len());
                }
                None => {
                    out.push_str(part(0, path_start));
                    rest = part(path_start, rest.len());
                }
            }
        }
        out.push_str(rest);
        out
    }
}

fn is_url_char(c: char) -> bool {
    !(c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>' | '(' | ')' | '=' | '`' | '[' | ']'))
}

/// A comma that ends a `srcset` entry is not part of the URL.
fn trim_trailing_comma(s: &str, start: usize, mut end: usize) -> usize {
    while end > start && s.get(..end).is_some_and(|s| s.ends_with(',')) {
        end -= 1;
    }
    end
}

/// Multisite uploads live under `sites/N/`; a copy of one site's folder may not.
fn strip_site_prefix(rel: &str) -> Option<&str> {
    let rest = rel.strip_prefix("sites/")?;
    let (n, rest) = rest.split_once('/')?;
    n.bytes().all(|b| b.is_ascii_digit()).then_some(rest)
}

/// A relative path that stays inside its folder.
fn is_safe_relative(rel: &str) -> bool {
    !rel.is_empty()
        && !rel.contains(['\\', '\0'])
        && rel.split('/').all(|seg| !seg.is_empty() && seg != "." && seg != "..")
}

/// What a file that is neither a directory nor a regular file is.
#[cfg(unix)]
fn special_kind(meta: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_block_device() || t.is_char_device() {
        "device"
    } else {
        "special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &Metadata) -> &'static str {
    "special file"
}

/// Opens a file for reading without following a link in its last component, and
/// without waiting on a FIFO swapped in for it.
#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK).open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// The URL of a media path, percent-encoded where needed.
pub fn media_url(path: &str) -> String {
    format!("{MEDIA_PREFIX}{}", percent::path(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_links_are_rewritten_when_the_file_exists() {
        let dir = std::env::temp_dir().join(format!("hewn-uploads-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("2013/10")).unwrap_or_default();
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0];
        std::fs::write(dir.join("2013/10/a b.jpg"), jpeg).unwrap_or_default();
        std::fs::write(dir.join("2013/10/a-300x200.jpg"), jpeg).unwrap_or_default();
        let uploads = Uploads::new(dir.clone());
        let mut used = Vec::new();
        let html = uploads.rewrite(
            "<img src=\"https://old.example/wp-content/uploads/2013/10/a%20b.jpg?w=300\" srcset=\"http://old.example/wp-content/uploads/2013/10/a-300x200.jpg 300w, /wp-content/uploads/2013/10/missing.jpg 600w\"> https://old.example/wp-content/uploads/../../etc/passwd",
            &mut used,
        );
        assert_eq!(
            html,
            "<img src=\"/media/2013/10/a%20b.jpg\" srcset=\"/media/2013/10/a-300x200.jpg 300w, /wp-content/uploads/2013/10/missing.jpg 600w\"> https://old.example/wp-content/uploads/../../etc/passwd"
        );
        assert_eq!(used, ["2013/10/a b.jpg", "2013/10/a-300x200.jpg"]);
        assert_eq!(
            uploads.path_of_url("https://x.files.wordpress.com/2013/10/a-300x200.jpg"),
            Some("2013/10/a-300x200.jpg".to_owned())
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
