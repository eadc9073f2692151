//! Responsive images in post bodies: an `<img>` of an uploaded image (sanitised
//! HTML, as Markdown `![alt](/media/…)` renders) becomes one with `srcset`, `sizes`,
//! `width`/`height` (no layout shift), `decoding="async"` and, below the first
//! image, `loading="lazy"`; with WebP copies it is wrapped in a `<picture>`.
//!
//! This runs on HTML that has already passed the sanitiser: the tags it writes are
//! built from escaped parts and paths hewn itself made.

use std::collections::HashMap;

use super::markdown::{SafeHtml, push_escaped};
use crate::store::media::Responsive;

/// How wide an image shows: the full width of a phone, at most the text column.
pub const SIZES: &str = "(max-width: 48rem) 100vw, 48rem";

/// The `/media/` paths (without the prefix) of every `<img>` in `html`.
pub fn media_paths(html: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for tag in img_tags(html) {
        if let Some(path) = tag.attr("src").and_then(|s| s.strip_prefix("/media/"))
            && !paths.iter().any(|p| p == path)
        {
            paths.push(path.to_owned());
        }
    }
    paths
}

/// `html` with each `<img>` of a known image (`images`, by path) rewritten.
pub fn rewrite(html: &SafeHtml, images: &HashMap<String, Responsive>) -> SafeHtml {
    let src = html.as_str();
    let mut out = String::with_capacity(src.len() + images.len() * 256);
    let mut rest = src;
    let mut seen_image = false;
    while let Some(start) = rest.find("<img") {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let Some(end) = from.find('>') else {
            rest = from;
            break;
        };
        let (tag_text, after) = from.split_at(end + 1);
        rest = after;
        let tag = Tag::parse(tag_text);
        let found = tag.attr("src").and_then(|s| s.strip_prefix("/media/")).and_then(|p| images.get(p));
        match found {
            Some(image) => {
                let src_path = tag.attr("src").unwrap_or_default();
                push_img(&mut out, src_path, &tag, image, seen_image);
            }
            None => out.push_str(tag_text),
        }
        seen_image = true;
    }
    out.push_str(rest);
    SafeHtml::trusted(out)
}

fn push_img(out: &mut String, src: &str, tag: &Tag, image: &Responsive, lazy: bool) {
    let srcset = |list: &[(String, u32)], full: Option<(&str, u32)>| {
        let mut items: Vec<String> = list.iter().map(|(p, w)| format!("/media/{p} {w}w")).collect();
        if let Some((p, w)) = full {
            items.push(format!("{p} {w}w"));
        }
        items.join(", ")
    };
    let picture = !image.webp.is_empty();
    if picture {
        out.push_str("<picture><source type=\"image/webp\" srcset=\"");
        push_escaped(out, &srcset(&image.webp, None));
        out.push_str("\" sizes=\"");
        out.push_str(SIZES);
        out.push_str("\">");
    }
    out.push_str("<img src=\"");
    push_escaped(out, src);
    out.push('"');
    if !image.resized.is_empty() {
        out.push_str(" srcset=\"");
        push_escaped(out, &srcset(&image.resized, Some((src, image.width))));
        out.push_str("\" sizes=\"");
        out.push_str(SIZES);
        out.push('"');
    }
    out.push_str(&format!(" width=\"{}\" height=\"{}\"", image.width, image.height));
    for name in ["alt", "title"] {
        if let Some(value) = tag.attr(name) {
            out.push(' ');
            out.push_str(name);
            out.push_str("=\"");
            push_escaped(out, value);
            out.push('"');
        }
    }
    if lazy {
        out.push_str(" loading=\"lazy\"");
    }
    out.push_str(" decoding=\"async\">");
    if picture {
        out.push_str("</picture>");
    }
}

/// The `<img>` (or `<picture>`) of a library image at `/media/{path}` with `alt`,
/// as a featured image shows; `lazy` for one below the page's first image.
pub fn image_html(path: &str, alt: &str, image: &Responsive, lazy: bool) -> SafeHtml {
    let tag = Tag { attrs: vec![("alt".to_owned(), alt.to_owned())] };
    let mut out = String::with_capacity(512);
    push_img(&mut out, &format!("/media/{path}"), &tag, image, lazy);
    SafeHtml::trusted(out)
}

/// `html` with every `<img>` that has no `loading` attribute loading lazily: a body
/// shown under a featured image, which is then the page's first image.
pub fn lazy_images(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(start) = rest.find("<img") {
        let (before, from) = rest.split_at(start);
        out.push_str(before);
        let end = from.find('>').map_or(from.len(), |e| e + 1);
        let (tag, after) = from.split_at(end);
        rest = after;
        match tag.strip_prefix("<img") {
            Some(attrs) if !tag.contains(" loading=") && attrs.starts_with([' ', '\n', '\t', '/', '>']) => {
                out.push_str("<img loading=\"lazy\"");
                out.push_str(attrs);
            }
            _ => out.push_str(tag),
        }
    }
    out.push_str(rest);
    out
}

