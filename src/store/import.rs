//! The live side of an import, all in short writes so that readers and commenters
//! never wait long: media copied in ahead of time, the plan's numbers reserved, new
//! posts written hidden (with their comments) a few at a time, then one short write
//! that shows them all. Everything was decided in the staging database (see
//! `store::staging`), so the writes are plain `insert ... select` statements (and,
//! for a very large post, an update that puts its text in: see `TEXT_APART_BYTES`).

use std::path::Path;

use super::db::{Conn, Db};
use super::staging::read_only_uri;
use super::{Backend, Result, Store, postgres};
use crate::domain::status::{CommentStatus, PostStatus};
use crate::with_db;

/// Brings the schema up to date and initialises a brand-new database (without the
/// demo post). A database that is up to date is not written to, so an import that
/// turns out to have nothing to do leaves it exactly as it was.
pub async fn prepare(store: &Store) -> anyhow::Result<()> {
    super::migrate(store).await?;
    let initialised: bool = with_db!(store.reader(), db => sqlx::query_scalar(
        "select exists (select 1 from settings where name = 'initialised_at')",
    )
    .fetch_one(db)
    .await)?;
    if !initialised {
        super::demo::initialise_once(store, false).await?;
    }
    Ok(())
}

/// The status of a post an import has written but not yet published. No page, feed,
/// listing or count shows it, so a new post's comments, tags and search entry can be
/// written in many short writes while readers see none of them; the import's last
/// write gives each post its own status, and the whole import appears at once.
/// Its comments' id reservation carries [`CommentStatus::Importing`].
pub const IMPORTING: PostStatus = PostStatus::Importing;

/// The numbers an import has reserved: a hidden post and a hidden comment above
/// every id its plan may give out, so that posts and comments the site takes
/// meanwhile get numbers above the import's, and none of the plan's can be taken.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reservation {
    pub post: i64,
    pub comment: i64,
}

impl Reservation {
    /// The ids a plan must stay under.
    pub fn below(&self) -> (i64, i64) {
        (self.post, self.comment)
    }
}

/// Reserves ids for a file of at most `items` items and `comments` comments whose
/// highest WordPress comment id is `max_wp_comment` (see [`Reservation`]), in one
/// short write that changes nothing a reader sees.
pub async fn reserve(store: &Store, items: i64, comments: i64, max_wp_comment: i64) -> Result<Reservation> {
    let mut tx = store.begin_write().await?;
    let (max_post, max_comment): (i64, i64) = with_db!(tx.conn(), cx => sqlx::query_as(
        "select (select coalesce(max(id), 0) from posts), (select coalesce(max(id), 0) from comments)",
    )
    .fetch_one(cx)
    .await)?;
    let post = max_post + items + 1;
    let comment = max_comment.max(max_wp_comment) + comments + 1;
    let now = store.now();
    let title = reserver();
    with_db!(tx.conn(), cx => {
        sqlx::query(
            "insert into posts (id, kind, slug, title, source, body_html, status, updated_at, created_at) \
             values ($1, 'post', '.import-' || $1, $4, '', '', $2, $3, $3)",
        )
        .bind(post)
        .bind(IMPORTING)
        .bind(now)
        .bind(&title)
        .execute(&mut *cx)
        .await?;
        sqlx::query(
            "insert into comments (id, post_id, body, body_html, status, created_at) values ($1, $2, '', '', $3, $4)",
        )
        .bind(comment)
        .bind(post)
        .bind(CommentStatus::Importing)
        .bind(now)
        .execute(&mut *cx)
        .await
        .map(|_| ())
    })?;
    // PostgreSQL's identity sequences do not move for explicit ids: moved here, the
    // site's next post and comment get numbers above the reservation.
    if let Db::Postgres(cx) = tx.conn() {
        postgres::import::advance_sequences(cx, post, comment).await?;
    }
    tx.commit().await?;
    Ok(Reservation { post, comment })
}

/// Adds the staged tags the site does not have, returning their ids. No page lists
/// a tag until a visible post carries it.
pub async fn add_tags(store: &Store, staging: &Path) -> Result<Vec<i64>> {
    if store.backend() == Backend::Postgres {
        let staged = postgres::import::staged_tags(staging).await?;
        let mut tx = store.begin_write().await?;
        let Db::Postgres(cx) = tx.conn() else { return Err(postgres::unsupported("this step")) };
        let tags = postgres::import::insert_tags(cx, &staged).await?;
        tx.commit().await?;
        return Ok(tags);
    }
    let mut tx = store.begin_write().await?;
    let tags = sqlx::query_scalar(
        "insert into tags (slug, name) select slug, min(name) from staging.tags where true group by slug \
         on conflict (slug) do nothing returning id",
    )
    .fetch_all(tx.sqlite()?)
    .await?;
    tx.commit().await?;
    Ok(tags)
}

