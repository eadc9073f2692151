//! An import's plan: the staged rows matched against the live database (attached
//! read-only, in one snapshot), and every id, slug, parent and user decided, so
//! that the live write is a plain copy.

use std::collections::{HashMap, HashSet};

use sqlx::{Connection, QueryBuilder, Sqlite, SqliteConnection};

use super::Result;
use super::staging::ROWS_PER_INSERT;

/// What an import will do, decided against one snapshot of the live database.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// New posts and pages, by kind and status.
    pub new_posts: Vec<(String, String, i64)>,
    /// Items already on the site (matched by guid, WordPress id, or slug, title and date).
    pub existing_posts: i64,
    /// New comments by status.
    pub new_comments: Vec<(String, i64)>,
    /// Comments already on the site.
    pub existing_comments: i64,
    /// Comments of items that are not imported (attachments, skipped items), or of
    /// Disqus threads the file does not have.
    pub orphan_comments: i64,
    /// Disqus threads that match no post here: line, link and comments left out.
    pub unmatched_threads: Vec<(i64, String, i64)>,
    /// Disqus threads matched to a post here.
    pub matched_threads: i64,
    /// Replies whose parent is not in the file (shown at the top level).
    pub missing_parents: Vec<i64>,
    /// Replies in a loop of parents (the loop is cut).
    pub parent_loops: i64,
    /// Comments whose WordPress id was taken here, so they got a new number.
    pub renumbered_comments: i64,
    /// Posts that had to take another slug: (line, wanted, given).
    pub renamed_slugs: Vec<(i64, String, String)>,
    /// Posts whose WordPress id another post here already has (their `?p=` link is not kept).
    pub wp_id_conflicts: i64,
    pub new_tags: i64,
    pub new_links: i64,
    pub new_media: i64,
    pub existing_media: i64,
    /// Bytes of media to copy.
    pub media_bytes: i64,
    pub new_settings: Vec<String>,
}

impl Plan {
    /// True when the import would change nothing.
    pub fn is_empty(&self) -> bool {
        self.new_posts.is_empty()
            && self.new_comments.is_empty()
            && self.new_tags == 0
            && self.new_links == 0
            && self.new_media == 0
            && self.new_settings.is_empty()
    }
}

