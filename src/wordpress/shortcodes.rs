//! The WordPress shortcodes hewn can show without WordPress: `[caption]` becomes a
//! `<figure>` with a `<figcaption>`, `[embed]` a link, `[audio]` and `[video]` the
//! matching elements, and `[gallery]` (once the file's attachments are known, see
//! [`expand_galleries`]) a grid of figures. Every other shortcode is left in the
//! text as it is, readable.

use super::html::escape;

/// Replaces the shortcodes hewn understands; `[[name]]` (escaped) is kept as `[name]`
/// only when it names one of them.
pub fn convert(content: &str) -> String {
    if !content.contains('[') {
        return content.to_owned();
    }
    let closed = closed(content, &KNOWN);
    let mut out = String::with_capacity(content.len() + 64);
    let mut rest = content;
    while let Some((before, at)) = rest.find('[').and_then(|open| rest.split_at_checked(open)) {
        out.push_str(before);
        match parse_at(at, &KNOWN, &closed) {
            Some(sc) => {
                match render(&sc) {
                    Some(html) => out.push_str(&html),
                    None => out.push_str(at.get(..sc.len).unwrap_or_default()),
                }
                rest = at.get(sc.len..).unwrap_or_default();
            }
            None => {
                out.push('[');
                rest = at.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// Removes the shortcodes that hold no prose (captions, galleries, embeds, media),
/// with their content, for excerpts.
pub fn strip(content: &str) -> String {
    if !content.contains('[') {
        return content.to_owned();
    }
    let closed = closed(content, &KNOWN);
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some((before, at)) = rest.find('[').and_then(|open| rest.split_at_checked(open)) {
        out.push_str(before);
        match parse_at(at, &KNOWN, &closed).filter(|sc| !sc.escaped) {
            Some(sc) => rest = at.get(sc.len..).unwrap_or_default(),
            None => {
                let gallery = at.strip_prefix("[gallery").filter(|r| r.starts_with([' ', ']']));
                match gallery.and_then(|r| r.find(']')) {
                    Some(end) => rest = at.get("[gallery".len() + end + 1..).unwrap_or_default(),
                    None => {
                        out.push('[');
                        rest = at.get(1..).unwrap_or_default();
                    }
                }
            }
        }
    }
    out.push_str(rest);
    out
}

/// The shortcodes of `names` whose end tag occurs in `text`.
fn closed<'n>(text: &str, names: &[&'n str]) -> Vec<&'n str> {
    names.iter().copied().filter(|n| text.contains(&format!("[/{n}]"))).collect()
}

const KNOWN: [&str; 5] = ["caption", "wp_caption", "embed", "audio", "video"];

/// A parsed shortcode.
struct Shortcode<'a> {
    name: &'a str,
    attrs: Vec<(String, String)>,
    content: Option<&'a str>,
    /// Bytes of the source it spans.
    len: usize,
    escaped: bool,
}

impl Shortcode<'_> {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
    }
}

/// Parses the shortcode at the start of `at` if it is one of `known`; only those in
/// `closed` (whose end tag occurs in the text) are searched for their end, so that
/// many unclosed shortcodes do not each scan the rest of the text.
fn parse_at<'a>(at: &'a str, known: &[&str], closed: &[&str]) -> Option<Shortcode<'a>> {
    let name_of = |s: &'a str| {
        let len = s.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-').count();
        s.split_at_checked(len)
    };
    if let Some(inner) = at.strip_prefix("[[") {
        let (name, _) = name_of(inner)?;
        if known.contains(&name) {
            let end = at.find("]]")?;
            return Some(Shortcode { name, attrs: Vec::new(), content: None, len: end + 2, escaped: true });
        }
        return None;
    }
    let (name, after_name) = name_of(at.get(1..)?)?;
    if !known.contains(&name) {
        return None;
    }
    if !after_name.starts_with([' ', ']', '/', '\t', '\n']) {
        return None;
    }
    let (attr_text, _) = after_name.split_once(']')?;
    let self_closing = attr_text.trim_end().ends_with('/');
    let open_len = 1 + name.len() + attr_text.len() + 1;
    let attrs = parse_attrs(attr_text.trim_end().trim_end_matches('/'));
    let end_tag = format!("[/{name}]");
    let body = at.get(open_len..)?;
    if !self_closing
        && closed.contains(&name)
        && let Some((content, _)) = body.split_once(&end_tag)
    {
        return Some(Shortcode {
            name,
            attrs,
            content: Some(content),
            len: open_len + content.len() + end_tag.len(),
            escaped: false,
        });
    }
    Some(Shortcode { name, attrs, content: None, len: open_len, escaped: false })
}

