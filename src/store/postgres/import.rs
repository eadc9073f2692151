//! The import's live side on PostgreSQL. Staging stays a private SQLite file; what
//! SQLite does with the live database attached to it is done here in two steps:
//! planning reads a "live keys" SQLite file copied from one snapshot of the site
//! (attached as `live`, so the plan's statements run unchanged), and each live write
//! reads its rows from the staging file first, then inserts them through PostgreSQL
//! in one short write transaction.

use std::path::Path;

use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, FromRow, PgPool, Postgres, QueryBuilder, Row as _, Sqlite, SqliteConnection};

use super::super::Result;

/// The session advisory lock an import holds on a connection of its own for as long
/// as it runs: another import, on any host, that cannot take it knows this one is
/// alive; one that takes it knows every reservation it finds was left by an import
/// that died (PostgreSQL releases the lock with the session).
const IMPORT_LOCK: i64 = 7_305_085_049_114_181_007;

/// The held import lock (see [`IMPORT_LOCK`]): released when dropped or closed.
pub struct ImportLock(PgConnection);

impl ImportLock {
    /// Takes the import lock on a connection of its own; `None` when another import
    /// holds it.
    pub async fn take(url: &str) -> Result<Option<Self>> {
        let mut conn = PgConnection::connect(url).await?;
        let taken: bool =
            sqlx::query_scalar(&format!("select pg_try_advisory_lock({IMPORT_LOCK})")).fetch_one(&mut conn).await?;
        if taken {
            Ok(Some(Self(conn)))
        } else {
            let _ = conn.close().await;
            Ok(None)
        }
    }

    /// Releases the lock and closes its connection.
    pub async fn release(self) {
        let _ = self.0.close().await;
    }
}

/// A column of the live keys file.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
}

/// The tables and columns the plan reads from `live.*` (see `store::import_plan`),
/// keyed by their first column.
const LIVE_KEYS: &[(&str, &[(&str, Kind)])] = &[
    (
        "posts",
        &[
            ("id", Kind::Int),
            ("kind", Kind::Text),
            ("slug", Kind::Text),
            ("title", Kind::Text),
            ("published_at", Kind::Int),
            ("wp_id", Kind::Int),
            ("wp_guid", Kind::Text),
            ("status", Kind::Text),
        ],
    ),
    ("comments", &[("id", Kind::Int), ("post_id", Kind::Int), ("wp_id", Kind::Int), ("disqus_id", Kind::Int)]),
    ("users", &[("id", Kind::Int), ("username", Kind::Text)]),
    ("tags", &[("slug", Kind::Text)]),
    ("media", &[("path", Kind::Text)]),
    ("legacy_links", &[("key", Kind::Text), ("post_id", Kind::Int)]),
    ("settings", &[("name", Kind::Text), ("value", Kind::Text)]),
];

/// The live keys file's schema: the live tables' names and columns, and the indexes
/// the plan's lookups use.
const LIVE_SCHEMA: &str = r"
create table posts (
    id integer primary key, kind text, slug text, title text, published_at integer, wp_id integer,
    wp_guid text, status text
);
create index posts_slug on posts (slug);
create index posts_wp_id on posts (wp_id);
create index posts_wp_guid on posts (wp_guid);
create table comments (id integer primary key, post_id integer, wp_id integer, disqus_id integer);
create index comments_post_wp_id on comments (post_id, wp_id);
create index comments_disqus_id on comments (disqus_id);
create table users (id integer primary key, username text);
create index users_username on users (username);
create table tags (slug text primary key);
create table media (path text primary key);
create table legacy_links (key text primary key, post_id integer);
create table settings (name text primary key, value text);
";

/// Rows read from PostgreSQL at a time, and written to the keys file per statement.
const KEYS_BATCH: i64 = 5_000;
const KEYS_PER_INSERT: usize = 400;

#[derive(Clone)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