/// Decides everything against the live database attached as `live`, giving out post
/// and comment ids below `below` (the reservation), if given.
pub(super) async fn resolve_attached(conn: &mut SqliteConnection, below: Option<(i64, i64)>) -> anyhow::Result<Plan> {
    let mut tx = conn.begin().await?;
    let mut plan = Plan::default();
    // New ids go above the highest the site has below the reservation (or were free),
    // and stay below the reservation (see `store::import::reserve`).
    let (post_ceiling, comment_ceiling) = below.unwrap_or((i64::MAX, i64::MAX));
    let (live_max_post, live_max_comment): (i64, i64) = sqlx::query_as(
        "select (select coalesce(max(id), 0) from live.posts where id < $1), \
           (select coalesce(max(id), 0) from live.comments where id < $2)",
    )
    .bind(post_ceiling)
    .bind(comment_ceiling)
    .fetch_one(&mut *tx)
    .await?;

    // Posts: match what the site already has, then give the rest ids and slugs.
    for sql in [
        "update posts set live_id = null, new_id = null, final_slug = null, final_wp_id = null, author_id = null",
        "update posts set live_id = (select p.id from live.posts p where p.wp_guid = posts.wp_guid) where wp_guid <> ''",
        "update posts set live_id = (select p.id from live.posts p where p.wp_id = posts.wp_id \
           and (coalesce(p.wp_guid, '') = '' or posts.wp_guid = '')) where live_id is null and wp_id is not null",
        "update posts set live_id = (select p.id from live.posts p where p.slug = posts.slug and p.kind = posts.kind \
           and p.title = posts.title and p.published_at is posts.published_at) where live_id is null",
        "update posts set final_wp_id = wp_id where live_id is null and wp_id is not null \
           and not exists (select 1 from live.posts p where p.wp_id = posts.wp_id)",
        "update posts set author_id = (select u.id from live.users u where u.username = posts.author_login) \
           where live_id is null and author_login <> ''",
    ] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    plan.wp_id_conflicts = sqlx::query_scalar(
        "select count(*) from posts where live_id is null and wp_id is not null and final_wp_id is null",
    )
    .fetch_one(&mut *tx)
    .await?;
    assign_slugs(&mut tx, &mut plan).await?;
    sqlx::query("update posts set new_id = $1 + seq where live_id is null")
        .bind(live_max_post)
        .execute(&mut *tx)
        .await?;
    sqlx::query("create index if not exists posts_new_id on posts (new_id) where new_id is not null")
        .execute(&mut *tx)
        .await?;

    match_threads(&mut tx).await?;

    // Comments: attach to their post, skip the ones already there, then number them
    // (keeping WordPress's numbers where free, so old #comment-N anchors still work).
    for sql in [
        "update comments set fate = 'orphan', new_id = null, parent_id = null, user_id = null, \
           post_id = (select coalesce(p.new_id, p.live_id) from posts p where p.seq = comments.post_seq)",
        "update comments set post_id = (select t.live_id from threads t where t.dsq_id = comments.disqus_thread) \
           where disqus_thread is not null",
        "update comments set fate = 'new' where post_id is not null",
        "update comments set fate = 'exists' where fate = 'new' and wp_id is not null \
           and exists (select 1 from live.comments c where c.post_id = comments.post_id and c.wp_id = comments.wp_id)",
        "update comments set fate = 'exists' where fate = 'new' and disqus_id is not null \
           and exists (select 1 from live.comments c where c.disqus_id = comments.disqus_id)",
    ] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    let comment_offset: i64 =
        sqlx::query_scalar("select max($1, (select coalesce(max(wp_id), 0) from comments where fate = 'new'))")
            .bind(live_max_comment)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query(
        "update comments set new_id = case when wp_id > 0 and wp_id_unique \
           and wp_id < $2 and not exists (select 1 from live.comments c where c.id = comments.wp_id) \
           then wp_id else $1 + seq end \
           where fate = 'new'",
    )
    .bind(comment_offset)
    .bind(comment_ceiling)
    .execute(&mut *tx)
    .await?;
    for sql in [
        "update comments set parent_id = coalesce(\
           (select c2.new_id from comments c2 where c2.post_seq = comments.post_seq and c2.wp_id = comments.wp_parent \
              and c2.fate = 'new'), \
           (select lc.id from live.comments lc where lc.post_id = comments.post_id and lc.wp_id = comments.wp_parent)) \
           where fate = 'new' and wp_parent > 0",
        "update comments set parent_id = coalesce(\
           (select c2.new_id from comments c2 where c2.disqus_id = comments.disqus_parent and c2.fate = 'new' \
              and c2.post_id = comments.post_id), \
           (select lc.id from live.comments lc where lc.disqus_id = comments.disqus_parent \
              and lc.post_id = comments.post_id)) \
           where fate = 'new' and disqus_parent is not null",
        "update comments set user_id = (select u.id from live.users u join authors a on a.login = u.username \
           where a.wp_id = comments.user_wp_id limit 1) where fate = 'new' and user_wp_id > 0",
    ] {
        sqlx::query(sql).execute(&mut *tx).await?;
    }
    plan.parent_loops = cut_parent_loops(&mut tx).await?;
    // The live writes insert comments in id order.
    sqlx::query("create index if not exists comments_new_id on comments (new_id) where new_id is not null")
        .execute(&mut *tx)
        .await?;
    plan.missing_parents = sqlx::query_scalar(
        "select line from comments where fate = 'new' and (wp_parent > 0 or disqus_parent is not null) \
           and parent_id is null order by seq",
    )
    .fetch_all(&mut *tx)
    .await?;

    // Media: note which files the site already has.
    sqlx::query("update media set existed = exists (select 1 from live.media m where m.path = media.path)")
        .execute(&mut *tx)
        .await?;

    count(&mut tx, &mut plan).await?;
    tx.commit().await?;
    Ok(plan)
}

