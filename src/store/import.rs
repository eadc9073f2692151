//! The live side of an import: media files copied in ahead of time in small writes,
//! and the one short write that copies the staged posts, comments, tags, old links
//! and settings in. Everything was decided in the staging database (see
//! `store::staging`), so the write is plain `insert ... select` statements.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::staging::{Plan, read_only_uri};
use super::{Result, Store};

/// Brings the schema up to date and initialises a brand-new database (without the
/// demo post). A database that is up to date is not written to, so an import that
/// turns out to have nothing to do leaves it exactly as it was.
pub async fn prepare(store: &Store) -> anyhow::Result<()> {
    sqlx::migrate!("./migrations/sqlite").run(&store.writer.pool).await.context("running database migrations")?;
    let initialised: bool = sqlx::query_scalar("select exists (select 1 from settings where name = 'initialised_at')")
        .fetch_one(store.reader())
        .await?;
    if !initialised {
        super::demo::initialise_once(store, false).await?;
    }
    Ok(())
}

/// The outcome of [`swap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Swap {
    /// Copied in; the write lock was held for `held`.
    Done { held: Duration },
    /// The site changed since the plan was made: resolve again.
    Stale,
}

/// Copies the staged posts, pages, tags, post tags, comments, old links and settings
/// into the live database in one transaction, if the live data version is still
/// `expected_version`.
pub async fn swap(store: &Store, staging: &Path, expected_version: i64) -> Result<Swap> {
    let started = Instant::now();
    let mut tx = store.begin_write().await?;
    let outcome = copy_all(tx.conn(), staging, expected_version).await;
    let result = match outcome {
        Ok(true) => {
            tx.commit().await?;
            Ok(Swap::Done { held: started.elapsed() })
        }
        Ok(false) => {
            drop(tx);
            Ok(Swap::Stale)
        }
        Err(e) => {
            drop(tx);
            Err(e)
        }
    };
    detach(store).await;
    result
}

/// [`swap`] for a site that keeps changing: takes the write lock first, then has
/// `plan` decide everything (reading the live database, which no one else can write
/// meanwhile), then copies. The lock is held longer, but the import cannot be overtaken.
pub async fn swap_planning_inside<F>(store: &Store, staging: &Path, plan: F) -> anyhow::Result<(Duration, Plan)>
where
    F: AsyncFnOnce() -> anyhow::Result<Plan>,
{
    let started = Instant::now();
    let mut tx = store.begin_write().await?;
    let planned = plan().await;
    let result = match planned {
        Ok(plan) => match copy_all(tx.conn(), staging, plan.version).await {
            Ok(true) => match tx.commit().await {
                Ok(()) => Ok((started.elapsed(), plan)),
                Err(e) => Err(e.into()),
            },
            Ok(false) => Err(anyhow::anyhow!("the site changed while the write lock was held")),
            Err(e) => Err(e.into()),
        },
        Err(e) => {
            drop(tx);
            Err(e)
        }
    };
    detach(store).await;
    result
}

async fn copy_all(conn: &mut sqlx::SqliteConnection, staging: &Path, expected_version: i64) -> Result<bool> {
    sqlx::query("attach database $1 as staging").bind(read_only_uri(staging)).execute(&mut *conn).await?;
    let version: i64 = sqlx::query_scalar("select version from site_state where id = 1").fetch_one(&mut *conn).await?;
    if version != expected_version {
        return Ok(false);
    }
    // Room for the indexes the inserts touch, so the lock is held for memory work,
    // not for rereading pages (set back when the staging database is detached).
    sqlx::query(&format!("pragma cache_size = -{SWAP_CACHE_KIB}")).execute(&mut *conn).await?;
    for sql in [
        "insert into posts (id, kind, slug, title, source, source_format, body_html, excerpt, status, sticky, \
           author_id, author_name, comments_open, published_at, updated_at, created_at, wp_id, wp_guid, wp_permalink) \
         select new_id, kind, final_slug, title, source, source_format, body_html, excerpt, status, sticky, \
           author_id, author_name, comments_open, published_at, updated_at, created_at, final_wp_id, \
           nullif(wp_guid, ''), nullif(wp_permalink, '') \
         from staging.posts where new_id is not null order by new_id",
        "insert into tags (slug, name) select slug, min(name) from staging.tags where true group by slug \
         on conflict (slug) do nothing",
        "insert into post_tags (post_id, tag_id) \
         select p.new_id, t.id from staging.post_tags pt join staging.posts p on p.seq = pt.post_seq \
           join tags t on t.slug = pt.tag_slug where p.new_id is not null on conflict do nothing",
        "insert into comments (id, post_id, parent_id, kind, author_name, author_email, author_url, user_id, body, \
           body_html, status, status_before_trash, rule, author_ip, user_agent, created_at, wp_id) \
         select new_id, post_id, parent_id, kind, author_name, author_email, author_url, user_id, body, body_html, \
           status, status_before_trash, rule, author_ip, user_agent, created_at, wp_id \
         from staging.comments where new_id is not null order by new_id",
        "insert into legacy_links (key, post_id) select l.key, p.new_id from staging.links l \
           join staging.posts p on p.seq = l.post_seq where p.new_id is not null order by l.rowid \
         on conflict (key) do nothing",
        "insert into legacy_links (key, tag_id) select l.key, t.id from staging.links l \
           join tags t on t.slug = l.tag_slug where true order by l.rowid on conflict (key) do nothing",
        "insert into legacy_links (key, media_id) select l.key, m.id from staging.links l \
           join media m on m.path = l.media_path where true order by l.rowid on conflict (key) do nothing",
        "insert into settings (name, value) select name, value from staging.settings where true \
         on conflict (name) do nothing",
    ] {
        sqlx::query(sql).execute(&mut *conn).await?;
    }
    Ok(true)
}

