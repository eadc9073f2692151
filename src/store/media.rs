//! Media: files imported from WordPress, stored in the database and served at `/media/{path}`.

use sqlx::FromRow;

use super::{Result, Store};
use crate::with_db;

/// What a response about a file needs before its bytes.
#[derive(Debug, Clone, FromRow)]
pub struct MediaHead {
    pub id: i64,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// The file at `path`, without its bytes.
pub async fn head_by_path(store: &Store, path: &str) -> Result<Option<MediaHead>> {
    with_db!(store.reader(), db => sqlx::query_as::<_, MediaHead>("select id, content_type, size, sha256 from media where path = $1")
        .bind(path)
        .fetch_optional(db)
        .await)
}

/// The bytes of a file.
pub async fn bytes_by_id(store: &Store, id: i64) -> Result<Option<Vec<u8>>> {
    with_db!(store.reader(), db => sqlx::query_scalar("select bytes from media where id = $1").bind(id).fetch_optional(db).await)
}

/// `length` bytes of a file from byte `first` (from 0), read without the rest.
pub async fn slice_by_id(store: &Store, id: i64, first: u64, length: u64) -> Result<Option<Vec<u8>>> {
    with_db!(store.reader(), db => sqlx::query_scalar("select substr(bytes, cast($2 as integer), cast($3 as integer)) from media where id = $1")
        .bind(id)
        .bind(i64::try_from(first).unwrap_or(i64::MAX).saturating_add(1))
        .bind(i64::try_from(length).unwrap_or(i64::MAX))
        .fetch_optional(db)
        .await)
}

/// True when a file is stored at `path`.
pub async fn exists(store: &Store, path: &str) -> Result<bool> {
    with_db!(store.reader(), db => sqlx::query_scalar("select exists (select 1 from media where path = $1)").bind(path).fetch_one(db).await)
}

/// A file to store: an upload's main file or one of its variants.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: String,
    pub content_type: String,
    pub sha256: String,
    pub bytes: Vec<u8>,
}

/// An uploaded library item with its variants.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub file: NewFile,
    pub name: String,
    pub title: String,
    pub size: Option<(u32, u32)>,
    /// Each variant with its kind (`resized`, `webp`, `original`), width and height.
    pub variants: Vec<(NewFile, &'static str, u32, u32)>,
}

