//! Slugs: readable, URL-safe names for posts, pages and tags, made from titles in any
//! script (non-ASCII letters are transliterated: "Ærøskøbing café" -> "aeroskobing-cafe").

/// Longest slug hewn makes (WordPress allows 200).
pub const MAX_SLUG_LEN: usize = 200;

/// Paths hewn's own routes use at the top level, and WordPress paths the old-link
/// redirects answer: a page (served at `/{slug}`) cannot take them as slugs. The
/// editor refuses them; an import gives such a page another slug.
pub const RESERVED_PAGE_SLUGS: &[&str] = &[
    "admin",
    "api",
    "archive",
    "archives",
    "assets",
    "author",
    "category",
    "comments",
    "custom-css",
    "custom.css",
    "favicon.ico",
    "feed",
    "feed.xml",
    "feeds",
    "healthz",
    "login",
    "logout",
    "media",
    "page",
    "posts",
    "robots.txt",
    "rss",
    "rss.xml",
    "atom.xml",
    "search",
    "setup",
    "sitemap.xml",
    "static",
    "tag",
    "tags",
    "uploads",
    "wp-admin",
    "wp-content",
    "wp-includes",
    "wp-json",
    "wp-login",
    "wp-login.php",
    "xmlrpc.php",
];

/// True when a page may not use `slug`.
pub fn is_reserved_page_slug(slug: &str) -> bool {
    RESERVED_PAGE_SLUGS.contains(&slug)
}

/// Makes a slug from a title: transliterated to ASCII, lowercase letters and digits
/// joined by single hyphens. May be empty when the title has no letters or digits.
pub fn slugify(title: &str) -> String {
    let ascii = deunicode::deunicode(title);
    let mut slug = String::with_capacity(ascii.len());
    let mut pending_hyphen = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_hyphen && !slug.is_empty() {
                slug.push('-');
            }
            pending_hyphen = false;
            slug.push(c.to_ascii_lowercase());
        } else if c != '\'' {
            pending_hyphen = true;
        }
        if slug.len() >= MAX_SLUG_LEN {
            break;
        }
    }
    slug.truncate(MAX_SLUG_LEN);
    slug.trim_end_matches('-').to_owned()
}

/// True when `slug` is already in the form [`slugify`] produces.
pub fn is_valid(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG_LEN
        && slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_in_any_script_become_readable_slugs() {
        assert_eq!(slugify("Year of the Stakhanovite"), "year-of-the-stakhanovite");
        assert_eq!(slugify("  Hello,   World!  "), "hello-world");
        assert_eq!(slugify("Ærøskøbing café"), "aeroskobing-cafe");
        assert_eq!(slugify("Москва зимой"), "moskva-zimoi");
        assert_eq!(slugify("It's 2024"), "its-2024");
        assert_eq!(slugify("!!!"), "");
        assert!(slugify(&"long ".repeat(100)).len() <= MAX_SLUG_LEN);
    }

    #[test]
    fn validity_matches_what_slugify_makes() {
        assert!(is_valid("a-b-1"));
        for bad in ["", "A", "a--b", "-a", "a-", "a b", "a/b"] {
            assert!(!is_valid(bad), "{bad}");
        }
        assert!(is_valid(&slugify("Any Title at All")));
    }
}