/// Writes the live keys file at `path` (replacing one left there) from one
/// repeatable-read snapshot of the site.
pub async fn write_live_keys(pool: &PgPool, path: &Path) -> anyhow::Result<()> {
    use anyhow::Context;
    remove_file(path);
    let opts = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Off)
        .synchronous(SqliteSynchronous::Off);
    let mut keys = SqliteConnection::connect_with(&opts)
        .await
        .with_context(|| format!("creating the live keys file {}", path.display()))?;
    let written = async {
        sqlx::raw_sql(LIVE_SCHEMA).execute(&mut keys).await?;
        let mut snapshot = pool.begin_with("begin isolation level repeatable read, read only").await?;
        let mut out = keys.begin().await?;
        for (table, columns) in LIVE_KEYS {
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            let key = names.first().copied().unwrap_or("id");
            let int_key = matches!(columns.first(), Some((_, Kind::Int)));
            let filter = if int_key { format!("{key} > $2") } else { format!("($2::text is null or {key} > $2)") };
            let select = format!("select {} from {table} where {filter} order by {key} limit $1", names.join(", "));
            let (mut after_int, mut after_text) = (i64::MIN, None::<String>);
            loop {
                let q = sqlx::query(&select).bind(KEYS_BATCH);
                let q = if int_key { q.bind(after_int) } else { q.bind(after_text.clone()) };
                let rows = q.fetch_all(&mut *snapshot).await?;
                let mut values = Vec::with_capacity(rows.len());
                for row in &rows {
                    let mut v = Vec::with_capacity(columns.len());
                    for (i, (_, kind)) in columns.iter().enumerate() {
                        v.push(match kind {
                            Kind::Int => Value::Int(row.try_get(i)?),
                            Kind::Text => Value::Text(row.try_get(i)?),
                        });
                    }
                    values.push(v);
                }
                match values.last().and_then(|v| v.first()) {
                    Some(Value::Int(Some(id))) => after_int = *id,
                    Some(Value::Text(Some(k))) => after_text = Some(k.clone()),
                    _ => break,
                }
                for chunk in values.chunks(KEYS_PER_INSERT) {
                    let mut q: QueryBuilder<'_, Sqlite> =
                        QueryBuilder::new(format!("insert into {table} ({}) ", names.join(", ")));
                    q.push_values(chunk, |mut b, row| {
                        for value in row {
                            match value {
                                Value::Int(v) => b.push_bind(*v),
                                Value::Text(v) => b.push_bind(v.clone()),
                            };
                        }
                    });
                    q.build().execute(&mut *out).await?;
                }
                if i64::try_from(rows.len()).unwrap_or(0) < KEYS_BATCH {
                    break;
                }
            }
        }
        out.commit().await?;
        snapshot.rollback().await?;
        Ok::<(), sqlx::Error>(())
    }
    .await;
    let _ = keys.close().await;
    if written.is_err() {
        remove_file(path);
    }
    written.context("copying the site's keys for planning the import")
}

/// Removes the live keys file.
pub fn remove_file(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
}

/// The staging file, opened read-only for the rows of one live write.
async fn staging(path: &Path) -> Result<SqliteConnection> {
    SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(path).read_only(true)).await
}

/// The staged tags, one per slug, in slug order.
pub async fn staged_tags(path: &Path) -> Result<Vec<(String, String)>> {
    let mut conn = staging(path).await?;
    let rows =
        sqlx::query_as("select slug, min(name) from tags group by slug order by slug").fetch_all(&mut conn).await;
    let _ = conn.close().await;
    rows
}

/// Inserts `tags` (slug, name) the site does not have; returns the new ids.
pub async fn insert_tags(cx: &mut PgConnection, tags: &[(String, String)]) -> Result<Vec<i64>> {
    let (slugs, names): (Vec<&str>, Vec<&str>) = tags.iter().map(|(s, n)| (s.as_str(), n.as_str())).unzip();
    sqlx::query_scalar(
        "insert into tags (slug, name) select s, n from unnest($1::text[], $2::text[]) with ordinality as x(s, n, o) \
         order by o on conflict (slug) do nothing returning id",
    )
    .bind(slugs)
    .bind(names)
    .fetch_all(cx)
    .await
}

