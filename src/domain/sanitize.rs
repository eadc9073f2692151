//! The sanitiser policies, all in one place: what markup survives in a post body, in
//! a comment written on this site, and in a comment imported from WordPress.

use std::sync::LazyLock;

/// `rel` on every link in a comment: the commenter vouches for nothing on our behalf.
pub const COMMENT_LINK_REL: &str = "nofollow ugc noopener";

/// Post bodies: the author is trusted with layout, never with script.
pub static POST_POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    // `picture` and its `source` sizes: the responsive markup hewn writes for library
    // images, kept when an exported post's HTML comes back in an import.
    b.add_tags(["input", "video", "audio", "source", "picture"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("video", ["src", "controls", "width", "height", "poster"])
        .add_tag_attributes("audio", ["src", "controls"])
        .add_tag_attributes("source", ["src", "type", "srcset", "sizes"])
        .add_tag_attributes("img", ["loading", "decoding", "srcset", "sizes"])
        .add_generic_attributes(["id", "class"])
        .link_rel(Some("noopener"));
    b
});

/// Comments written on this site: the markup their Markdown subset produces.
pub static COMMENT_POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags(["p", "br", "em", "strong", "del", "code", "pre", "blockquote", "a"])
        .add_tag_attributes("a", ["href"])
        .add_url_schemes(["http", "https", "mailto"])
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(COMMENT_LINK_REL));
    b
});

/// Comments imported from WordPress: its comment markup (`$allowedtags`), plus the
/// paragraphs and breaks autop adds and the lists and code blocks site owners wrote in
/// their own comments.
pub static IMPORTED_COMMENT_POLICY: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    b.add_tags([
        "p",
        "br",
        "a",
        "abbr",
        "acronym",
        "b",
        "blockquote",
        "cite",
        "code",
        "del",
        "em",
        "i",
        "q",
        "s",
        "strike",
        "strong",
        "pre",
        "ul",
        "ol",
        "li",
    ])
    .add_tag_attributes("a", ["href", "title"])
    .add_tag_attributes("abbr", ["title"])
    .add_tag_attributes("acronym", ["title"])
    .add_url_schemes(["http", "https", "mailto"])
    .url_relative(ammonia::UrlRelative::Deny)
    .link_rel(Some(COMMENT_LINK_REL));
    b
});

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(policy: &ammonia::Builder<'_>, html: &str) -> String {
        policy.clean(html).to_string()
    }

    #[test]
    fn each_policy_keeps_only_its_own_markup() {
        let html = r#"<p><abbr title="x">A</abbr> <img src="/a.png"><a href="/rel">r</a><script>x</script></p>"#;
        assert_eq!(
            clean(&POST_POLICY, html),
            r#"<p><abbr title="x">A</abbr> <img src="/a.png"><a href="/rel" rel="noopener">r</a></p>"#
        );
        assert_eq!(clean(&COMMENT_POLICY, html), "<p>A <a rel=\"nofollow ugc noopener\">r</a></p>");
        assert_eq!(
            clean(&IMPORTED_COMMENT_POLICY, html),
            "<p><abbr title=\"x\">A</abbr> <a rel=\"nofollow ugc noopener\">r</a></p>"
        );
    }
}
