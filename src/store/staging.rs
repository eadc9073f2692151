//! The import's staging database: a private SQLite file next to the live one that an
//! import fills while it reads the export, then matches against the live database
//! (read-only, one snapshot) to decide every id, slug and parent before anything live
//! is written. The live write is then a plain copy (see `store::import`).
//!
//! The staging file is not the site's data: it is written directly, without
//! `WriteTx`, and deleted when the import ends.

use crate::domain::status::{CommentKind, CommentStatus, PostKind, PostStatus};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};

use super::Result;
pub use super::import_plan::Plan;

/// A post or page as it will be inserted, before ids and slugs are final.
#[derive(Debug, Clone, Default)]
pub struct StagedPost {
    /// The item's number in the file (from 1).
    pub seq: i64,
    pub line: i64,
    pub kind: PostKind,
    /// The slug wanted (made unique against the live site when resolving).
    pub slug: String,
    pub title: String,
    pub source: String,
    pub source_format: String,
    pub body_html: String,
    pub excerpt: String,
    pub status: PostStatus,
    pub sticky: bool,
    /// The old site's user login, to link the post to a hewn user of that name.
    pub author_login: String,
    pub author_name: String,
    pub comments_open: bool,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub wp_id: Option<i64>,
    pub wp_guid: String,
    pub wp_permalink: String,
    /// The WordPress id of the attachment featured at the post's top (`_thumbnail_id`).
    pub thumbnail_wp_id: Option<i64>,
}

/// A comment as it will be inserted, before its id and parent are final.
#[derive(Debug, Clone, Default)]
pub struct StagedComment {
    pub seq: i64,
    /// The item (post) it belongs to.
    pub post_seq: i64,
    pub line: i64,
    pub wp_id: Option<i64>,
    /// False when an earlier comment in the file has the same WordPress id.
    pub wp_id_unique: bool,
    pub wp_parent: Option<i64>,
    pub kind: CommentKind,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    /// The old site's user id of the author, if a user wrote it.
    pub user_wp_id: Option<i64>,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub status_before_trash: Option<CommentStatus>,
    pub rule: String,
    pub author_ip: String,
    pub user_agent: String,
    pub created_at: i64,
    /// A Disqus comment's id, its parent's and its thread's (a Disqus comment has
    /// no post in the file: its thread is matched to a post of the site).
    pub disqus_id: Option<i64>,
    pub disqus_parent: Option<i64>,
    pub disqus_thread: Option<i64>,
}

/// A Disqus thread: a page of the old site, to be matched to a post here.
#[derive(Debug, Clone, Default)]
pub struct StagedThread {
    pub dsq_id: i64,
    pub line: i64,
    pub link: String,
    /// The key of the link's path (as old links are kept), if it has one.
    pub link_key: String,
    /// The last segment of the link's path.
    pub slug: String,
    /// A WordPress post id named by the thread's identifier or link (`?p=123`).
    pub wp_id: Option<i64>,
}

/// A file for the media table.
#[derive(Debug, Clone, Default)]
pub struct StagedMedia {
    pub path: String,
    pub content_type: String,
    pub sha256: String,
    pub title: String,
    pub alt: String,
    pub wp_id: Option<i64>,
    pub created_at: i64,
    pub bytes: Vec<u8>,
}

/// An attachment as a `[gallery]` shows it.
#[derive(Debug, Clone, Default)]
pub struct StagedAttachment {
    pub wp_id: i64,
    /// The item it is attached to (its WordPress id).
    pub parent: Option<i64>,
    pub menu_order: i64,
    /// Where hewn serves it (`/media/...`), or its old address.
    pub url: String,
    pub alt: String,
    pub caption: String,
    pub image: bool,
}

/// What an old address will redirect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkTarget {
    /// An item of the file, by its sequence number.
    Post(i64),
    /// A tag, by its hewn slug.
    Tag(String),
    /// A media file, by its path.
    Media(String),
}

