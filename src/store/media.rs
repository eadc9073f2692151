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
    with_db!(store.reader(), db => sqlx::query_scalar("select substr(bytes, $2, $3) from media where id = $1")
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