/// `key="value" key='value' key=value`, and positional values under their index.
fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut rest = s.trim();
    let mut position = 0;
    while !rest.is_empty() {
        let key_len = rest.find(|c: char| c == '=' || c.is_whitespace()).unwrap_or(rest.len());
        let (key, after) = rest.split_at(key_len);
        let after = after.trim_start();
        if let Some(value_part) = after.strip_prefix('=') {
            let value_part = value_part.trim_start();
            let (value, remaining) = match value_part.chars().next() {
                Some(q @ ('"' | '\'' | '“' | '”' | '″')) => {
                    let body = value_part.get(q.len_utf8()..).unwrap_or_default();
                    let end = body.find(['"', '\'', '“', '”', '″']).unwrap_or(body.len());
                    let (value, tail) = body.split_at_checked(end).unwrap_or((body, ""));
                    let skip = tail.chars().next().map_or(0, char::len_utf8);
                    (value, tail.get(skip..).unwrap_or_default())
                }
                _ => {
                    let end = value_part.find(char::is_whitespace).unwrap_or(value_part.len());
                    value_part.split_at_checked(end).unwrap_or((value_part, ""))
                }
            };
            attrs.push((key.to_ascii_lowercase(), value.to_owned()));
            rest = remaining.trim_start();
        } else {
            let value = key.trim_matches(['"', '\'']);
            attrs.push((position.to_string(), value.to_owned()));
            position += 1;
            rest = after;
        }
    }
    attrs
}

/// The images a `[gallery]` shows, as WordPress chooses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gallery {
    /// `ids` (or `include`): these attachments, in this order.
    Ids(Vec<i64>),
    /// No ids: the images attached to the post, but those in `exclude`.
    Attached { exclude: Vec<i64> },
}

/// An image a gallery shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryImage {
    pub url: String,
    pub alt: String,
    pub caption: String,
}

/// Replaces each `[gallery]` in `html` (a post's HTML source, paragraphs made) with
/// a grid of figures, the images of each from `images`; a gallery with no image
/// left is removed. `[[gallery]]` stays as the text `[gallery]`.
pub fn expand_galleries(html: &str, images: impl Fn(&Gallery) -> Vec<GalleryImage>) -> String {
    let closed = closed(html, &["gallery"]);
    let mut out = String::with_capacity(html.len() + 256);
    let mut rest = html;
    while let Some((before, at)) = rest.find('[').and_then(|open| rest.split_at_checked(open)) {
        out.push_str(before);
        let Some(sc) = parse_at(at, &["gallery"], &closed) else {
            out.push('[');
            rest = at.get(1..).unwrap_or_default();
            continue;
        };
        rest = at.get(sc.len..).unwrap_or_default();
        if sc.escaped {
            out.push_str("[gallery]");
            continue;
        }
        let ids = |key: &str| -> Vec<i64> {
            sc.attr(key).unwrap_or_default().split(',').filter_map(|id| id.trim().parse().ok()).collect()
        };
        let wanted = match sc.attr("ids").or_else(|| sc.attr("include")) {
            Some(_) => Gallery::Ids([ids("ids"), ids("include")].concat()),
            None => Gallery::Attached { exclude: ids("exclude") },
        };
        let shown = images(&wanted);
        // A gallery alone in its paragraph replaces the paragraph.
        let alone = out.ends_with("<p>") && rest.starts_with("</p>");
        if alone {
            out.truncate(out.len() - "<p>".len());
            rest = rest.get("</p>".len()..).unwrap_or_default();
        }
        if !shown.is_empty() {
            out.push_str(&gallery(&sc, &shown));
        }
    }
    out.push_str(rest);
    out
}