/// Removes the tags `ids` an import added, if no post carries them.
pub async fn remove_tags(store: &Store, ids: &[i64]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for chunk in ids.chunks(super::MAX_LIST) {
        let sql = format!(
            "delete from tags where id in ({}) and not exists (select 1 from post_tags pt where pt.tag_id = tags.id)",
            super::placeholders(1, chunk.len())
        );
        with_db!(tx.conn(), cx => {
            let mut q = sqlx::query(&sql);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(cx).await.map(|_| ())
        })?;
    }
    tx.commit().await
}

/// Writes the new posts `seqs` (staging sequence numbers) hidden, with their tags,
/// search entries and comments, in one write, returning their ids. Nothing a reader
/// sees changes, so the data version is left alone.
pub async fn publish_hidden(
    store: &Store,
    staging: &Path,
    reservation: &Reservation,
    seqs: &[i64],
) -> Result<Vec<i64>> {
    let seqs = json_list(seqs);
    if store.backend() == Backend::Postgres {
        // The rows are read before the write begins, so the write holds the lock
        // only for the inserts (and for reading the texts of very large posts,
        // which are read one at a time as they are written).
        let rows = postgres::import::staged_posts(staging, &seqs, TEXT_APART_BYTES).await?;
        let mut tx = store.begin_write().await?;
        let Db::Postgres(cx) = tx.conn() else { return Err(postgres::unsupported("this step")) };
        sqlx::query("update posts set updated_at = $1 where id = $2")
            .bind(store.now())
            .bind(reservation.post)
            .execute(&mut *cx)
            .await?;
        // Foreign keys checked at the commit (tags go in before their posts), and no
        // per-statement time limit: one very large post is one statement.
        sqlx::query("set constraints all deferred").execute(&mut *cx).await?;
        sqlx::query("set local statement_timeout = 0").execute(&mut *cx).await?;
        let ids = postgres::import::insert_hidden(cx, rows, IMPORTING.as_str()).await?;
        postgres::import::insert_large_texts(cx, staging, &seqs, TEXT_APART_BYTES).await?;
        tx.commit().await?;
        return Ok(ids);
    }
    let mut tx = store.begin_write().await?;
    let conn = tx.sqlite()?;
    // The reserved post's time shows the import is still at work (see [`reservations`]).
    sqlx::query("update posts set updated_at = $1 where id = $2")
        .bind(store.now())
        .bind(reservation.post)
        .execute(&mut *conn)
        .await?;
    // A post's tags go in before the post, so its search entry is made once, with
    // them (foreign keys are checked at commit).
    sqlx::query("pragma defer_foreign_keys = on").execute(&mut *conn).await?;
    sqlx::query(
        "insert into post_tags (post_id, tag_id) \
         select p.new_id, t.id from staging.post_tags pt join staging.posts p on p.seq = pt.post_seq \
           join tags t on t.slug = pt.tag_slug \
         where pt.post_seq in (select value from json_each($1)) and p.new_id is not null on conflict do nothing",
    )
    .bind(&seqs)
    .execute(&mut *conn)
    .await?;
    // In the order of `new_id` (the reservation's base plus `seq`), read by key:
    // sorting would first copy every whole row, however large, into a temporary table.
    // A post larger than [`TEXT_APART_BYTES`] is written without its text, which the
    // last write puts in (see [`write_large_texts`]). The statement is dropped once
    // run, with the memory of the rows it copied.
    let ids = sqlx::query_scalar(
        "insert into posts (id, kind, slug, title, source, source_format, body_html, excerpt, status, sticky, \
           author_id, author_name, comments_open, published_at, updated_at, created_at, wp_id, wp_guid, \
           wp_permalink, featured_media_id) \
         select p.new_id, p.kind, p.final_slug, p.title, coalesce(s.text, ''), p.source_format, \
           coalesce(b.text, ''), p.excerpt, $2, p.sticky, p.author_id, p.author_name, p.comments_open, \
           p.published_at, p.updated_at, p.created_at, p.final_wp_id, nullif(p.wp_guid, ''), \
           nullif(p.wp_permalink, ''), (select m.id from media m where m.id = p.featured_media_id) \
         from staging.posts p left join staging.post_sources s on s.seq = p.seq and p.bytes <= $3 \
           left join staging.post_bodies b on b.seq = p.seq and p.bytes <= $3 \
         where p.seq in (select value from json_each($1)) and p.new_id is not null \
         order by p.seq returning id",
    )
    .persistent(false)
    .bind(&seqs)
    .bind(IMPORTING)
    .bind(TEXT_APART_BYTES)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "{INSERT_COMMENTS} where c.post_seq in (select value from json_each($1)) and c.new_id is not null \
         order by c.new_id"
    ))
    .bind(&seqs)
    .execute(&mut *conn)
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// Staged comments as rows of the live table (followed by a `where` on `c`).
const INSERT_COMMENTS: &str = "insert into comments (id, post_id, parent_id, kind, author_name, author_email, \
       author_url, user_id, body, body_html, status, status_before_trash, rule, author_ip, user_agent, created_at, \
       wp_id, disqus_id) \
     select c.new_id, c.post_id, c.parent_id, t.kind, t.author_name, t.author_email, t.author_url, c.user_id, \
       t.body, t.body_html, c.status, t.status_before_trash, t.rule, t.author_ip, t.user_agent, t.created_at, \
       c.wp_id, c.disqus_id \
     from staging.comments c join staging.comment_texts t on t.seq = c.seq";