/// A new post as staged, ready to insert.
#[derive(FromRow)]
pub struct PostRow {
    new_id: i64,
    kind: String,
    final_slug: String,
    title: String,
    source: String,
    source_format: String,
    body_html: String,
    excerpt: String,
    sticky: bool,
    author_id: Option<i64>,
    author_name: String,
    comments_open: bool,
    published_at: Option<i64>,
    updated_at: i64,
    created_at: i64,
    final_wp_id: Option<i64>,
    wp_guid: Option<String>,
    wp_permalink: Option<String>,
    featured_media_id: Option<i64>,
}

/// A new comment as staged, ready to insert.
#[derive(FromRow)]
pub struct CommentRow {
    new_id: i64,
    post_id: i64,
    parent_id: Option<i64>,
    kind: String,
    author_name: String,
    author_email: String,
    author_url: String,
    user_id: Option<i64>,
    body: String,
    body_html: String,
    status: String,
    status_before_trash: Option<String>,
    rule: String,
    author_ip: String,
    user_agent: String,
    created_at: i64,
    wp_id: Option<i64>,
    disqus_id: Option<i64>,
}

/// Staged comments' columns (followed by a `where` on `c`).
const SELECT_COMMENTS: &str = "select c.new_id, c.post_id, c.parent_id, t.kind, t.author_name, t.author_email, \
       t.author_url, c.user_id, t.body, t.body_html, c.status, t.status_before_trash, t.rule, t.author_ip, \
       t.user_agent, t.created_at, c.wp_id, c.disqus_id \
     from comments c join comment_texts t on t.seq = c.seq";

/// What one hidden write inserts: the posts' tags (post id, tag slug), the posts in
/// `seq` order, and their comments in id order.
pub struct HiddenRows {
    tags: Vec<(i64, String)>,
    posts: Vec<PostRow>,
    comments: Vec<CommentRow>,
}

/// Reads the rows of the staged posts `seqs` (a JSON list) and of their comments;
/// the texts of posts larger than `apart` bytes are left out (see [`insert_large_texts`]).
pub async fn staged_posts(path: &Path, seqs: &str, apart: i64) -> Result<HiddenRows> {
    let mut conn = staging(path).await?;
    let rows = async {
        let tags = sqlx::query_as(
            "select p.new_id, pt.tag_slug from post_tags pt join posts p on p.seq = pt.post_seq \
             where pt.post_seq in (select value from json_each($1)) and p.new_id is not null",
        )
        .bind(seqs)
        .fetch_all(&mut conn)
        .await?;
        let posts = sqlx::query_as(
            "select p.new_id, p.kind, p.final_slug, p.title, coalesce(s.text, '') as source, p.source_format, \
               coalesce(b.text, '') as body_html, p.excerpt, p.sticky, p.author_id, p.author_name, \
               p.comments_open, p.published_at, p.updated_at, p.created_at, p.final_wp_id, \
               nullif(p.wp_guid, '') as wp_guid, nullif(p.wp_permalink, '') as wp_permalink, \
               p.featured_media_id \
             from posts p left join post_sources s on s.seq = p.seq and p.bytes <= $2 \
               left join post_bodies b on b.seq = p.seq and p.bytes <= $2 \
             where p.seq in (select value from json_each($1)) and p.new_id is not null order by p.seq",
        )
        .persistent(false)
        .bind(seqs)
        .bind(apart)
        .fetch_all(&mut conn)
        .await?;
        let comments = sqlx::query_as(&format!(
            "{SELECT_COMMENTS} where c.post_seq in (select value from json_each($1)) and c.new_id is not null \
             order by c.new_id"
        ))
        .bind(seqs)
        .fetch_all(&mut conn)
        .await?;
        Ok(HiddenRows { tags, posts, comments })
    }
    .await;
    let _ = conn.close().await;
    rows
}

/// Post rows per insert, and the most text one insert carries.
const POSTS_PER_INSERT: usize = 100;
const TEXT_BYTES_PER_INSERT: usize = 4 * 1024 * 1024;
/// Comment rows per insert (18 binds each, well under PostgreSQL's 65,535).
const COMMENTS_PER_INSERT: usize = 500;