/// The figures of a gallery: `columns` (1 to 9, 3 by default) per row, each image
/// linked to its file unless `link="none"`.
fn gallery(sc: &Shortcode<'_>, images: &[GalleryImage]) -> String {
    let columns = sc.attr("columns").and_then(|c| c.trim().parse::<u8>().ok()).unwrap_or(3).clamp(1, 9);
    let linked = sc.attr("link") != Some("none");
    let mut html = format!("<figure class=\"gallery gallery-columns-{columns}\">");
    for image in images {
        let url = escape(&image.url);
        let img = format!("<img src=\"{url}\" alt=\"{}\" loading=\"lazy\">", escape(&image.alt));
        html.push_str("<figure class=\"gallery-item\">");
        if linked {
            html.push_str(&format!("<a href=\"{url}\">{img}</a>"));
        } else {
            html.push_str(&img);
        }
        if !image.caption.trim().is_empty() {
            html.push_str(&format!("<figcaption>{}</figcaption>", escape(image.caption.trim())));
        }
        html.push_str("</figure>");
    }
    html.push_str("</figure>");
    html
}

fn render(sc: &Shortcode<'_>) -> Option<String> {
    if sc.escaped {
        return Some(format!("[{}]", sc.name));
    }
    match sc.name {
        "caption" | "wp_caption" => Some(caption(sc)),
        "embed" => {
            let url = sc.content.map(str::trim).filter(|u| is_http_url(u))?;
            Some(link(url))
        }
        "audio" => {
            let src = media_source(sc, &["src", "mp3", "m4a", "ogg", "oga", "wav", "wma", "flac"])?;
            Some(format!("<audio controls src=\"{0}\">{1}</audio>", escape(&src), link(&src)))
        }
        "video" => {
            let src = media_source(sc, &["src", "mp4", "m4v", "webm", "ogv", "wmv", "flv"])?;
            let mut attrs = String::new();
            for key in ["width", "height", "poster"] {
                if let Some(v) = sc.attr(key) {
                    attrs.push_str(&format!(" {key}=\"{}\"", escape(v)));
                }
            }
            Some(format!("<video controls src=\"{0}\"{attrs}>{1}</video>", escape(&src), link(&src)))
        }
        _ => None,
    }
}

fn media_source(sc: &Shortcode<'_>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| sc.attr(k))
        .or_else(|| sc.attr("0"))
        .or_else(|| sc.content.map(str::trim))
        .filter(|u| is_http_url(u) || u.starts_with('/'))
        .map(str::to_owned)
}

fn is_http_url(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && !s.contains(char::is_whitespace)
}

fn link(url: &str) -> String {
    let u = escape(url);
    format!("<a href=\"{u}\">{u}</a>")
}

/// `[caption id="attachment_5" align="alignleft" width="300"]<img ...> Text[/caption]`,
/// or the old form with the text in a `caption` attribute.
fn caption(sc: &Shortcode<'_>) -> String {
    let content = sc.content.unwrap_or_default().trim();
    let (media, text) = match sc.attr("caption") {
        Some(text) => (content.to_owned(), text.to_owned()),
        None => split_caption(content),
    };
    let mut classes = String::from("wp-caption");
    for part in [sc.attr("align"), sc.attr("class")].into_iter().flatten() {
        for class in
            part.split_whitespace().filter(|c| c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            classes.push(' ');
            classes.push_str(class);
        }
    }
    let id = sc.attr("id").filter(|id| !id.is_empty()).map(|id| format!(" id=\"{}\"", escape(id))).unwrap_or_default();
    let caption = if text.trim().is_empty() {
        String::new()
    } else {
        format!("<figcaption class=\"wp-caption-text\">{}</figcaption>", text.trim())
    };
    format!("<figure{id} class=\"{classes}\">{media}{caption}</figure>")
}

