//! Featured images: the library image a post or page shows at its top, in listings,
//! in link previews and in feed enclosures (`posts.featured_media_id`, 0020).
//!
//! Only uploaded images with known dimensions can be featured (the markup needs
//! width and height for no layout shift); the editor checks that with
//! [`choosable`]. Public readers only reach these rows through visible posts: a
//! draft's image is never looked up for a public page.

use std::collections::HashMap;

use sqlx::FromRow;

use super::media::Responsive;
use super::{Result, Store};
use crate::with_db;

/// The widest copy a link preview or a feed enclosure points at.
pub const SHARE_MAX_WIDTH: u32 = 1600;

/// A featured image with its variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Featured {
    pub media_id: i64,
    /// The stripped full-size image, under `/media/`.
    pub path: String,
    pub content_type: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
    pub size: i64,
    /// Resized and WebP copies, narrowest first.
    pub variants: Vec<Variant>,
}

/// A copy of a featured image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub path: String,
    /// `resized` (the image's own format) or `webp`.
    pub kind: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub size: i64,
}

/// The file a link preview or an enclosure names: path, type, width, height, bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareImage<'a> {
    pub path: &'a str,
    pub content_type: &'a str,
    pub width: u32,
    pub height: u32,
    pub size: i64,
}

impl Featured {
    /// What the responsive `<img>` markup needs.
    pub fn responsive(&self) -> Responsive {
        let pick = |kind: &str| {
            self.variants.iter().filter(|v| v.kind == kind).map(|v| (v.path.clone(), v.width)).collect::<Vec<_>>()
        };
        Responsive { width: self.width, height: self.height, resized: pick("resized"), webp: pick("webp") }
    }

    /// The widest copy in the image's own format (JPEG, PNG, GIF: what every preview
    /// and feed reader shows) no wider than [`SHARE_MAX_WIDTH`]; the full image when
    /// it is that narrow, the narrowest copy when none is.
    pub fn share_image(&self) -> ShareImage<'_> {
        let full = ShareImage {
            path: &self.path,
            content_type: &self.content_type,
            width: self.width,
            height: self.height,
            size: self.size,
        };
        if self.width <= SHARE_MAX_WIDTH {
            return full;
        }
        let own = || self.variants.iter().filter(|v| v.kind == "resized");
        own()
            .filter(|v| v.width <= SHARE_MAX_WIDTH)
            .max_by_key(|v| v.width)
            .or_else(|| own().min_by_key(|v| v.width))
            .map_or(full, Variant::as_share)
    }
}

impl Variant {
    fn as_share(&self) -> ShareImage<'_> {
        ShareImage {
            path: &self.path,
            content_type: &self.content_type,
            width: self.width,
            height: self.height,
            size: self.size,
        }
    }
}

#[derive(Debug, FromRow)]
struct ImageRow {
    post_id: i64,
    media_id: i64,
    path: String,
    content_type: String,
    alt: String,
    size: i64,
    width: i64,
    height: i64,
}

#[derive(Debug, FromRow)]
struct VariantRow {
    media_id: i64,
    path: String,
    kind: String,
    content_type: String,
    width: i64,
    height: i64,
    size: i64,
}