/// One staged row.
#[derive(Debug, Clone)]
pub enum Staged {
    Post(Box<StagedPost>),
    Comment(Box<StagedComment>),
    /// A tag (hewn slug, name).
    Tag {
        slug: String,
        name: String,
    },
    /// A post's tag, by the tag's hewn slug.
    PostTag {
        post_seq: i64,
        tag_slug: String,
    },
    Link {
        key: String,
        target: LinkTarget,
    },
    Media(Box<StagedMedia>),
    /// What an attachment says about a file already staged from a post's content.
    MediaInfo {
        path: String,
        wp_id: Option<i64>,
        title: String,
        alt: String,
    },
    /// An attachment of the old site, for the galleries of posts.
    Attachment(Box<StagedAttachment>),
    /// A post whose WordPress content has a `[gallery]` to show.
    Gallery {
        post_seq: i64,
    },
    /// A user of the old site: their login and WordPress user id.
    Author {
        login: String,
        wp_id: i64,
    },
    /// A Disqus thread.
    Thread(Box<StagedThread>),
    /// A site setting to set when the live site has none.
    Setting {
        name: String,
        value: String,
    },
}

/// How many rows one multi-row insert carries.
pub(super) const ROWS_PER_INSERT: usize = 400;

const SCHEMA: &str = r"
-- A post's keys, which planning rewrites, apart from its text (as for comments
-- below): SQLite rewrites a whole row to update one field of it, and a post's text
-- may be many megabytes. `bytes`: the size of its text. Its HTML source and its
-- sanitised HTML are rows of two tables, written one after the other: SQLite holds
-- a row it writes a few times over, so a very large post is held as half as large.
create table posts (
    seq integer primary key, line integer not null, kind text not null, slug text not null,
    title text not null, source_format text not null, bytes integer not null,
    excerpt text not null, status text not null, sticky integer not null, author_login text not null,
    author_name text not null, comments_open integer not null, published_at integer,
    updated_at integer not null, created_at integer not null, wp_id integer, wp_guid text not null,
    wp_permalink text not null, thumbnail_wp_id integer,
    live_id integer, new_id integer, final_slug text, final_wp_id integer, author_id integer,
    featured_media_id integer
);
create index posts_wp_id on posts (wp_id);
create table post_sources (seq integer primary key, text text not null);
create table post_bodies (seq integer primary key, text text not null);
-- A comment's keys, which planning rewrites, apart from its text, which it never
-- touches: updating small rows is what keeps planning quick.
create table comments (
    seq integer primary key, post_seq integer not null, line integer not null, wp_id integer,
    wp_id_unique integer not null, wp_parent integer, user_wp_id integer, status text not null,
    disqus_id integer, disqus_parent integer, disqus_thread integer,
    fate text, post_id integer, new_id integer, parent_id integer, user_id integer
);
create index comments_disqus on comments (disqus_id) where disqus_id is not null;
create table threads (
    dsq_id integer primary key, line integer not null, link text not null, link_key text not null,
    slug text not null, wp_id integer, live_id integer
);
create table comment_texts (
    seq integer primary key, kind text not null, author_name text not null, author_email text not null,
    author_url text not null, body text not null, body_html text not null, status_before_trash text,
    rule text not null, author_ip text not null, user_agent text not null, created_at integer not null
);
create index comments_post on comments (post_seq, wp_id);
create table tags (slug text not null, name text not null);
create table post_tags (post_seq integer not null, tag_slug text not null);
create index post_tags_post on post_tags (post_seq);
create table links (key text not null, post_seq integer, tag_slug text, media_path text);
create table media (
    path text primary key, content_type text not null, size integer not null, sha256 text not null,
    title text not null, alt text not null, created_at integer not null, wp_id integer,
    existed integer not null default 0, bytes blob not null
);
create table authors (login text not null, wp_id integer not null);
create table galleries (post_seq integer primary key);
create table attachments (
    wp_id integer primary key, parent integer, menu_order integer not null, url text not null,
    alt text not null, caption text not null, image integer not null
);
create table settings (name text primary key, value text not null);
";

