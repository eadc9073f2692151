//! A local copy of the old site's `wp-content/uploads` folder: which files in it a
//! post's links name, and those links rewritten to where hewn serves the files.

use std::path::{Path, PathBuf};

/// Where media is served.
pub const MEDIA_PREFIX: &str = "/media/";

/// A local copy of a WordPress site's `wp-content/uploads` folder.
#[derive(Debug, Clone)]
pub struct Uploads {
    dir: PathBuf,
}

/// Where an uploads URL points inside the uploads folder.
const UPLOADS_MARKERS: [&str; 2] = ["/wp-content/uploads/", ".files.wordpress.com/"];

impl Uploads {
    pub fn new(dir: PathBuf) -> Self {
        Self { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The media path (relative to the uploads folder) of an uploads URL, when the
    /// folder has that file.
    pub fn path_of_url(&self, url: &str) -> Option<String> {
        let url = url.split(['?', '#']).next().unwrap_or_default();
        UPLOADS_MARKERS.iter().find_map(|m| url.find(m).map(|i| &url[i + m.len()..])).and_then(|rel| self.existing(rel))
    }

    /// The media path of a file given relative to the uploads folder (as in
    /// `_wp_attached_file`), when it exists.
    pub fn existing(&self, rel: &str) -> Option<String> {
        let rel = percent_decode(rel);
        let rel = rel.trim_start_matches('/');
        let candidates = [Some(rel), strip_site_prefix(rel)];
        candidates.into_iter().flatten().find(|r| is_safe_relative(r) && self.dir.join(r).is_file()).map(str::to_owned)
    }

    /// The file of a media path.
    pub fn file(&self, media_path: &str) -> PathBuf {
        self.dir.join(media_path)
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
            let start = rest[..at]
                .rfind(|c: char| !is_url_char(c))
                .map_or(0, |i| i + rest[i..].chars().next().map_or(1, char::len_utf8));
            let path_start = at + marker.len();
            let path_end = rest[path_start..]
                .find(|c: char| !is_url_char(c) || c == '?' || c == '#')
                .map_or(rest.len(), |i| path_start + i);
            let path_end = trim_trailing_comma(rest, path_start, path_end);
            let end = if rest[path_end..].starts_with(['?', '#']) {
                rest[path_end..]
                    .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
                    .map_or(rest.len(), |i| path_end + i)
            } else {
                path_end
            };
            let prefix = &rest[start..at];
            let plausible =
                marker.starts_with('.') || prefix.is_empty() || prefix.starts_with('/') || prefix.starts_with("http");
            match self.existing(&rest[path_start..path_end]).filter(|_| plausible) {
                Some(media) => {
                    out.push_str(&rest[..start]);
                    out.push_str(&media_url(&media));
                    used.push(media);
                    rest = &rest[end..];
                }
                None => {
                    out.push_str(&rest[..path_start]);
                    rest = &rest[path_start..];
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
    while end > start && s[..end].ends_with(',') {
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

/// The URL of a media path, percent-encoded where needed.
pub fn media_url(path: &str) -> String {
    let mut out = String::from(MEDIA_PREFIX);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (invalid UTF-8 is replaced).
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes.get(i), bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (Some(b'%'), Some(h), Some(l)) => {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
            }
            (Some(&b), _, _) => {
                out.push(b);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_links_are_rewritten_when_the_file_exists() {
        let dir = std::env::temp_dir().join(format!("hewn-uploads-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("2013/10")).unwrap_or_default();
        std::fs::write(dir.join("2013/10/a b.jpg"), b"x").unwrap_or_default();
        std::fs::write(dir.join("2013/10/a-300x200.jpg"), b"x").unwrap_or_default();
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