fn px(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// The featured images of `post_ids` (those that have one), by post id.
pub async fn of_posts(store: &Store, post_ids: &[i64]) -> Result<HashMap<i64, Featured>> {
    let mut found = HashMap::new();
    for chunk in post_ids.chunks(super::MAX_LIST) {
        let marks = super::placeholders(1, chunk.len());
        let sql = format!(
            "select p.id as post_id, m.id as media_id, m.path, m.content_type, m.alt, m.size, i.width, i.height \
             from posts p join media m on m.id = p.featured_media_id join media_items i on i.media_id = m.id \
             where p.id in ({marks}) and i.width is not null and i.height is not null"
        );
        let rows: Vec<ImageRow> = with_db!(store.reader(), db => {
            let mut q = sqlx::query_as::<_, ImageRow>(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(db).await
        })?;
        let media_ids: Vec<i64> = rows.iter().map(|r| r.media_id).collect();
        let variants = variants_of(store, &media_ids).await?;
        for r in rows {
            let featured = Featured {
                media_id: r.media_id,
                path: r.path,
                content_type: r.content_type,
                alt: r.alt,
                width: px(r.width),
                height: px(r.height),
                size: r.size,
                variants: variants.get(&r.media_id).cloned().unwrap_or_default(),
            };
            found.insert(r.post_id, featured);
        }
    }
    Ok(found)
}

/// The featured image of one post or page.
pub async fn of_post(store: &Store, post_id: i64) -> Result<Option<Featured>> {
    Ok(of_posts(store, &[post_id]).await?.remove(&post_id))
}

async fn variants_of(store: &Store, media_ids: &[i64]) -> Result<HashMap<i64, Vec<Variant>>> {
    let mut by_item: HashMap<i64, Vec<Variant>> = HashMap::new();
    if media_ids.is_empty() {
        return Ok(by_item);
    }
    let marks = super::placeholders(1, media_ids.len());
    let sql = format!(
        "select mv.media_id, v.path, mv.kind, v.content_type, mv.width, mv.height, v.size \
         from media_variants mv join media v on v.id = mv.variant_id \
         where mv.media_id in ({marks}) and mv.kind <> 'original' order by mv.media_id, mv.width, v.path"
    );
    let rows: Vec<VariantRow> = with_db!(store.reader(), db => {
        let mut q = sqlx::query_as::<_, VariantRow>(&sql);
        for id in media_ids {
            q = q.bind(*id);
        }
        q.fetch_all(db).await
    })?;
    for r in rows {
        by_item.entry(r.media_id).or_default().push(Variant {
            path: r.path,
            kind: r.kind,
            content_type: r.content_type,
            width: px(r.width),
            height: px(r.height),
            size: r.size,
        });
    }
    Ok(by_item)
}

/// A library image the editor offers as a featured image.
#[derive(Debug, Clone, FromRow)]
pub struct Choice {
    pub id: i64,
    pub name: String,
    pub alt: String,
    /// The smallest resized copy (or the image itself), under `/media/`.
    pub thumb: String,
}

/// The images that can be featured: uploaded images with known dimensions.
const CHOOSABLE: &str = "from media m join media_items i on i.media_id = m.id \
     where m.content_type like 'image/%' and i.width is not null and i.height is not null";

/// A [`Choice`]'s columns.
const CHOICE_COLUMNS: &str = "select m.id, i.name, m.alt, \
     coalesce((select v.path from media_variants mv join media v on v.id = mv.variant_id \
      where mv.media_id = m.id and mv.kind = 'resized' order by mv.width limit 1), m.path) as thumb";

/// The newest `limit` images that can be featured, newest first, and `current`
/// (the post's own choice) wherever it is in the library.
pub async fn choices(store: &Store, limit: i64, current: Option<i64>) -> Result<Vec<Choice>> {
    let sql = format!("{CHOICE_COLUMNS} {CHOOSABLE} order by m.created_at desc, m.id desc limit $1");
    let mut list: Vec<Choice> =
        with_db!(store.reader(), db => sqlx::query_as::<_, Choice>(&sql).bind(limit).fetch_all(db).await)?;
    if let Some(id) = current.filter(|id| !list.iter().any(|c| c.id == *id))
        && let Some(choice) = choosable(store, id).await?
    {
        list.insert(0, choice);
    }
    Ok(list)
}

/// The image `id`, if it can be featured: an uploaded image with known dimensions.
pub async fn choosable(store: &Store, id: i64) -> Result<Option<Choice>> {
    let sql = format!("{CHOICE_COLUMNS} {CHOOSABLE} and m.id = $1");
    with_db!(store.reader(), db => sqlx::query_as::<_, Choice>(&sql).bind(id).fetch_optional(db).await)
}

/// The images an import brought as the WordPress attachments `wp_ids` that can be
/// featured (see [`choosable`]): each attachment id with its image's id (the first
/// imported, if one was imported twice). A statement per [`MAX_LIST`](super::MAX_LIST) ids.
pub async fn choosable_by_wp_ids(store: &Store, wp_ids: &[i64]) -> Result<HashMap<i64, i64>> {
    let mut found = HashMap::new();
    for chunk in wp_ids.chunks(super::MAX_LIST) {
        let sql = format!(
            "select m.wp_id, m.id {CHOOSABLE} and m.wp_id in ({}) order by m.id",
            super::placeholders(1, chunk.len())
        );
        let rows: Vec<(i64, i64)> = with_db!(store.reader(), db => {
            let mut q = sqlx::query_as(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(db).await
        })?;
        for (wp_id, id) in rows {
            found.entry(wp_id).or_insert(id);
        }
    }
    Ok(found)
}

/// The posts and pages (any status) that feature the library item `media_id`.
pub async fn featuring(store: &Store, media_id: i64) -> Result<Vec<super::media::UsedBy>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, super::media::UsedBy>(
        "select id, kind, title, status from posts where featured_media_id = $1 order by id",
    )
    .bind(media_id)
    .fetch_all(db)
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(kind: &str, width: u32) -> Variant {
        Variant {
            path: format!("u/x/p-{width}.{kind}"),
            kind: kind.to_owned(),
            content_type: "image/jpeg".to_owned(),
            width,
            height: width * 2 / 3,
            size: i64::from(width) * 10,
        }
    }

    fn image(width: u32, variants: Vec<Variant>) -> Featured {
        Featured {
            media_id: 1,
            path: "u/x/p.jpg".to_owned(),
            content_type: "image/jpeg".to_owned(),
            alt: String::new(),
            width,
            height: width * 2 / 3,
            size: 1,
            variants,
        }
    }

    #[test]
    fn previews_get_the_widest_own_format_copy_up_to_1600_pixels() {
        let big = image(
            3000,
            vec![
                variant("resized", 480),
                variant("webp", 480),
                variant("resized", 960),
                variant("resized", 1600),
                variant("webp", 1600),
                variant("resized", 2400),
            ],
        );
        let share = big.share_image();
        assert_eq!((share.path, share.width, share.height, share.size), ("u/x/p-1600.resized", 1600, 1066, 16000));
        let small = image(1200, vec![variant("resized", 480), variant("resized", 960)]);
        assert_eq!(small.share_image().path, "u/x/p.jpg", "an image up to 1600 px is shared whole");
        let odd = image(5000, vec![variant("resized", 2400)]);
        assert_eq!(odd.share_image().width, 2400, "with no copy that narrow, the narrowest");
    }

    #[test]
    fn responsive_markup_gets_both_formats() {
        let r = image(3000, vec![variant("resized", 480), variant("webp", 480)]).responsive();
        assert_eq!(r.resized, vec![("u/x/p-480.resized".to_owned(), 480)]);
        assert_eq!(r.webp, vec![("u/x/p-480.webp".to_owned(), 480)]);
        assert_eq!((r.width, r.height), (3000, 2000));
    }
}