/// Every `<img …>` tag in `html`.
fn img_tags(html: &str) -> impl Iterator<Item = Tag> + '_ {
    let mut rest = html;
    std::iter::from_fn(move || {
        let start = rest.find("<img")?;
        let from = rest.get(start..)?;
        let end = from.find('>')?;
        let (tag, after) = from.split_at(end + 1);
        rest = after;
        Some(Tag::parse(tag))
    })
}

/// The attributes of a tag as the sanitiser writes them: `name="value"`, with `&`,
/// `"`, `<` and `>` written as entities (decoded here).
struct Tag {
    attrs: Vec<(String, String)>,
}

impl Tag {
    fn parse(text: &str) -> Self {
        let inner = text.trim_start_matches("<img").trim_end_matches('>').trim_end_matches('/');
        let mut attrs = Vec::new();
        let mut rest = inner;
        while let Some(eq) = rest.find("=\"") {
            let (name, after) = rest.split_at(eq);
            let value_and_more = after.get(2..).unwrap_or_default();
            let Some(close) = value_and_more.find('"') else { break };
            let (value, more) = value_and_more.split_at(close);
            attrs.push((name.trim().to_ascii_lowercase(), decode(value)));
            rest = more.get(1..).unwrap_or_default();
        }
        Self { attrs }
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn decode(value: &str) -> String {
    value.replace("&quot;", "\"").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo() -> Responsive {
        Responsive {
            width: 2000,
            height: 1000,
            resized: vec![("u/ab/p-480.jpg".into(), 480), ("u/ab/p-960.jpg".into(), 960)],
            webp: Vec::new(),
        }
    }

    #[test]
    fn known_images_get_srcset_and_size_and_later_ones_load_lazily() {
        let html = SafeHtml::trusted(
            "<p><img src=\"/media/u/ab/p.jpg\" alt=\"A &quot;cat&quot;\"></p><p><img src=\"/media/u/ab/p.jpg\" alt=\"\"></p>"
                .into(),
        );
        let images = HashMap::from([("u/ab/p.jpg".to_owned(), photo())]);
        let out = rewrite(&html, &images).into_string();
        assert_eq!(
            out,
            "<p><img src=\"/media/u/ab/p.jpg\" srcset=\"/media/u/ab/p-480.jpg 480w, /media/u/ab/p-960.jpg 960w, \
             /media/u/ab/p.jpg 2000w\" sizes=\"(max-width: 48rem) 100vw, 48rem\" width=\"2000\" height=\"1000\" \
             alt=\"A &quot;cat&quot;\" decoding=\"async\"></p><p><img src=\"/media/u/ab/p.jpg\" srcset=\"/media/u/ab/p-480.jpg 480w, \
             /media/u/ab/p-960.jpg 960w, /media/u/ab/p.jpg 2000w\" sizes=\"(max-width: 48rem) 100vw, 48rem\" \
             width=\"2000\" height=\"1000\" alt=\"\" loading=\"lazy\" decoding=\"async\"></p>"
        );
    }

    #[test]
    fn other_images_are_left_alone() {
        let html = SafeHtml::trusted("<img src=\"https://example.org/a.png\" alt=\"x\"> and <b>text</b>".into());
        assert_eq!(rewrite(&html, &HashMap::new()).as_str(), html.as_str());
        assert!(media_paths(html.as_str()).is_empty());
        assert_eq!(media_paths("<img src=\"/media/u/a.png\"><img src=\"/media/u/a.png\">"), vec!["u/a.png"]);
    }

    #[test]
    fn featured_images_are_eager_and_push_the_body_images_below_them_to_lazy() {
        let first = image_html("u/ab/p.jpg", "A <cat>", &photo(), false).into_string();
        assert!(first.starts_with("<img src=\"/media/u/ab/p.jpg\" srcset=\"/media/u/ab/p-480.jpg 480w"), "{first}");
        assert!(first.contains("width=\"2000\" height=\"1000\" alt=\"A &lt;cat&gt;\" decoding=\"async\""), "{first}");
        assert!(!first.contains("loading"), "{first}");
        assert!(image_html("u/ab/p.jpg", "", &photo(), true).as_str().contains("loading=\"lazy\""));
        let body = "<p><img src=\"/a.png\" alt=\"\"><img src=\"/b.png\" loading=\"lazy\"></p><imgx>";
        assert_eq!(
            lazy_images(body),
            "<p><img loading=\"lazy\" src=\"/a.png\" alt=\"\"><img src=\"/b.png\" loading=\"lazy\"></p><imgx>"
        );
    }
}
