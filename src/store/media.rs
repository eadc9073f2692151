//! Media: the library's files (uploads and what WordPress imports bring), stored in
//! the database and served at `/media/{path}`.

use sqlx::FromRow;

use super::{Result, Store};
use crate::domain::sha256_hex;
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
        insert_variants(&mut tx, id, upload, now).await?;
        ids.push(id);
    }
    tx.commit().await?;
    Ok(ids)
}

async fn insert_variants(tx: &mut super::WriteTx, id: i64, upload: &NewUpload, now: i64) -> Result<()> {
    for (file, kind, width, height) in &upload.variants {
        let variant_id = insert_file(tx, file, &upload.title, now).await?;
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
    Ok(())
}

/// A file of a WordPress import's uploads folder, processed like an upload (see
/// [`new_upload`]): stored at its old uploads path, so that the links posts have
/// and the old addresses that redirect keep naming it.
#[derive(Debug, Clone)]
pub struct ImportedFile {
    pub upload: NewUpload,
    pub alt: String,
    pub wp_id: Option<i64>,
    pub created_at: i64,
}

/// Stores imported files with their variants in one write (an import calls it
/// once per small batch, so the write lock is held briefly). A path the site
/// already has is left alone. Returns every path added (files and variants), for
/// an import that fails to take back.
pub async fn insert_imported(store: &Store, files: &[ImportedFile]) -> Result<Vec<String>> {
    let mut tx = store.begin_write().await?;
    let mut added = Vec::new();
    for f in files {
        let upload = &f.upload;
        let id: Option<i64> = with_db!(tx.conn(), cx => sqlx::query_scalar(
            "insert into media (path, content_type, size, sha256, title, alt, created_at, wp_id, bytes) \
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (path) do nothing returning id",
        )
        .bind(&upload.file.path)
        .bind(&upload.file.content_type)
        .bind(i64::try_from(upload.file.bytes.len()).unwrap_or(i64::MAX))
        .bind(&upload.file.sha256)
        .bind(&upload.title)
        .bind(&f.alt)
        .bind(f.created_at)
        .bind(f.wp_id)
        .bind(&upload.file.bytes)
        .persistent(false)
        .fetch_optional(cx)
        .await)?;
        let Some(id) = id else { continue };
        let (width, height) = upload.size.map_or((None, None), |(w, h)| (Some(i64::from(w)), Some(i64::from(h))));
        with_db!(tx.conn(), cx => sqlx::query("insert into media_items (media_id, name, width, height) values ($1, $2, $3, $4)")
            .bind(id)
            .bind(&upload.name)
            .bind(width)
            .bind(height)
            .execute(cx)
            .await
            .map(|_| ()))?;
        insert_variants(&mut tx, id, upload, f.created_at).await?;
        added.push(upload.file.path.clone());
        added.extend(upload.variants.iter().map(|(file, ..)| file.path.clone()));
    }
    tx.commit().await?;
    Ok(added)
}

/// Longest name part of a stored path, in characters.
const MAX_STEM_CHARS: usize = 60;
/// Longest title taken from a file name, in characters.
const MAX_TITLE_CHARS: usize = 300;

/// The rows to store for a processed file called `name`. Paths are
/// content-addressed: the folder is named by the digest of the file the public
/// gets, and each variant is made from it alone, so a path names the same bytes for
/// ever. An upload's own file sits in that folder too; an imported file keeps its
/// old uploads path `at` (its folder's name then also digests that path, so that
/// the same picture imported under two paths gets two sets of variants, one for
/// each library item).
pub fn new_upload(name: String, p: crate::media::Processed, at: Option<String>) -> NewUpload {
    let digest = sha256_hex(&p.bytes);
    let folder_digest = match &at {
        Some(path) => sha256_hex(format!("{digest}/{path}").as_bytes()),
        None => digest.clone(),
    };
    let folder = folder_digest.get(..20).unwrap_or(&folder_digest).to_owned();
    let stem_source = name.rsplit_once('.').map_or(name.as_str(), |(stem, _)| stem);
    let mut stem: String = crate::domain::slug::slugify(stem_source).chars().take(MAX_STEM_CHARS).collect();
    stem = stem.trim_end_matches('-').to_owned();
    if stem.is_empty() {
        stem = "file".to_owned();
    }
    let ext = p.kind.extension();
    let file = NewFile {
        path: at.unwrap_or_else(|| format!("u/{folder}/{stem}.{ext}")),
        content_type: p.kind.content_type().to_owned(),
        sha256: digest,
        bytes: p.bytes,
    };
    let full_width = p.size.map(|(w, _)| w);
    let variants = p
        .variants
        .into_iter()
        .map(|v| {
            let path = match v.kind {
                crate::media::VariantKind::Original => format!("u/{folder}/{stem}-original.{ext}"),
                _ if Some(v.width) == full_width => format!("u/{folder}/{stem}.{}", v.extension),
                _ => format!("u/{folder}/{stem}-{}.{}", v.width, v.extension),
            };
            let sha256 = sha256_hex(&v.bytes);
            (
                NewFile { path, content_type: v.content_type.to_owned(), sha256, bytes: v.bytes },
                v.kind.as_str(),
                v.width,
                v.height,
            )
        })
        .collect();
    let title = stem_source.chars().take(MAX_TITLE_CHARS).collect();
    NewUpload { file, name, title, size: p.size, variants }
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