/// Inserts one hidden write's rows (see [`staged_posts`]), the posts with status
/// `status`; returns the posts' ids. Foreign keys must be deferred.
pub async fn insert_hidden(cx: &mut PgConnection, rows: HiddenRows, status: &str) -> Result<Vec<i64>> {
    let (posts, slugs): (Vec<i64>, Vec<&str>) = rows.tags.iter().map(|(p, s)| (*p, s.as_str())).unzip();
    sqlx::query(
        "insert into post_tags (post_id, tag_id) select x.p, t.id from unnest($1::bigint[], $2::text[]) \
         with ordinality as x(p, s, o) join tags t on t.slug = x.s order by x.o on conflict do nothing",
    )
    .bind(posts)
    .bind(slugs)
    .execute(&mut *cx)
    .await?;
    let mut ids = Vec::with_capacity(rows.posts.len());
    let mut rest = rows.posts.as_slice();
    while !rest.is_empty() {
        let (mut n, mut bytes) = (0, 0);
        while let Some(p) = rest.get(n)
            && n < POSTS_PER_INSERT
            && (n == 0 || bytes + p.source.len() + p.body_html.len() <= TEXT_BYTES_PER_INSERT)
        {
            bytes += p.source.len() + p.body_html.len();
            n += 1;
        }
        let (chunk, later) = rest.split_at(n.min(rest.len()));
        rest = later;
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "insert into posts (id, kind, slug, title, source, source_format, body_html, excerpt, status, sticky, \
               author_id, author_name, comments_open, published_at, updated_at, created_at, wp_id, wp_guid, \
               wp_permalink, featured_media_id) ",
        );
        q.push_values(chunk, |mut b, p| {
            b.push_bind(p.new_id)
                .push_bind(&p.kind)
                .push_bind(&p.final_slug)
                .push_bind(&p.title)
                .push_bind(&p.source)
                .push_bind(&p.source_format)
                .push_bind(&p.body_html)
                .push_bind(&p.excerpt)
                .push_bind(status)
                .push_bind(p.sticky)
                .push_bind(p.author_id)
                .push_bind(&p.author_name)
                .push_bind(p.comments_open)
                .push_bind(p.published_at)
                .push_bind(p.updated_at)
                .push_bind(p.created_at)
                .push_bind(p.final_wp_id)
                .push_bind(&p.wp_guid)
                .push_bind(&p.wp_permalink)
                // Left without one if the image was deleted since the import looked it up.
                .push("(select m.id from media m where m.id = ")
                .push_bind_unseparated(p.featured_media_id)
                .push_unseparated("::bigint)");
        });
        q.push(" returning id");
        let got: Vec<i64> = q.build_query_scalar().persistent(false).fetch_all(&mut *cx).await?;
        ids.extend(got);
    }
    insert_comments(cx, &rows.comments).await?;
    Ok(ids)
}

/// Puts in the texts [`staged_posts`] left out (of the staged posts `seqs` larger
/// than `apart` bytes), one text at a time, each read from the staging file just
/// before it is written: a very large post is held once, not with its other text
/// and the rest of the write's rows. Part of the hidden write, after its inserts.
pub async fn insert_large_texts(cx: &mut PgConnection, path: &Path, seqs: &str, apart: i64) -> Result<()> {
    let mut conn = staging(path).await?;
    let written = async {
        let large: Vec<(i64, i64)> = sqlx::query_as(
            "select seq, new_id from posts where seq in (select value from json_each($1)) and new_id is not null \
               and bytes > $2 order by seq",
        )
        .bind(seqs)
        .bind(apart)
        .fetch_all(&mut conn)
        .await?;
        for (seq, id) in large {
            for (table, column) in [("post_sources", "source"), ("post_bodies", "body_html")] {
                let text: String = sqlx::query_scalar(&format!("select text from {table} where seq = $1"))
                    .bind(seq)
                    .persistent(false)
                    .fetch_one(&mut conn)
                    .await?;
                sqlx::query(&format!("update posts set {column} = $1 where id = $2"))
                    .bind(text)
                    .bind(id)
                    .persistent(false)
                    .execute(&mut *cx)
                    .await?;
            }
        }
        Ok(())
    }
    .await;
    let _ = conn.close().await;
    written
}