/// Matches each Disqus thread to a post of the site: by its link among the old
/// addresses an import recorded (relative to the old blog's path, as they are kept),
/// then by the WordPress id its identifier or link names, then by the last segment of
/// its link as a slug.
async fn match_threads(tx: &mut SqliteConnection) -> Result<()> {
    let visible = format!("p.kind in ('post', 'page') and p.status <> '{}'", super::import::IMPORTING);
    for sql in [
        "update threads set live_id = null".to_owned(),
        format!(
            "update threads set live_id = (select l.post_id from live.legacy_links l join live.posts p \
               on p.id = l.post_id where {visible} and l.key in (threads.link_key, \
               (select substr(threads.link_key, length(s.value) + 1) from live.settings s \
                 where s.name = 'wp_base_path' and s.value <> '' and threads.link_key like s.value || '/%'))) \
             where link_key <> ''"
        ),
        format!(
            "update threads set live_id = (select p.id from live.posts p where p.wp_id = threads.wp_id and {visible}) \
             where live_id is null and wp_id is not null"
        ),
        format!(
            "update threads set live_id = (select p.id from live.posts p where p.slug = threads.slug and {visible} \
               order by p.kind = 'post' desc limit 1) \
             where live_id is null and slug <> ''"
        ),
    ] {
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Gives each new post a slug no live post and no other new post has.
async fn assign_slugs(tx: &mut SqliteConnection, plan: &mut Plan) -> Result<()> {
    let rows: Vec<(i64, i64, String, String)> =
        sqlx::query_as("select seq, line, kind, slug from posts where live_id is null order by seq")
            .fetch_all(&mut *tx)
            .await?;
    let mut taken: HashSet<String> = HashSet::new();
    let mut given = Vec::with_capacity(rows.len());
    for (seq, line, kind, wanted) in rows {
        let mut n = 1u32;
        let mut candidate = wanted.clone();
        loop {
            let reserved = kind == "page" && crate::domain::slug::is_reserved_page_slug(&candidate);
            let live: bool = if reserved || taken.contains(&candidate) {
                true
            } else {
                sqlx::query_scalar("select exists (select 1 from live.posts where slug = $1)")
                    .bind(&candidate)
                    .fetch_one(&mut *tx)
                    .await?
            };
            if !live {
                break;
            }
            n += 1;
            let suffix = format!("-{n}");
            let keep = crate::domain::slug::MAX_SLUG_LEN.saturating_sub(suffix.len());
            let base: String = wanted.chars().take(keep).collect();
            candidate = format!("{}{suffix}", base.trim_end_matches('-'));
        }
        if candidate != wanted {
            plan.renamed_slugs.push((line, wanted, candidate.clone()));
        }
        taken.insert(candidate.clone());
        given.push((seq, candidate));
    }
    for (seq, slug) in given {
        sqlx::query("update posts set final_slug = $1 where seq = $2").bind(slug).bind(seq).execute(&mut *tx).await?;
    }
    Ok(())
}

/// Finds loops in the new replies' parent chains and cuts each at one comment.
async fn cut_parent_loops(tx: &mut SqliteConnection) -> Result<i64> {
    let edges: Vec<(i64, i64)> =
        sqlx::query_as("select new_id, parent_id from comments where fate = 'new' and parent_id is not null")
            .fetch_all(&mut *tx)
            .await?;
    let parent: HashMap<i64, i64> = edges.iter().copied().collect();
    // 0 unvisited, 1 on the current path, 2 done.
    let mut state: HashMap<i64, u8> = HashMap::with_capacity(parent.len());
    let mut cut = Vec::new();
    for &(start, _) in &edges {
        let mut path = Vec::new();
        let mut node = start;
        loop {
            match state.get(&node).copied().unwrap_or(0) {
                2 => break,
                1 => {
                    cut.push(node);
                    break;
                }
                _ => {}
            }
            state.insert(node, 1);
            path.push(node);
            match parent.get(&node) {
                Some(&p) => node = p,
                None => break,
            }
        }
        for n in path {
            state.insert(n, 2);
        }
    }
    for chunk in cut.chunks(ROWS_PER_INSERT) {
        let mut q: QueryBuilder<'_, Sqlite> =
            QueryBuilder::new("update comments set parent_id = null where new_id in (");
        let mut ids = q.separated(", ");
        for id in chunk {
            ids.push_bind(id);
        }
        q.push(")");
        q.build().execute(&mut *tx).await?;
    }
    Ok(i64::try_from(cut.len()).unwrap_or(i64::MAX))
}

async fn count(tx: &mut SqliteConnection, plan: &mut Plan) -> Result<()> {
    plan.new_posts = sqlx::query_as(
        "select kind, status, count(*) from posts where live_id is null group by kind, status order by kind, status",
    )
    .fetch_all(&mut *tx)
    .await?;
    plan.existing_posts =
        sqlx::query_scalar("select count(*) from posts where live_id is not null").fetch_one(&mut *tx).await?;
    plan.new_comments =
        sqlx::query_as("select status, count(*) from comments where fate = 'new' group by status order by status")
            .fetch_all(&mut *tx)
            .await?;
    plan.existing_comments =
        sqlx::query_scalar("select count(*) from comments where fate = 'exists'").fetch_one(&mut *tx).await?;
    plan.orphan_comments = sqlx::query_scalar(
        "select count(*) from comments where fate = 'orphan' \
           and not exists (select 1 from threads t where t.dsq_id = comments.disqus_thread)",
    )
    .fetch_one(&mut *tx)
    .await?;
    plan.unmatched_threads = sqlx::query_as(
        "select t.line, t.link, count(*) from threads t join comments c on c.disqus_thread = t.dsq_id \
         where t.live_id is null group by t.dsq_id order by t.line",
    )
    .fetch_all(&mut *tx)
    .await?;
    plan.matched_threads =
        sqlx::query_scalar("select count(*) from threads where live_id is not null").fetch_one(&mut *tx).await?;
    plan.renumbered_comments = sqlx::query_scalar(
        "select count(*) from comments where fate = 'new' and wp_id is not null and new_id <> wp_id",
    )
    .fetch_one(&mut *tx)
    .await?;
    plan.new_tags = sqlx::query_scalar(
        "select count(distinct slug) from tags where not exists (select 1 from live.tags t where t.slug = tags.slug)",
    )
    .fetch_one(&mut *tx)
    .await?;
    plan.new_links = sqlx::query_scalar(
        "select count(distinct l.key) from links l left join posts p on p.seq = l.post_seq \
         where (l.post_seq is null or p.new_id is not null) \
           and not exists (select 1 from live.legacy_links x where x.key = l.key)",
    )
    .fetch_one(&mut *tx)
    .await?;
    (plan.new_media, plan.media_bytes) =
        sqlx::query_as("select count(*), coalesce(sum(size), 0) from media where existed = 0")
            .fetch_one(&mut *tx)
            .await?;
    plan.existing_media =
        sqlx::query_scalar("select count(*) from media where existed = 1").fetch_one(&mut *tx).await?;
    plan.new_settings =
        sqlx::query_scalar("select name from settings where not exists (select 1 from live.settings s where s.name = settings.name) order by name")
            .fetch_all(&mut *tx)
            .await?;
    Ok(())
}