/// Splits caption content into the leading image (optionally in a link) and the text.
fn split_caption(content: &str) -> (String, String) {
    // ASCII lowercasing keeps every byte where it was, so positions in `lower` are
    // positions in `content`.
    let lower = content.to_ascii_lowercase();
    let from = |i: usize| lower.get(i..).unwrap_or_default();
    let Some(img) = lower.find("<img") else { return (String::new(), content.to_owned()) };
    let Some(img_end) = from(img).find('>').map(|p| img + p + 1) else { return (content.to_owned(), String::new()) };
    let mut end = img_end;
    let before = lower.get(..img).unwrap_or_default().trim();
    if before.starts_with("<a")
        && before.ends_with('>')
        && let Some((between, _)) = from(img_end).split_once("</a>")
        && between.trim().is_empty()
    {
        end = img_end + between.len() + 4;
    }
    let (media, text) = content.split_at_checked(end).unwrap_or((content, ""));
    (media.trim().to_owned(), text.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_become_figures() {
        let html = convert(
            r#"[caption id="attachment_5" align="alignright" width="300"]<a href="/a.jpg"><img src="/a-300.jpg" alt="A" /></a> The <em>caption</em>[/caption]"#,
        );
        assert_eq!(
            html,
            r#"<figure id="attachment_5" class="wp-caption alignright"><a href="/a.jpg"><img src="/a-300.jpg" alt="A" /></a><figcaption class="wp-caption-text">The <em>caption</em></figcaption></figure>"#
        );
        let old =
            convert(r#"[caption id="" align="alignnone" width="200" caption="Old style"]<img src="b.png">[/caption]"#);
        assert_eq!(
            old,
            r#"<figure class="wp-caption alignnone"><img src="b.png"><figcaption class="wp-caption-text">Old style</figcaption></figure>"#
        );
    }

    #[test]
    fn embeds_and_media_become_links_and_elements() {
        assert_eq!(
            convert("[embed]https://youtu.be/x[/embed]"),
            r#"<a href="https://youtu.be/x">https://youtu.be/x</a>"#
        );
        assert!(
            convert(r#"[audio mp3="https://e.com/a.mp3"][/audio]"#)
                .starts_with(r#"<audio controls src="https://e.com/a.mp3">"#)
        );
        assert!(convert(r#"[video width="640" src="https://e.com/v.mp4"]"#).contains(r#"width="640""#));
    }

    #[test]
    fn galleries_become_grids_of_the_images_wordpress_would_choose() {
        let image =
            |n: i64| GalleryImage { url: format!("/media/{n}.png"), alt: format!("alt {n}"), caption: String::new() };
        let images = |g: &Gallery| match g {
            Gallery::Ids(ids) => ids.iter().filter(|id| **id != 9).map(|id| image(*id)).collect(),
            Gallery::Attached { exclude } => [1, 2].into_iter().filter(|id| !exclude.contains(id)).map(image).collect(),
        };

        let html =
            expand_galleries("<p>Before</p>\n<p>[gallery ids=\"2,1,9\" columns=\"2\"]</p>\n<p>After</p>", images);
        assert_eq!(
            html,
            "<p>Before</p>\n<figure class=\"gallery gallery-columns-2\">\
             <figure class=\"gallery-item\"><a href=\"/media/2.png\"><img src=\"/media/2.png\" alt=\"alt 2\" loading=\"lazy\"></a></figure>\
             <figure class=\"gallery-item\"><a href=\"/media/1.png\"><img src=\"/media/1.png\" alt=\"alt 1\" loading=\"lazy\"></a></figure>\
             </figure>\n<p>After</p>"
        );
        let attached = expand_galleries("[gallery exclude=\"1\" link=\"none\"]", images);
        assert_eq!(
            attached,
            "<figure class=\"gallery gallery-columns-3\"><figure class=\"gallery-item\">\
             <img src=\"/media/2.png\" alt=\"alt 2\" loading=\"lazy\"></figure></figure>"
        );
        assert_eq!(expand_galleries("<p>[gallery ids=\"9\"]</p>", images), "");
        assert_eq!(
            expand_galleries("a [[gallery]] b [gallery-x] [galleryx]", images),
            "a [gallery] b [gallery-x] [galleryx]"
        );
    }

    #[test]
    fn excerpts_lose_captions_and_galleries() {
        assert_eq!(strip("a [caption id=\"1\"]<img> text[/caption]b [gallery ids=\"1\"] c [x]"), "a b  c [x]");
    }

    #[test]
    fn other_shortcodes_and_brackets_stay_readable() {
        for s in [
            r#"[gallery ids="1,2,3"]"#,
            "[contact-form-7 id=\"9\"]",
            "a [b] c",
            "[",
            "x[caption",
            "[[caption]] is a shortcode",
        ] {
            let expected = s.replace("[[caption]]", "[caption]");
            assert_eq!(convert(s), expected);
        }
    }
}