/// Inserts staged comments, in the order given.
pub async fn insert_comments(cx: &mut PgConnection, comments: &[CommentRow]) -> Result<()> {
    for chunk in comments.chunks(COMMENTS_PER_INSERT) {
        let mut q: QueryBuilder<'_, Postgres> = QueryBuilder::new(
            "insert into comments (id, post_id, parent_id, kind, author_name, author_email, author_url, user_id, \
               body, body_html, status, status_before_trash, rule, author_ip, user_agent, created_at, wp_id, \
               disqus_id) ",
        );
        q.push_values(chunk, |mut b, c| {
            b.push_bind(c.new_id)
                .push_bind(c.post_id)
                .push_bind(c.parent_id)
                .push_bind(&c.kind)
                .push_bind(&c.author_name)
                .push_bind(&c.author_email)
                .push_bind(&c.author_url)
                .push_bind(c.user_id)
                .push_bind(&c.body)
                .push_bind(&c.body_html)
                .push_bind(&c.status)
                .push_bind(&c.status_before_trash)
                .push_bind(&c.rule)
                .push_bind(&c.author_ip)
                .push_bind(&c.user_agent)
                .push_bind(c.created_at);
            b.push_bind(c.wp_id).push_bind(c.disqus_id);
        });
        q.build().persistent(false).execute(&mut *cx).await?;
    }
    Ok(())
}

/// What the import's last write inserts and updates.
pub struct FinalRows {
    /// New comments of posts the site already had, in id order.
    comments: Vec<CommentRow>,
    /// Each new post's id and own status.
    statuses: Vec<(i64, String)>,
    /// Old addresses, in file order: of a new post (by id), of a tag (by slug), of a
    /// media file (by path).
    post_links: Vec<(String, i64)>,
    tag_links: Vec<(String, String)>,
    media_links: Vec<(String, String)>,
    settings: Vec<(String, String)>,
}

/// Reads what the import's last write needs from the staging file.
pub async fn staged_final(path: &Path) -> Result<FinalRows> {
    let mut conn = staging(path).await?;
    let rows = async {
        let comments = sqlx::query_as(&format!(
            "{SELECT_COMMENTS} left join posts p on p.seq = c.post_seq \
             where p.new_id is null and c.new_id is not null order by c.new_id"
        ))
        .fetch_all(&mut conn)
        .await?;
        let statuses = sqlx::query_as("select new_id, status from posts where new_id is not null order by new_id")
            .fetch_all(&mut conn)
            .await?;
        let post_links = sqlx::query_as(
            "select l.key, p.new_id from links l join posts p on p.seq = l.post_seq where p.new_id is not null \
             order by l.rowid",
        )
        .fetch_all(&mut conn)
        .await?;
        let tag_links = sqlx::query_as("select key, tag_slug from links where tag_slug is not null order by rowid")
            .fetch_all(&mut conn)
            .await?;
        let media_links =
            sqlx::query_as("select key, media_path from links where media_path is not null order by rowid")
                .fetch_all(&mut conn)
                .await?;
        let settings = sqlx::query_as("select name, value from settings order by rowid").fetch_all(&mut conn).await?;
        Ok(FinalRows { comments, statuses, post_links, tag_links, media_links, settings })
    }
    .await;
    let _ = conn.close().await;
    rows
}

