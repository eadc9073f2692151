//! The records a WXR file holds, as the reader hands them over: the channel, authors,
//! terms, items and their comments, with their fields as written (decoded XML text).

/// The channel: the site the export came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Site {
    pub title: String,
    pub link: String,
    pub description: String,
    pub language: String,
    pub wxr_version: String,
    pub base_site_url: String,
    pub base_blog_url: String,
    pub generator: String,
}

/// A `<wp:author>`: a user of the old site.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Author {
    pub id: String,
    pub login: String,
    pub email: String,
    pub display_name: String,
}

/// A category, tag or other term declared in the channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Term {
    /// `category`, `post_tag`, or another taxonomy (menus, formats...).
    pub taxonomy: String,
    pub id: String,
    pub slug: String,
    /// The parent's slug (categories are hierarchical).
    pub parent: String,
    pub name: String,
}

/// A `<category>` of an item: a category or tag it is filed under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemTerm {
    /// `category` or `post_tag` (WXR 1.0 wrote `tag`; no domain meant category).
    pub domain: String,
    pub slug: String,
    pub name: String,
}

/// An `<item>`: a post, page, attachment, menu item, revision...
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Item {
    /// The line of `<item>` in the file.
    pub line: u64,
    pub title: String,
    pub link: String,
    pub guid: String,
    pub creator: String,
    pub content: String,
    pub excerpt: String,
    pub post_id: String,
    pub post_date: String,
    pub post_date_gmt: String,
    pub post_modified: String,
    pub post_modified_gmt: String,
    pub comment_status: String,
    pub post_name: String,
    pub status: String,
    pub post_parent: String,
    pub menu_order: String,
    pub post_type: String,
    pub post_password: String,
    pub is_sticky: String,
    pub attachment_url: String,
    pub terms: Vec<ItemTerm>,
    /// The post meta hewn uses (see [`KEPT_POST_META`]); the rest is dropped while reading.
    pub meta: Vec<(String, String)>,
    /// `hewn:*` elements by local name.
    pub hewn: Vec<(String, String)>,
}

/// A `<wp:comment>` of an item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Comment {
    /// The line of `<wp:comment>` in the file.
    pub line: u64,
    pub id: String,
    pub author: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub date: String,
    pub date_gmt: String,
    pub content: String,
    pub approved: String,
    pub kind: String,
    pub parent: String,
    pub user_id: String,
    /// The comment meta hewn uses (see [`KEPT_COMMENT_META`]).
    pub meta: Vec<(String, String)>,
    /// `hewn:*` elements by local name.
    pub hewn: Vec<(String, String)>,
}

impl Item {
    /// The value of a kept meta key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// All values of a kept meta key (some keys repeat, e.g. `_wp_old_slug`).
    pub fn meta_all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.meta.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of a `hewn:` element.
    pub fn hewn(&self, name: &str) -> Option<&str> {
        self.hewn.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

impl Comment {
    /// The value of a kept meta key.
    pub fn meta(&self, key: &str) -> Option<&str> {
        self.meta.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The value of a `hewn:` element.
    pub fn hewn(&self, name: &str) -> Option<&str> {
        self.hewn.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// Post meta kept while reading: old slugs (for redirects), the uploads path of an
/// attachment and its alt text, the status a trashed post had, and a post's featured
/// image (the WordPress id of an attachment).
pub const KEPT_POST_META: [&str; 5] =
    ["_wp_old_slug", "_wp_attached_file", "_wp_attachment_image_alt", "_wp_trash_meta_status", "_thumbnail_id"];
/// Comment meta kept while reading: the status a trashed comment had, and the Disqus
/// id of a comment Disqus's WordPress plugin synced into WordPress (so that a later
/// `hewn import disqus` of the same comments does not import them twice).
pub const KEPT_COMMENT_META: [&str; 2] = ["_wp_trash_meta_status", "dsq_post_id"];

/// Where the records go, in file order. A comment arrives before the end of its item,
/// tagged with the item's sequence number (items are numbered from 1 in file order).
pub trait Sink {
    /// The channel header, once, before the first author, term or item.
    fn site(&mut self, site: &Site) -> anyhow::Result<()>;
    fn author(&mut self, author: Author) -> anyhow::Result<()>;
    fn term(&mut self, term: Term) -> anyhow::Result<()>;
    fn comment(&mut self, item_seq: u64, comment: Comment) -> anyhow::Result<()>;
    fn item(&mut self, item_seq: u64, item: Item) -> anyhow::Result<()>;
}
