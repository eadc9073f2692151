//! First-run content: the reference post and its two comments, inserted exactly once.

use crate::domain::status::{CommentKind, CommentStatus, PostKind, PostStatus};
use anyhow::{Context, bail};

use super::db::Conn;
use super::{Store, comments, posts};
use crate::domain::{comment_text, markdown};
use crate::with_db;

/// The demo post as shipped: front matter, a Markdown body, then comments.
const DEMO_SOURCE: &str = include_str!("../../demo/year-of-the-stakhanovite.md");

/// Marks a database as initialised; its presence means the demo decision was made.
const INITIALISED_KEY: &str = "initialised_at";

/// The demo post, parsed.
#[derive(Debug)]
pub struct DemoPost {
    pub title: String,
    pub slug: String,
    pub published_at: i64,
    pub body: String,
    pub comments: Vec<DemoComment>,
}

/// One demo comment.
#[derive(Debug)]
pub struct DemoComment {
    pub author: String,
    pub created_at: i64,
    pub status: CommentStatus,
    pub body: String,
}

/// On the first start of an empty database, records the initialisation and (unless
/// `with_demo` is false) inserts the demo post, all in one transaction. Later starts
/// find the marker and do nothing, so the demo is never duplicated.
pub async fn initialise_once(store: &Store, with_demo: bool) -> anyhow::Result<()> {
    let demo = parse(DEMO_SOURCE).context("reading the built-in demo post")?;
    let now = store.now();
    let mut tx = store.begin_write().await?;
    let first = with_db!(tx.conn(), cx => sqlx::query("insert into settings (name, value) values ($1, $2) on conflict (name) do nothing")
        .bind(INITIALISED_KEY)
        .bind(now.to_string())
        .execute(cx)
        .await.map(|r| r.rows_affected()))?
        == 1;
    if first && with_demo {
        insert_demo(tx.conn(), &demo, now).await?;
        tracing::info!(slug = %demo.slug, "inserted the demo post");
    }
    tx.commit().await?;
    Ok(())
}

async fn insert_demo(mut tx: Conn<'_>, demo: &DemoPost, now: i64) -> anyhow::Result<()> {
    let body_html = markdown::render_markdown(&demo.body);
    let excerpt = markdown::excerpt(body_html.as_str());
    let post_id = posts::insert_in(
        tx.reborrow(),
        &posts::NewPost {
            kind: PostKind::Post,
            slug: &demo.slug,
            title: &demo.title,
            source: &demo.body,
            source_format: "markdown",
            body_html: body_html.as_str(),
            excerpt: &excerpt,
            status: PostStatus::Published,
            author_name: "",
            author_id: None,
            menu_order: 0,
            comments_open: true,
            published_at: Some(demo.published_at),
            now,
        },
    )
    .await?;
    for c in &demo.comments {
        let body_html = comment_text::render(&c.body);
        comments::insert_in(
            tx.reborrow(),
            &comments::NewComment {
                post_id,
                parent_id: None,
                kind: CommentKind::Comment,
                author_name: &c.author,
                author_email: "",
                author_url: "",
                user_id: None,
                body: &c.body,
                body_html: body_html.as_str(),
                status: c.status,
                rule: "demo",
                author_ip: "",
                user_agent: "",
                created_at: c.created_at,
                avatar_key: "",
            },
        )
        .await?;
    }
    Ok(())
}

/// Parses the demo format: an optional HTML comment, then `---` delimited blocks of
/// `key: value` front matter, each followed by its Markdown body.
pub fn parse(source: &str) -> anyhow::Result<DemoPost> {
    let source = match source.find("-->") {
        Some(end) if source.trim_start().starts_with("<!--") => source.get(end + 3..).unwrap_or_default(),
        _ => source,
    };
    // Blocks alternate: front matter, body, front matter, body, ...
    let mut blocks = Vec::new();
    let mut current = String::new();
    for line in source.lines() {
        if line.trim_end() == "---" {
            blocks.push(std::mem::take(&mut current));
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    blocks.push(current);
    // The text before the first `---` is empty.
    let mut blocks = blocks.into_iter().skip(1);

    let front = blocks.next().context("no front matter")?;
    let body = blocks.next().context("no post body")?;
    let title = field(&front, "title")?;
    let slug = field(&front, "slug")?;
    let published_at = local_time(&field(&front, "published")?)?;

    let mut comments = Vec::new();
    while let Some(meta) = blocks.next() {
        let Some(text) = blocks.next() else { bail!("a comment has no text") };
        comments.push(DemoComment {
            author: field(&meta, "author")?,
            created_at: local_time(&field(&meta, "date")?)?,
            status: field(&meta, "status")?.parse()?,
            body: text.trim().to_owned(),
        });
    }
    Ok(DemoPost { title, slug, published_at, body: body.trim().to_owned(), comments })
}

/// The value of `key:` in a front matter block (nested keys included), trimmed.
fn field(block: &str, key: &str) -> anyhow::Result<String> {
    block
        .lines()
        .filter_map(|l| l.trim().strip_prefix(key)?.strip_prefix(':'))
        .map(|v| v.trim().to_owned())
        .next()
        .with_context(|| format!("missing {key:?}"))
}

/// `YYYY-MM-DD HH:MM` in the default site time zone (UTC), as unix seconds.
fn local_time(s: &str) -> anyhow::Result<i64> {
    let dt: jiff::civil::DateTime = s.replacen(' ', "T", 1).parse().with_context(|| format!("bad time {s:?}"))?;
    Ok(dt.to_zoned_datetime(jiff::tz::TimeZone::UTC)?.timestamp().as_second())
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::string_slice)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_demo_parses() -> anyhow::Result<()> {
        let demo = parse(DEMO_SOURCE)?;
        assert_eq!(demo.title, "Year of the Stakhanovite");
        assert_eq!(demo.slug, "year-of-the-stakhanovite");
        assert_eq!(demo.comments.len(), 2);
        assert_eq!(demo.comments[0].author, "B. Knickerbocker");
        assert_eq!(demo.comments[1].author, "");
        assert_eq!(demo.comments[0].created_at, 1_381_694_460);
        assert!(demo.body.starts_with("> Long Live"));
        assert!(demo.comments[1].body.ends_with("Nicely done!"));
        Ok(())
    }
}