/// The import's last write on PostgreSQL (see `store::import::finish`): returns how
/// many hidden posts were given their own status. Foreign keys must be deferred.
pub async fn insert_final(cx: &mut PgConnection, rows: FinalRows, hidden_status: &str) -> Result<u64> {
    insert_comments(cx, &rows.comments).await?;
    let (ids, statuses): (Vec<i64>, Vec<&str>) = rows.statuses.iter().map(|(i, s)| (*i, s.as_str())).unzip();
    let shown = sqlx::query(
        "update posts set status = x.s from unnest($1::bigint[], $2::text[]) as x(id, s) \
         where posts.id = x.id and posts.status = $3",
    )
    .bind(ids)
    .bind(statuses)
    .bind(hidden_status)
    .execute(&mut *cx)
    .await?
    .rows_affected();
    let (keys, posts): (Vec<&str>, Vec<i64>) = rows.post_links.iter().map(|(k, p)| (k.as_str(), *p)).unzip();
    sqlx::query(
        "insert into legacy_links (key, post_id) select k, p from unnest($1::text[], $2::bigint[]) \
         with ordinality as x(k, p, o) order by o on conflict (key) do nothing",
    )
    .bind(keys)
    .bind(posts)
    .execute(&mut *cx)
    .await?;
    for (links, column, table, by) in
        [(&rows.tag_links, "tag_id", "tags", "slug"), (&rows.media_links, "media_id", "media", "path")]
    {
        let (keys, names): (Vec<&str>, Vec<&str>) = links.iter().map(|(k, n)| (k.as_str(), n.as_str())).unzip();
        sqlx::query(&format!(
            "insert into legacy_links (key, {column}) select x.k, t.id from unnest($1::text[], $2::text[]) \
             with ordinality as x(k, n, o) join {table} t on t.{by} = x.n order by x.o on conflict (key) do nothing"
        ))
        .bind(keys)
        .bind(names)
        .execute(&mut *cx)
        .await?;
    }
    let (names, values): (Vec<&str>, Vec<&str>) = rows.settings.iter().map(|(n, v)| (n.as_str(), v.as_str())).unzip();
    sqlx::query(
        "insert into settings (name, value) select n, v from unnest($1::text[], $2::text[]) \
         with ordinality as x(n, v, o) order by o on conflict (name) do nothing",
    )
    .bind(names)
    .bind(values)
    .execute(&mut *cx)
    .await?;
    Ok(shown)
}

/// The staged media not yet on the site: rowid and size, in rowid order.
pub async fn staged_media_sizes(store: &crate::store::Store, path: &Path) -> Result<Vec<(i64, i64)>> {
    let crate::store::db::Db::Postgres(pool) = store.reader() else {
        return Err(super::unsupported("reading the live media of SQLite here"));
    };
    let mut conn = staging(path).await?;
    let rows: Result<Vec<(i64, i64, String)>> =
        sqlx::query_as("select rowid, size, path from media order by rowid").fetch_all(&mut conn).await;
    let _ = conn.close().await;
    let rows = rows?;
    let paths: Vec<&str> = rows.iter().map(|(_, _, p)| p.as_str()).collect();
    let existing: Vec<String> =
        sqlx::query_scalar("select path from media where path = any($1)").bind(paths).fetch_all(pool).await?;
    let existing: std::collections::HashSet<String> = existing.into_iter().collect();
    Ok(rows.into_iter().filter(|(_, _, p)| !existing.contains(p)).map(|(rowid, size, _)| (rowid, size)).collect())
}

/// A staged media file.
#[derive(FromRow)]
pub struct MediaRow {
    pub path: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub title: String,
    pub alt: String,
    pub created_at: i64,
    pub wp_id: Option<i64>,
    pub bytes: Vec<u8>,
}

/// The staged media of a rowid range (read from the SQLite staging file, whatever
/// the site's backend).
pub async fn staged_media(path: &Path, from: i64, to: i64) -> Result<Vec<MediaRow>> {
    let mut conn = staging(path).await?;
    let rows = sqlx::query_as(
        "select path, content_type, size, sha256, title, alt, created_at, wp_id, bytes from media \
         where rowid between $1 and $2 order by rowid",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&mut conn)
    .await;
    let _ = conn.close().await;
    rows
}

/// Moves the posts and comments identity sequences to at least the reserved ids, so
/// that the site's next post or comment gets a number above the reservation.
pub async fn advance_sequences(cx: &mut PgConnection, post: i64, comment: i64) -> Result<()> {
    for (table, id) in [("posts", post), ("comments", comment)] {
        sqlx::query(&format!(
            "select setval(pg_get_serial_sequence('{table}', 'id'), greatest($1, \
               coalesce(pg_sequence_last_value(cast(pg_get_serial_sequence('{table}', 'id') as regclass)), 0)))"
        ))
        .bind(id)
        .execute(&mut *cx)
        .await?;
    }
    Ok(())
}