/// The staging database of one import.
pub struct Staging {
    conn: SqliteConnection,
    path: PathBuf,
}

impl Staging {
    /// Creates a fresh staging file at `path` (replacing a leftover one).
    pub async fn create(path: &Path) -> anyhow::Result<Self> {
        use anyhow::Context;
        remove_files(path);
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Off)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(false)
            .pragma("cache_size", format!("-{CACHE_KIB}"));
        let mut conn = SqliteConnection::connect_with(&opts)
            .await
            .with_context(|| format!("creating the staging database {}", path.display()))?;
        sqlx::raw_sql(SCHEMA).execute(&mut conn).await.context("creating the staging tables")?;
        Ok(Self { conn, path: path.to_owned() })
    }

    /// The staging file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connection and deletes the file.
    pub async fn discard(self) {
        let _ = self.conn.close().await;
        remove_files(&self.path);
    }

    /// Stores a batch of rows in one transaction.
    pub async fn insert(&mut self, batch: Vec<Staged>) -> Result<()> {
        let mut posts = Vec::new();
        let mut comments = Vec::new();
        let mut tx = self.conn.begin().await?;
        for row in batch {
            match row {
                Staged::Post(p) => posts.push(*p),
                Staged::Comment(c) => comments.push(*c),
                Staged::Tag { slug, name } => {
                    sqlx::query("insert into tags (slug, name) values ($1, $2)")
                        .bind(slug)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                }
                Staged::PostTag { post_seq, tag_slug } => {
                    sqlx::query("insert into post_tags (post_seq, tag_slug) values ($1, $2)")
                        .bind(post_seq)
                        .bind(tag_slug)
                        .execute(&mut *tx)
                        .await?;
                }
                Staged::Link { key, target } => {
                    let (post, tag, media) = match target {
                        LinkTarget::Post(seq) => (Some(seq), None, None),
                        LinkTarget::Tag(slug) => (None, Some(slug), None),
                        LinkTarget::Media(path) => (None, None, Some(path)),
                    };
                    sqlx::query("insert into links (key, post_seq, tag_slug, media_path) values ($1, $2, $3, $4)")
                        .bind(key)
                        .bind(post)
                        .bind(tag)
                        .bind(media)
                        .execute(&mut *tx)
                        .await?;
                }
                Staged::Media(m) => {
                    sqlx::query(
                        "insert into media (path, content_type, size, sha256, title, alt, created_at, wp_id, bytes) \
                         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (path) do nothing",
                    )
                    .bind(&m.path)
                    .bind(&m.content_type)
                    .bind(i64::try_from(m.bytes.len()).unwrap_or(i64::MAX))
                    .bind(&m.sha256)
                    .bind(&m.title)
                    .bind(&m.alt)
                    .bind(m.created_at)
                    .bind(m.wp_id)
                    .bind(&m.bytes)
                    .execute(&mut *tx)
                    .await?;
                }
                Staged::MediaInfo { path, wp_id, title, alt } => {
                    sqlx::query(
                        "update media set wp_id = coalesce($2, wp_id), \
                           title = case when $3 <> '' then $3 else title end, \
                           alt = case when $4 <> '' then $4 else alt end where path = $1",
                    )
                    .bind(path)
                    .bind(wp_id)
                    .bind(title)
                    .bind(alt)
                    .execute(&mut *tx)
                    .await?;
                }
                Staged::Attachment(a) => {
                    sqlx::query(
                        "insert into attachments (wp_id, parent, menu_order, url, alt, caption, image) \
                         values ($1, $2, $3, $4, $5, $6, $7) on conflict (wp_id) do nothing",
                    )
                    .bind(a.wp_id)
                    .bind(a.parent)
                    .bind(a.menu_order)
                    .bind(&a.url)
                    .bind(&a.alt)
                    .bind(&a.caption)
                    .bind(a.image)
                    .execute(&mut *tx)
                    .await?;
                }
                Staged::Gallery { post_seq } => {
                    sqlx::query("insert into galleries (post_seq) values ($1) on conflict do nothing")
                        .bind(post_seq)
                        .execute(&mut *tx)
                        .await?;
                }
                Staged::Author { login, wp_id } => {
                    sqlx::query("insert into authors (login, wp_id) values ($1, $2)")
                        .bind(login)
                        .bind(wp_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Staged::Thread(t) => {
                    sqlx::query(
                        "insert into threads (dsq_id, line, link, link_key, slug, wp_id) \
                         values ($1, $2, $3, $4, $5, $6) on conflict (dsq_id) do nothing",
                    )
                    .bind(t.dsq_id)
                    .bind(t.line)
                    .bind(&t.link)
                    .bind(&t.link_key)
                    .bind(&t.slug)
                    .bind(t.wp_id)
                    .execute(&mut *tx)
                    .await?;
                }
                Staged::Setting { name, value } => {
                    sqlx::query("insert into settings (name, value) values ($1, $2) on conflict (name) do nothing")
                        .bind(name)
                        .bind(value)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        for chunk in posts.chunks(ROWS_PER_INSERT / 4) {
            insert_posts(&mut tx, chunk).await?;
        }
        let largest_text = posts.iter().map(|p| p.source.len() + p.body_html.len()).max().unwrap_or(0);
        if largest_text > TEXT_BYTES_PER_INSERT {
            // A large post's pages are written out as they fill a small cache, not
            // held until the commit: nothing reads them again soon.
            sqlx::query(&format!("pragma cache_size = -{LARGE_TEXT_CACHE_KIB}")).execute(&mut *tx).await?;
        }
        insert_post_texts(&mut tx, posts).await?;
        for chunk in comments.chunks(ROWS_PER_INSERT) {
            insert_comments(&mut tx, chunk).await?;
        }
        tx.commit().await?;
        if largest_text > TEXT_BYTES_PER_INSERT {
            sqlx::query("pragma shrink_memory").execute(&mut self.conn).await?;
            sqlx::query(&format!("pragma cache_size = -{CACHE_KIB}")).execute(&mut self.conn).await?;
        }
        Ok(())
    }

    /// The posts whose WordPress content has a `[gallery]`: sequence number,
    /// WordPress id and HTML source.
    pub async fn posts_with_galleries(&mut self) -> Result<Vec<(i64, Option<i64>, String)>> {
        sqlx::query_as(
            "select p.seq, p.wp_id, s.text from galleries g join posts p on p.seq = g.post_seq \
             join post_sources s on s.seq = p.seq",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    /// The images of the file, for galleries: WordPress id, parent, url, alt text and
    /// caption, in the order WordPress shows a post's attached images.
    pub async fn gallery_images(&mut self) -> Result<Vec<(i64, Option<i64>, String, String, String)>> {
        sqlx::query_as(
            "select wp_id, parent, url, alt, caption from attachments where image order by menu_order, wp_id",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    /// The staged posts whose HTML shows an image served at `/media/`: sequence
    /// number and HTML.
    pub async fn posts_showing_media(&mut self) -> Result<Vec<(i64, String)>> {
        sqlx::query_as("select seq, text from post_bodies where text like '%<img%/media/%' order by seq")
            .fetch_all(&mut self.conn)
            .await
    }

    /// Replaces a staged post's HTML (its source stays as the file had it).
    pub async fn set_post_body(&mut self, seq: i64, body_html: &str) -> Result<()> {
        sqlx::query("update post_bodies set text = $1 where seq = $2")
            .bind(body_html)
            .bind(seq)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    /// Replaces a staged post's source and HTML.
    pub async fn set_post_html(&mut self, seq: i64, source: &str, body_html: &str) -> Result<()> {
        let mut tx = self.conn.begin().await?;
        for (table, text) in [("post_sources", source), ("post_bodies", body_html)] {
            sqlx::query(&format!("update {table} set text = $1 where seq = $2"))
                .bind(text)
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }

    /// The new posts that name a featured image: sequence number, line and the
    /// attachment's WordPress id.
    pub async fn featured_wanted(&mut self) -> Result<Vec<(i64, i64, i64)>> {
        sqlx::query_as(
            "select seq, line, thumbnail_wp_id from posts \
             where thumbnail_wp_id is not null and new_id is not null order by seq",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    /// Sets the library item a staged post is to feature (`None`: none).
    pub async fn set_featured(&mut self, seq: i64, media_id: Option<i64>) -> Result<()> {
        sqlx::query("update posts set featured_media_id = $1 where seq = $2")
            .bind(media_id)
            .bind(seq)
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    /// The highest item number, comment number and comment WordPress id of the file:
    /// how many ids a plan may give out (see `store::import::reserve`).
    pub async fn extent(&mut self) -> Result<(i64, i64, i64)> {
        sqlx::query_as(
            "select (select coalesce(max(seq), 0) from posts), (select coalesce(max(seq), 0) from comments), \
               (select coalesce(max(wp_id), 0) from comments)",
        )
        .fetch_one(&mut self.conn)
        .await
    }

    /// The new posts in file order, each with the number of new comments it brings:
    /// what the live writes publish, a few posts at a time.
    pub async fn new_posts(&mut self) -> Result<Vec<(i64, i64)>> {
        sqlx::query_as(
            "select p.seq, (select count(*) from comments c where c.post_seq = p.seq and c.new_id is not null) \
             from posts p where p.new_id is not null order by p.seq",
        )
        .fetch_all(&mut self.conn)
        .await
    }

    /// Matches the staged rows against the live database at `live` (read-only, in
    /// one snapshot) and decides every id, slug, parent and user.
    /// `below`: the post and comment ids the plan must stay under (an import's
    /// reservation, see `store::import::reserve`), if any.
    pub async fn resolve(&mut self, live: &Path, below: Option<(i64, i64)>) -> anyhow::Result<Plan> {
        use anyhow::Context;
        sqlx::query("attach database $1 as live")
            .bind(read_only_uri(live))
            .execute(&mut self.conn)
            .await
            .context("opening the live database from the staging database")?;
        let result = super::import_plan::resolve_attached(&mut self.conn, below).await;
        let detached = sqlx::query("detach database live").execute(&mut self.conn).await;
        let plan = result?;
        detached?;
        Ok(plan)
    }
}

async fn insert_posts(tx: &mut SqliteConnection, rows: &[StagedPost]) -> Result<()> {
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
        "insert into posts (seq, line, kind, slug, title, source_format, bytes, excerpt, status, \
         sticky, author_login, author_name, comments_open, published_at, updated_at, created_at, wp_id, wp_guid, \
         wp_permalink, thumbnail_wp_id) ",
    );
    q.push_values(rows, |mut b, p| {
        let bytes = p.source.len().saturating_add(p.body_html.len());
        b.push_bind(p.seq)
            .push_bind(p.line)
            .push_bind(p.kind)
            .push_bind(&p.slug)
            .push_bind(&p.title)
            .push_bind(&p.source_format)
            .push_bind(i64::try_from(bytes).unwrap_or(i64::MAX))
            .push_bind(&p.excerpt)
            .push_bind(p.status)
            .push_bind(p.sticky)
            .push_bind(&p.author_login)
            .push_bind(&p.author_name)
            .push_bind(p.comments_open)
            .push_bind(p.published_at)
            .push_bind(p.updated_at)
            .push_bind(p.created_at)
            .push_bind(p.wp_id)
            .push_bind(&p.wp_guid)
            .push_bind(&p.wp_permalink)
            .push_bind(p.thumbnail_wp_id);
    });
    q.build().execute(tx).await?;
    Ok(())
}

/// Posts' texts carried at most by one insert (fewer when they are large).
const TEXT_BYTES_PER_INSERT: usize = 4 * 1024 * 1024;
/// The staging database's page cache, and its cache while it writes a post's text
/// larger than [`TEXT_BYTES_PER_INSERT`].
const CACHE_KIB: u32 = 64 * 1024;
const LARGE_TEXT_CACHE_KIB: u32 = 2 * 1024;

/// Inserts the texts of `posts`: all their sources, then all their HTML.
async fn insert_post_texts(tx: &mut SqliteConnection, posts: Vec<StagedPost>) -> Result<()> {
    let (sources, bodies): (Vec<_>, Vec<_>) =
        posts.into_iter().map(|p| ((p.seq, p.source), (p.seq, p.body_html))).unzip();
    insert_texts(tx, "post_sources", sources).await?;
    insert_texts(tx, "post_bodies", bodies).await
}

/// Inserts `(seq, text)` rows into `table`, a few at a time. The texts are moved
/// into the statements, not copied, and each statement is dropped once run (SQLite
/// keeps the memory of a statement's values until then): a text of many megabytes
/// is held by the import no more times than SQLite needs to write it, and no longer.
async fn insert_texts(tx: &mut SqliteConnection, table: &str, texts: Vec<(i64, String)>) -> Result<()> {
    let mut texts = texts.into_iter().peekable();
    while texts.peek().is_some() {
        let mut rows = Vec::new();
        let mut bytes = 0;
        while let Some((seq, text)) =
            texts.next_if(|(_, text)| rows.is_empty() || bytes + text.len() <= TEXT_BYTES_PER_INSERT)
        {
            bytes += text.len();
            rows.push((seq, text));
            if rows.len() >= ROWS_PER_INSERT / 4 {
                break;
            }
        }
        let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(format!("insert into {table} (seq, text) "));
        q.push_values(rows, |mut b, (seq, text)| {
            b.push_bind(seq).push_bind(text);
        });
        q.build().persistent(false).execute(&mut *tx).await?;
    }
    Ok(())
}

async fn insert_comments(tx: &mut SqliteConnection, rows: &[StagedComment]) -> Result<()> {
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
        "insert into comments (seq, post_seq, line, wp_id, wp_id_unique, wp_parent, user_wp_id, status, disqus_id, \
         disqus_parent, disqus_thread) ",
    );
    q.push_values(rows, |mut b, c| {
        b.push_bind(c.seq)
            .push_bind(c.post_seq)
            .push_bind(c.line)
            .push_bind(c.wp_id)
            .push_bind(c.wp_id_unique)
            .push_bind(c.wp_parent)
            .push_bind(c.user_wp_id)
            .push_bind(c.status)
            .push_bind(c.disqus_id)
            .push_bind(c.disqus_parent)
            .push_bind(c.disqus_thread);
    });
    q.build().execute(&mut *tx).await?;
    let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
        "insert into comment_texts (seq, kind, author_name, author_email, author_url, body, body_html, \
         status_before_trash, rule, author_ip, user_agent, created_at) ",
    );
    q.push_values(rows, |mut b, c| {
        b.push_bind(c.seq)
            .push_bind(c.kind)
            .push_bind(&c.author_name)
            .push_bind(&c.author_email)
            .push_bind(&c.author_url)
            .push_bind(&c.body)
            .push_bind(&c.body_html)
            .push_bind(c.status_before_trash)
            .push_bind(&c.rule)
            .push_bind(&c.author_ip)
            .push_bind(&c.user_agent)
            .push_bind(c.created_at);
    });
    q.build().execute(tx).await?;
    Ok(())
}

/// A `file:` URI opening `path` read-only.
pub fn read_only_uri(path: &Path) -> String {
    format!("file:{}?mode=ro", crate::domain::percent::file_path(&path.to_string_lossy()))
}

/// The database file of a `sqlite://` URL.
pub fn database_file(url: &str) -> anyhow::Result<PathBuf> {
    let opts = SqliteConnectOptions::from_str(url)?;
    Ok(opts.get_filename().to_owned())
}

fn remove_files(path: &Path) {
    for suffix in ["", "-journal", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}