/// The staged media still to copy, in batches of about `batch_bytes`: rowid ranges
/// of the staging media table.
pub async fn media_batches(store: &Store, staging: &Path, batch_bytes: i64) -> Result<Vec<(i64, i64)>> {
    let mut conn = store.writer.pool.acquire().await?;
    sqlx::query("attach database $1 as staging").bind(read_only_uri(staging)).execute(&mut *conn).await?;
    let rows: Result<Vec<(i64, i64)>> = sqlx::query_as(
        "select s.rowid, s.size from staging.media s \
         where not exists (select 1 from media m where m.path = s.path) order by s.rowid",
    )
    .fetch_all(&mut *conn)
    .await;
    let _ = sqlx::query("detach database staging").execute(&mut *conn).await;
    let mut batches = Vec::new();
    let mut current: Option<(i64, i64, i64)> = None;
    for (rowid, size) in rows? {
        current = match current {
            Some((from, _, bytes)) if bytes + size <= batch_bytes => Some((from, rowid, bytes + size)),
            Some((from, to, _)) => {
                batches.push((from, to));
                Some((rowid, rowid, size))
            }
            None => Some((rowid, rowid, size)),
        };
    }
    batches.extend(current.map(|(from, to, _)| (from, to)));
    Ok(batches)
}

/// Copies one batch of staged media (a rowid range) in its own short write,
/// returning the paths it added.
pub async fn copy_media(store: &Store, staging: &Path, from: i64, to: i64) -> Result<Vec<String>> {
    let mut tx = store.begin_write().await?;
    let copied = async {
        let conn = tx.conn();
        sqlx::query("attach database $1 as staging").bind(read_only_uri(staging)).execute(&mut *conn).await?;
        sqlx::query_scalar(
            "insert into media (path, content_type, size, sha256, title, alt, created_at, wp_id, bytes) \
             select path, content_type, size, sha256, title, alt, created_at, wp_id, bytes from staging.media \
             where rowid between $1 and $2 and true on conflict (path) do nothing returning path",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&mut *conn)
        .await
    }
    .await;
    let result = match copied {
        Ok(paths) => tx.commit().await.map(|()| paths),
        Err(e) => {
            drop(tx);
            Err(e)
        }
    };
    detach(store).await;
    result
}

/// Removes media rows an import added before it failed.
pub async fn remove_media(store: &Store, paths: &[String]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for path in paths {
        sqlx::query("delete from media where path = $1").bind(path).execute(tx.conn()).await?;
    }
    tx.commit().await
}

async fn detach(store: &Store) {
    if let Err(e) = sqlx::query("detach database staging").execute(&store.writer.pool).await {
        tracing::debug!("detaching the staging database: {e}");
    }
    let _ = sqlx::query("pragma cache_size = -2000").execute(&store.writer.pool).await;
}

/// The page cache of the writer connection during the swap.
const SWAP_CACHE_KIB: u32 = 256 * 1024;

/// Tells SQLite to copy the write-ahead log into the database file now (after a
/// large import), without waiting for readers.
pub async fn checkpoint(store: &Store) {
    let _ = sqlx::query("pragma wal_checkpoint(passive)").execute(&store.writer.pool).await;
}