/// The import's last write: the new comments of posts the site already had (a
/// Disqus export's are all such), the
/// hidden posts given their own statuses (`hidden` of them, or the write fails),
/// old links and settings; the reservation is released. One short write: every
/// post and comment of the import appears at once.
pub async fn finish(store: &Store, staging: &Path, reservation: &Reservation, hidden: u64) -> Result<()> {
    if store.backend() == Backend::Postgres {
        let rows = postgres::import::staged_final(staging).await?;
        let mut tx = store.begin_write().await?;
        let Db::Postgres(cx) = tx.conn() else { return Err(postgres::unsupported("this step")) };
        // Foreign keys checked at the commit (tags go in before their posts), and no
        // per-statement time limit: one very large post is one statement.
        sqlx::query("set constraints all deferred").execute(&mut *cx).await?;
        sqlx::query("set local statement_timeout = 0").execute(&mut *cx).await?;
        let shown = postgres::import::insert_final(cx, rows, IMPORTING.as_str()).await?;
        if shown != hidden {
            return Err(not_all_shown(hidden, shown));
        }
        remove_placeholders(tx.conn(), reservation).await?;
        return tx.commit().await;
    }
    let mut tx = store.begin_write().await?;
    let conn = tx.sqlite()?;
    sqlx::query("pragma defer_foreign_keys = on").execute(&mut *conn).await?;
    sqlx::query(&format!(
        "{INSERT_COMMENTS} left join staging.posts p on p.seq = c.post_seq \
         where p.new_id is null and c.new_id is not null order by c.new_id"
    ))
    .execute(&mut *conn)
    .await?;
    let shown = sqlx::query(
        "update posts set status = (select s.status from staging.posts s where s.new_id = posts.id) \
         where id in (select new_id from staging.posts where new_id is not null) and status = $1",
    )
    .persistent(false)
    .bind(IMPORTING)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if shown != hidden {
        return Err(not_all_shown(hidden, shown));
    }
    write_large_texts(conn).await?;
    for sql in [
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
    remove_placeholders(tx.conn(), reservation).await?;
    tx.commit().await
}

/// A post's text (source and HTML, in bytes) above which an import writes it apart.
/// On SQLite the hidden write inserts the post without it, and the last write, which
/// rewrites the post's row anyway to give it its status, puts it in: copying rows
/// into a table with triggers (`insert ... select`) goes through a temporary table,
/// which held a very large post several times over; written apart, it is held once
/// as its values and once as the row SQLite makes of them, and written once. (On
/// PostgreSQL, which keeps large values apart from their row, the hidden write puts
/// each text in after its inserts: see `postgres::import::insert_large_texts`.)
const TEXT_APART_BYTES: i64 = 1024 * 1024;

/// Puts in the texts of the new posts [`publish_hidden`] wrote without them, one post
/// per statement, reading each straight from the staging database. (Both columns
/// from one row-value subquery: a scalar subquery's value is copied once more on
/// its way into the row.)
async fn write_large_texts(conn: &mut sqlx::SqliteConnection) -> Result<()> {
    let large: Vec<(i64, i64)> =
        sqlx::query_as("select seq, new_id from staging.posts where new_id is not null and bytes > $1 order by seq")
            .bind(TEXT_APART_BYTES)
            .fetch_all(&mut *conn)
            .await?;
    for (seq, id) in large {
        sqlx::query(
            "update posts set (source, body_html) = \
               (select s.text, b.text from staging.post_sources s join staging.post_bodies b on b.seq = s.seq \
                where s.seq = $1) \
             where id = $2",
        )
        .persistent(false)
        .bind(seq)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

fn not_all_shown(hidden: u64, shown: u64) -> sqlx::Error {
    sqlx::Error::Protocol(format!("{hidden} imported posts were written hidden but {shown} were found to publish"))
}

async fn remove_placeholders(conn: Conn<'_>, reservation: &Reservation) -> Result<()> {
    with_db!(conn, cx => sqlx::query("delete from posts where id = $1 and status = $2")
        .bind(reservation.post)
        .bind(IMPORTING)
        .execute(cx)
        .await
        .map(|_| ()))
}

/// Gives back a reservation (of an import that failed, or had nothing to write).
pub async fn release(store: &Store, reservation: &Reservation) -> Result<()> {
    let mut tx = store.begin_write().await?;
    remove_placeholders(tx.conn(), reservation).await?;
    tx.commit().await
}

/// The title of a reservation's hidden post, followed by the importing process's id
/// and its process namespace (see [`reserver`]).
pub const RESERVED_BY: &str = "reserved by hewn import, process ";

/// The title of this process's reservations: its id, and (on Linux) the process
/// namespace that id belongs to, so that an import in another container, whose id
/// means nothing here, is not taken for a dead one.
pub fn reserver() -> String {
    format!("{RESERVED_BY}{} in {}", std::process::id(), process_namespace())
}

/// This process's PID namespace (`pid:[4026531836]`), or empty where `/proc` does not tell.
pub fn process_namespace() -> String {
    std::fs::read_link("/proc/self/ns/pid").map(|p| p.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The reservations of imports that may still be writing: each one's title (see
/// [`RESERVED_BY`]) and the last time it wrote.
pub async fn reservations(store: &Store) -> Result<Vec<(String, i64)>> {
    with_db!(store.reader(), db => sqlx::query_as(
        "select title, updated_at from posts where kind = 'post' and status = $1 and slug like '.import-%'",
    )
    .bind(IMPORTING)
    .fetch_all(db)
    .await)
}

/// The hidden posts an import that was killed half-way left behind (none of them
/// ever shown), by id.
pub async fn leftovers(store: &Store) -> Result<Vec<i64>> {
    with_db!(store.reader(), db => sqlx::query_scalar(
        "select id from posts where kind in ('post', 'page') and status = $1 order by id",
    )
    .bind(IMPORTING)
    .fetch_all(db)
    .await)
}

/// Removes hidden posts (with their comments, tags and search entries) by id, in
/// one write: what a failed import wrote, or a killed one left behind.
pub async fn remove_hidden(store: &Store, ids: &[i64]) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for chunk in ids.chunks(super::MAX_LIST) {
        let sql = format!("delete from posts where status = $1 and id in ({})", super::placeholders(2, chunk.len()));
        with_db!(tx.conn(), cx => {
            let mut q = sqlx::query(&sql).bind(IMPORTING);
            for id in chunk {
                q = q.bind(*id);
            }
            q.execute(cx).await.map(|_| ())
        })?;
    }
    tx.commit().await
}

fn json_list(ids: &[i64]) -> String {
    let mut json = String::from("[");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&id.to_string());
    }
    json.push(']');
    json
}

/// Opens the staging database `staging` on the writer connection, for the writes
/// that follow (until [`close_staging`]).
pub async fn open_staging(store: &Store, staging: &Path) -> Result<()> {
    // PostgreSQL reads the staging file in each write instead (nothing to attach).
    let Ok(pool) = store.sqlite_writer() else { return Ok(()) };
    sqlx::query("attach database $1 as staging").bind(read_only_uri(staging)).execute(pool).await?;
    // Room for the indexes the inserts touch, so the lock is held for memory work,
    // not for rereading pages; and no copying of the write-ahead log into the database
    // file inside each commit, holding the lock: the import does it between its
    // writes ([`checkpoint`]). An import with a very large post keeps a small cache
    // instead, so that the pages of that post are written out to the log as they
    // fill, not held in memory until the commit, and keeps temporary tables on disk:
    // copying rows into a table with triggers goes through one, which would hold
    // another whole copy of that post in memory.
    let largest: i64 = sqlx::query_scalar("select coalesce(max(bytes), 0) from staging.posts where new_id is not null")
        .fetch_one(pool)
        .await?;
    if largest > LARGE_POST_BYTES {
        sqlx::query(&format!("pragma cache_size = -{LARGE_POST_CACHE_KIB}")).execute(pool).await?;
        sqlx::query("pragma temp_store = file").execute(pool).await?;
    } else {
        sqlx::query(&format!("pragma cache_size = -{WRITE_CACHE_KIB}")).execute(pool).await?;
    }
    sqlx::query("pragma wal_autocheckpoint = 0").execute(pool).await?;
    Ok(())
}

/// Copies what the write-ahead log holds into the database file, without waiting for
/// readers and without taking the write lock: done in the pauses between an
/// import's writes, it keeps the log small (and the copy out of the commits of
/// anyone writing meanwhile).
pub async fn checkpoint(store: &Store) {
    if let Ok(pool) = store.sqlite_writer() {
        let _ = sqlx::query("pragma wal_checkpoint(passive)").execute(pool).await;
    }
}

/// Closes the staging database opened by [`open_staging`], and copies the write-ahead
/// log into the database file (without waiting for readers).
pub async fn close_staging(store: &Store) {
    detach(store).await;
    if let Ok(pool) = store.sqlite_writer() {
        let _ = sqlx::query("pragma wal_autocheckpoint = 1000").execute(pool).await;
    }
    checkpoint(store).await;
}

/// The staged media still to copy, in batches of about `batch_bytes`: rowid ranges
/// of the staging media table.
pub async fn media_batches(store: &Store, staging: &Path, batch_bytes: i64) -> Result<Vec<(i64, i64)>> {
    let rows = match store.writer().pool() {
        Db::Postgres(_) => postgres::import::staged_media_sizes(store, staging).await,
        Db::Sqlite(pool) => {
            let mut conn = pool.acquire().await?;
            sqlx::query("attach database $1 as staging").bind(read_only_uri(staging)).execute(&mut *conn).await?;
            let rows: Result<Vec<(i64, i64)>> = sqlx::query_as(
                "select s.rowid, s.size from staging.media s \
                 where not exists (select 1 from media m where m.path = s.path) order by s.rowid",
            )
            .fetch_all(&mut *conn)
            .await;
            let _ = sqlx::query("detach database staging").execute(&mut *conn).await;
            rows
        }
    };
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

/// One batch of staged media (a rowid range), read from the staging file without
/// touching the site: the import processes the images (see `crate::media`) before
/// [`super::media::insert_imported`] writes them.
pub async fn staged_media(staging: &Path, from: i64, to: i64) -> Result<Vec<postgres::import::MediaRow>> {
    postgres::import::staged_media(staging, from, to).await
}

/// Removes media rows an import added before it failed.
pub async fn remove_media(store: &Store, paths: &[String]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for path in paths {
        with_db!(tx.conn(), cx => {
            sqlx::query("delete from media where path = $1").bind(path).execute(cx).await.map(|_| ())
        })?;
    }
    tx.commit().await
}

async fn detach(store: &Store) {
    let Ok(pool) = store.sqlite_writer() else { return };
    if let Err(e) = sqlx::query("detach database staging").execute(pool).await {
        tracing::debug!("detaching the staging database: {e}");
    }
    let _ = sqlx::query("pragma cache_size = -2000").execute(pool).await;
    let _ = sqlx::query("pragma temp_store = memory").execute(pool).await;
}

/// The page cache of the writer connection during an import's writes.
const WRITE_CACHE_KIB: u32 = 256 * 1024;
/// A post this large (source and HTML, in bytes) makes an import write with
/// [`LARGE_POST_CACHE_KIB`] instead: its own pages would fill the larger cache.
const LARGE_POST_BYTES: i64 = 16 * 1024 * 1024;
/// The page cache of the writer connection for an import with a very large post.
const LARGE_POST_CACHE_KIB: u32 = 8 * 1024;