/// Stores uploads and their variants in one transaction: all of them or none. A
/// file already in the library (the same path, so the same bytes) is not stored
/// twice. Returns the items' ids.
pub async fn insert_uploads(store: &Store, uploads: &[NewUpload], now: i64) -> Result<Vec<i64>> {
    let mut tx = store.begin_write().await?;
    let mut ids = Vec::with_capacity(uploads.len());
    for upload in uploads {
        let existing: Option<i64> = with_db!(tx.conn(), cx => sqlx::query_scalar("select id from media where path = $1")
            .bind(&upload.file.path)
            .fetch_optional(cx)
            .await)?;
        if let Some(id) = existing {
            ids.push(id);
            continue;
        }
        let id = insert_file(&mut tx, &upload.file, &upload.title, now).await?;
        let (width, height) = upload.size.map_or((None, None), |(w, h)| (Some(i64::from(w)), Some(i64::from(h))));
        with_db!(tx.conn(), cx => sqlx::query("insert into media_items (media_id, name, width, height) values ($1, $2, $3, $4)")
            .bind(id)
            .bind(&upload.name)
            .bind(width)
            .bind(height)
            .execute(cx)
            .await
            .map(|_| ()))?;
        for (file, kind, width, height) in &upload.variants {
            let variant_id = insert_file(&mut tx, file, &upload.title, now).await?;
            with_db!(tx.conn(), cx => sqlx::query(
                "insert into media_variants (variant_id, media_id, kind, width, height) values ($1, $2, $3, $4, $5)",
            )
            .bind(variant_id)
            .bind(id)
            .bind(*kind)
            .bind(i64::from(*width))
            .bind(i64::from(*height))
            .execute(cx)
            .await
            .map(|_| ()))?;
        }
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

async fn insert_file(tx: &mut super::WriteTx, file: &NewFile, title: &str, now: i64) -> Result<i64> {
    with_db!(tx.conn(), cx => sqlx::query_scalar(
        "insert into media (path, content_type, size, sha256, title, created_at, bytes) \
         values ($1, $2, $3, $4, $5, $6, $7) returning id",
    )
    .bind(&file.path)
    .bind(&file.content_type)
    .bind(i64::try_from(file.bytes.len()).unwrap_or(i64::MAX))
    .bind(&file.sha256)
    .bind(title)
    .bind(now)
    .bind(&file.bytes)
    .fetch_one(cx)
    .await)
}

/// A library item as the Media page shows it: uploads and imported files, not the
/// variants made from them.
#[derive(Debug, Clone, FromRow)]
pub struct LibraryItem {
    pub id: i64,
    pub path: String,
    pub content_type: String,
    pub size: i64,
    pub title: String,
    pub alt: String,
    pub caption: String,
    pub name: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub created_at: i64,
    /// The smallest resized copy, for a thumbnail.
    pub thumb: Option<String>,
}

const LIBRARY_COLUMNS: &str = "select m.id, m.path, m.content_type, m.size, m.title, m.alt, \
     coalesce(i.caption, '') as caption, coalesce(i.name, m.path) as name, i.width, i.height, m.created_at, \
     (select v.path from media_variants mv join media v on v.id = mv.variant_id \
      where mv.media_id = m.id and mv.kind = 'resized' order by mv.width limit 1) as thumb \
     from media m left join media_items i on i.media_id = m.id";

/// The newest `limit` library items, newest first.
pub async fn library(store: &Store, limit: i64) -> Result<Vec<LibraryItem>> {
    let sql = format!(
        "{LIBRARY_COLUMNS} where not exists (select 1 from media_variants x where x.variant_id = m.id) \
         order by m.created_at desc, m.id desc limit $1"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, LibraryItem>(&sql).bind(limit).fetch_all(db).await)
}

/// One library item (not a variant).
pub async fn item_by_id(store: &Store, id: i64) -> Result<Option<LibraryItem>> {
    let sql = format!(
        "{LIBRARY_COLUMNS} where m.id = $1 and not exists (select 1 from media_variants x where x.variant_id = m.id)"
    );
    with_db!(store.reader(), db => sqlx::query_as::<_, LibraryItem>(&sql).bind(id).fetch_optional(db).await)
}

/// Saves an item's title, alt text and caption; false when there is no such item.
pub async fn update_details(store: &Store, id: i64, title: &str, alt: &str, caption: &str) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    let changed = with_db!(tx.conn(), cx => sqlx::query(
        "update media set title = $1, alt = $2 where id = $3 \
         and not exists (select 1 from media_variants x where x.variant_id = media.id)",
    )
    .bind(title)
    .bind(alt)
    .bind(id)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    if changed == 0 {
        return Ok(false);
    }
    with_db!(tx.conn(), cx => sqlx::query(
        "insert into media_items (media_id, name, caption) select id, path, $2 from media where id = $1 \
         on conflict (media_id) do update set caption = excluded.caption",
    )
    .bind(id)
    .bind(caption)
    .execute(cx)
    .await
    .map(|_| ()))?;
    tx.commit().await?;
    Ok(true)
}

/// A post or page whose text links to a file.
#[derive(Debug, Clone, FromRow)]
pub struct UsedBy {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub status: String,
}

/// The posts and pages (any status, the trash too) whose text names `/media/{path}`.
pub async fn used_by(store: &Store, path: &str) -> Result<Vec<UsedBy>> {
    let mut pattern = String::from("%/media/");
    for c in path.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    with_db!(store.reader(), db => sqlx::query_as::<_, UsedBy>(
        "select id, kind, title, status from posts where source like $1 escape '\\' or body_html like $1 escape '\\' \
         order by id",
    )
    .bind(pattern)
    .fetch_all(db)
    .await)
}

/// The paths of a library item and of every file made from it (what deleting it
/// takes off `/media/`).
pub async fn paths_of_item(store: &Store, id: i64) -> Result<Vec<String>> {
    with_db!(store.reader(), db => sqlx::query_scalar(
        "select path from media where id = $1 \
         union all select v.path from media_variants mv join media v on v.id = mv.variant_id where mv.media_id = $1",
    )
    .bind(id)
    .fetch_all(db)
    .await)
}

/// Deletes a library item with every file made from it; false when there is none.
pub async fn delete_item(store: &Store, id: i64) -> Result<bool> {
    let mut tx = store.begin_write().await?;
    with_db!(tx.conn(), cx => sqlx::query(
        "delete from media where id in (select variant_id from media_variants where media_id = $1)",
    )
    .bind(id)
    .execute(cx)
    .await
    .map(|_| ()))?;
    let deleted = with_db!(tx.conn(), cx => sqlx::query(
        "delete from media where id = $1 and not exists (select 1 from media_variants x where x.variant_id = media.id)",
    )
    .bind(id)
    .execute(cx)
    .await
    .map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(deleted == 1)
}

/// What `<img>` markup needs about an uploaded image.
#[derive(Debug, Clone)]
pub struct Responsive {
    pub width: u32,
    pub height: u32,
    /// Resized copies in the image's own format: path and width, narrowest first.
    pub resized: Vec<(String, u32)>,
    /// WebP copies (the full size among them): path and width, narrowest first.
    pub webp: Vec<(String, u32)>,
}

/// The sizes and variants of the uploaded image at `path`, if it is one.
pub async fn responsive_by_path(store: &Store, path: &str) -> Result<Option<Responsive>> {
    let found: Option<(i64, i64, i64)> = with_db!(store.reader(), db => sqlx::query_as(
        "select m.id, i.width, i.height from media m join media_items i on i.media_id = m.id \
         where m.path = $1 and i.width is not null and i.height is not null",
    )
    .bind(path)
    .fetch_optional(db)
    .await)?;
    let Some((id, width, height)) = found else { return Ok(None) };
    let rows: Vec<(String, String, i64)> = with_db!(store.reader(), db => sqlx::query_as(
        "select v.path, mv.kind, mv.width from media_variants mv join media v on v.id = mv.variant_id \
         where mv.media_id = $1 and mv.kind <> 'original' order by mv.width, v.path",
    )
    .bind(id)
    .fetch_all(db)
    .await)?;
    let px = |n: i64| u32::try_from(n).unwrap_or(0);
    let mut r = Responsive { width: px(width), height: px(height), resized: Vec::new(), webp: Vec::new() };
    for (path, kind, w) in rows {
        if kind == "webp" { r.webp.push((path, px(w))) } else { r.resized.push((path, px(w))) }
    }
    Ok(Some(r))
}
