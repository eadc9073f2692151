//! Posts and pages in the panel: lists with status views, the editor with a
//! server-rendered preview, and trash, restore and permanent delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{CurrentAdmin, Form, layout, parse_id, with_notice, with_status};
use crate::app::AppState;
use crate::domain::FieldErrors;
use crate::domain::editor::{self, PostForm, PostKind};
use crate::domain::percent;
use crate::domain::status::PostStatus;
use crate::domain::{markdown, render_limits};
use crate::error::AppError;
use crate::routes::extract::{Page, Path, Query};
use crate::routes::see_other;
use crate::store::{self, editor as posts};
use crate::views::admin::comments::public_url;
use crate::views::admin::posts::{EditorPage, PostListRow, PostsPage, effective_status};
use crate::views::admin::{AdminLayout, Tab};
use crate::views::pager::{self, Pager, page_url};
use crate::views::render;

/// Rows per page of the lists.
pub const PER_PAGE: u32 = 20;
/// Library images the editor offers as the featured image (the newest; the post's
/// own choice is always among them).
const FEATURED_CHOICES: i64 = 60;

const VIEWS: [(&str, &str); 5] =
    [("all", "All"), ("published", "Published"), ("scheduled", "Scheduled"), ("draft", "Drafts"), ("trash", "Trash")];

fn base(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "/admin/posts",
        PostKind::Page => "/admin/pages",
    }
}

fn noun(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "post",
        PostKind::Page => "page",
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    status: String,
    s: String,
    notice: Option<String>,
}

pub async fn list_posts(
    state: State<AppState>,
    admin: CurrentAdmin,
    page: Page,
    q: Query<ListQuery>,
) -> Result<Response, AppError> {
    list(state, admin, page, q, PostKind::Post).await
}

pub async fn list_pages(
    state: State<AppState>,
    admin: CurrentAdmin,
    page: Page,
    q: Query<ListQuery>,
) -> Result<Response, AppError> {
    list(state, admin, page, q, PostKind::Page).await
}

fn list_url(kind: PostKind, view: &str, search: &str, page: u64) -> String {
    let mut url = format!("{}?status={view}", base(kind));
    if !search.is_empty() {
        url.push_str(&format!("&s={}", percent::component(search)));
    }
    page_url(&url, page)
}

async fn list(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Page(requested): Page,
    Query(q): Query<ListQuery>,
    kind: PostKind,
) -> Result<Response, AppError> {
    let view = VIEWS.iter().map(|(v, _)| *v).find(|v| *v == q.status).unwrap_or("all");
    let search: String = q.s.trim().chars().take(200).collect();
    let now = app.now();
    let settings = store::settings::load(&app.store).await?;
    let counts = posts::counts(&app.store, kind, now).await?;
    // The tab's count is the view's (one snapshot earlier); only a search counts again.
    let total = if search.is_empty() {
        counts.of_view(view)
    } else {
        posts::count(&app.store, kind, view, &search, now).await?
    };
    let pages = u64::try_from(total).unwrap_or(0).div_ceil(u64::from(PER_PAGE)).max(1);
    let page = requested.min(pages);
    let offset = (page - 1).saturating_mul(u64::from(PER_PAGE));
    let rows = posts::list(&app.store, kind, view, &search, now, PER_PAGE, offset).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let tags = posts::tags_of(&app.store, &ids).await?;
    let tabs = VIEWS
        .iter()
        .map(|(v, label)| Tab { label, count: counts.of_view(v), href: list_url(kind, v, "", 1), current: *v == view })
        .collect();
    let title = if kind == PostKind::Page { "Pages" } else { "Posts" };
    let page_view = PostsPage {
        layout: layout(&app, &admin, title, if kind == PostKind::Page { "pages" } else { "posts" })
            .await?
            .with_notice(q.notice.as_deref(), None),
        is_page: kind == PostKind::Page,
        base: base(kind),
        tabs,
        view: view.to_owned(),
        rows: rows
            .iter()
            .map(|r| {
                let names = tags.iter().filter(|(id, _)| *id == r.id).map(|(_, n)| n.as_str()).collect();
                PostListRow::new(r, names, &settings, now)
            })
            .collect(),
        total,
        pager: Pager::new(pager::PANEL, &list_url(kind, view, &search, 1), page, pages),
        search,
    };
    Ok(render(&page_view)?.into_response())
}

pub async fn new_post(state: State<AppState>, admin: CurrentAdmin) -> Result<Response, AppError> {
    new(state, admin, PostKind::Post).await
}

pub async fn new_page(state: State<AppState>, admin: CurrentAdmin) -> Result<Response, AppError> {
    new(state, admin, PostKind::Page).await
}

async fn new(State(app): State<AppState>, admin: CurrentAdmin, kind: PostKind) -> Result<Response, AppError> {
    let form = PostForm {
        status: "draft".to_owned(),
        comments_open: (kind == PostKind::Post).then(|| "on".to_owned()),
        ..PostForm::default()
    };
    let title = format!("New {}", noun(kind));
    let layout = layout(&app, &admin, &title, section(kind)).await?;
    editor_page(&app, layout, kind, None, form, FieldErrors::default(), None, StatusCode::OK).await
}

fn section(kind: PostKind) -> &'static str {
    if kind == PostKind::Page { "pages" } else { "posts" }
}

#[allow(clippy::too_many_arguments)]
async fn editor_page(
    app: &AppState,
    layout: AdminLayout,
    kind: PostKind,
    stored: Option<&posts::EditPost>,
    form: PostForm,
    errors: FieldErrors,
    preview: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let settings = store::settings::load(&app.store).await?;
    let now = app.now();
    let current_status = stored.map_or(PostStatus::Draft, |p| effective_status(p.status, p.published_at, now));
    let page = EditorPage {
        layout,
        is_page: kind == PostKind::Page,
        action: stored.map_or_else(|| base(kind).to_owned(), |p| format!("{}/{}", base(kind), p.id)),
        errors,
        preview,
        html_source: stored.is_some_and(|p| p.source_format == "html"),
        zone: settings.timezone.clone(),
        public_url: stored.filter(|_| current_status == PostStatus::Published).map(|p| public_url(kind, &p.slug)),
        slug_prefix: match kind {
            PostKind::Post => format!("{}/posts/", app.config.base_url),
            PostKind::Page => format!("{}/", app.config.base_url),
        },
        current_status,
        trash_action: stored.map(|p| format!("{}/{}/trash", base(kind), p.id)),
        featured_choices: store::featured::choices(&app.store, FEATURED_CHOICES, form.featured.trim().parse().ok())
            .await?,
        form,
    };
    Ok(with_status(status, render(&page)?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct EditQuery {
    notice: Option<String>,
}

pub async fn edit_post(
    state: State<AppState>,
    admin: CurrentAdmin,
    id: Path<String>,
    q: Query<EditQuery>,
) -> Result<Response, AppError> {
    edit(state, admin, id, q, PostKind::Post).await
}

pub async fn edit_page(
    state: State<AppState>,
    admin: CurrentAdmin,
    id: Path<String>,
    q: Query<EditQuery>,
) -> Result<Response, AppError> {
    edit(state, admin, id, q, PostKind::Page).await
}

/// The stored post `id` of `kind`: a 404 for another kind or a missing one.
async fn load(app: &AppState, id: &str, kind: PostKind) -> Result<posts::EditPost, AppError> {
    let id = parse_id(id)?;
    posts::by_id(&app.store, id).await?.filter(|p| p.kind == kind).ok_or(AppError::NotFound)
}

async fn edit(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    Query(q): Query<EditQuery>,
    kind: PostKind,
) -> Result<Response, AppError> {
    let post = load(&app, &id, kind).await?;
    if post.status == PostStatus::Trash {
        return Err(AppError::Conflict(format!("This {} is in the trash. Restore it to edit it.", noun(kind))));
    }
    let settings = store::settings::load(&app.store).await?;
    let zone = settings.zone();
    let tags = store::tags::for_post(&app.store, post.id).await?;
    let derived = markdown::excerpt(&post.body_html);
    let form = PostForm {
        title: post.title.clone(),
        slug: post.slug.clone(),
        body: post.source.clone(),
        excerpt: if post.excerpt == derived { String::new() } else { post.excerpt.clone() },
        tags: tags.iter().map(|t| t.name.as_str()).collect::<Vec<_>>().join(", "),
        comments_open: post.comments_open.then(|| "on".to_owned()),
        status: match effective_status(post.status, post.published_at, app.now()) {
            PostStatus::Trash => PostStatus::Draft.to_string(),
            s => s.to_string(),
        },
        publish_at: post.published_at.map(|t| editor::local_time_value(t, &zone)).unwrap_or_default(),
        menu_order: post.menu_order.to_string(),
        intent: String::new(),
        featured: post.featured_media_id.map(|id| id.to_string()).unwrap_or_default(),
    };
    let title = format!("Edit {}", noun(kind));
    let layout = layout(&app, &admin, &title, section(kind)).await?.with_notice(q.notice.as_deref(), None);
    editor_page(&app, layout, kind, Some(&post), form, FieldErrors::default(), None, StatusCode::OK).await
}

pub async fn create_post(
    state: State<AppState>,
    admin: CurrentAdmin,
    form: Form<PostForm>,
) -> Result<Response, AppError> {
    save(state, admin, None, form, PostKind::Post).await
}

pub async fn create_page(
    state: State<AppState>,
    admin: CurrentAdmin,
    form: Form<PostForm>,
) -> Result<Response, AppError> {
    save(state, admin, None, form, PostKind::Page).await
}

pub async fn update_post(
    state: State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    form: Form<PostForm>,
) -> Result<Response, AppError> {
    save(state, admin, Some(id), form, PostKind::Post).await
}

pub async fn update_page(
    state: State<AppState>,
    admin: CurrentAdmin,
    Path(id): Path<String>,
    form: Form<PostForm>,
) -> Result<Response, AppError> {
    save(state, admin, Some(id), form, PostKind::Page).await
}

/// Renders a body on the blocking pool within the render budget, or the message for
/// the body field when it cannot be.
async fn render_body(source: &str, source_format: &str) -> Result<markdown::SafeHtml, FieldErrors> {
    let (source, format) = (source.to_owned(), source_format.to_owned());
    render_limits::render_off_runtime(move |deadline| editor::render_body_within(&source, &format, Some(deadline)))
        .await
        .map_err(|e| {
            tracing::info!(reason = %e, "a post body was too complex to render");
            let mut errors = FieldErrors::default();
            errors.add(
                "body",
                "This text has more formatting than can be shown (quotes or lists nested too deep, or too much \
                 markup for its length). Simplify it and try again.",
            );
            errors
        })
}

/// Saves (or, with the Preview button, only renders) a post or page.
async fn save(
    State(app): State<AppState>,
    admin: CurrentAdmin,
    id: Option<String>,
    Form(form): Form<PostForm>,
    kind: PostKind,
) -> Result<Response, AppError> {
    let stored = match &id {
        Some(id) => Some(load(&app, id, kind).await?),
        None => None,
    };
    if stored.as_ref().is_some_and(|p| p.status == PostStatus::Trash) {
        return Err(AppError::Conflict(format!("This {} is in the trash. Restore it to edit it.", noun(kind))));
    }
    let title = if stored.is_some() { format!("Edit {}", noun(kind)) } else { format!("New {}", noun(kind)) };
    let source_format = stored.as_ref().map_or("markdown", |p| p.source_format.as_str()).to_owned();
    let settings = store::settings::load(&app.store).await?;
    let now = app.now();

    // The editor again with the author's input and the messages beside their fields.
    let reshow = async |form, errors| {
        let layout = layout(&app, &admin, &title, section(kind)).await?;
        editor_page(&app, layout, kind, stored.as_ref(), form, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
    };

    if form.intent == "preview" {
        let preview = match render_body(&form.body, &source_format).await {
            Ok(html) => html.into_string(),
            Err(errors) => return reshow(form, errors).await,
        };
        let layout = layout(&app, &admin, &title, section(kind)).await?;
        return editor_page(
            &app,
            layout,
            kind,
            stored.as_ref(),
            form,
            FieldErrors::default(),
            Some(preview),
            StatusCode::OK,
        )
        .await;
    }

    let previous = stored.as_ref().and_then(|p| p.published_at);
    let featured = featured_choice(&app, &form.featured).await?;
    let (valid, featured_media_id) = match (editor::validate(&form, kind, &settings.zone(), now, previous), featured) {
        (Ok(v), Ok(f)) => (v, f),
        (valid, featured) => {
            let mut errors = valid.err().unwrap_or_default();
            if let Err(e) = featured {
                errors.add("featured", e);
            }
            return reshow(form, errors).await;
        }
    };
    let own_id = stored.as_ref().map(|p| p.id);
    let mut slug = valid.slug.clone();
    let owner = posts::slug_owner(&app.store, &slug).await?;
    if owner.is_some() && owner != own_id {
        if valid.slug_typed {
            let mut errors = FieldErrors::default();
            errors.add("slug", format!("Another post or page already uses “{slug}”. Choose another slug."));
            return reshow(form, errors).await;
        }
        let taken = posts::slugs_like(&app.store, &slug).await?;
        slug = editor::dedupe_slug(&slug, |s| taken.iter().any(|t| t == s));
    }
    let body_html = match render_body(&valid.source, &source_format).await {
        Ok(html) => super::media::responsive_images(&app, html).await?,
        Err(errors) => return reshow(form, errors).await,
    };
    let excerpt = if valid.excerpt.is_empty() { markdown::excerpt(body_html.as_str()) } else { valid.excerpt.clone() };
    let no_tags: Vec<String> = Vec::new();
    let s = &admin.0;
    let record = posts::SavePost {
        kind,
        slug: &slug,
        title: &valid.title,
        source: &valid.source,
        source_format: &source_format,
        body_html: body_html.as_str(),
        excerpt: &excerpt,
        status: valid.status,
        comments_open: kind == PostKind::Post && valid.comments_open,
        published_at: valid.published_at,
        menu_order: if kind == PostKind::Page { valid.menu_order } else { 0 },
        tags: if kind == PostKind::Post { &valid.tags } else { &no_tags },
        author_id: s.user_id,
        author_name: &s.display_name,
        now,
        featured_media_id,
    };
    match posts::save(&app.store, own_id, &record).await? {
        posts::Saved::Yes(id) => {
            tracing::info!(post_id = id, status = %valid.status, "saved a {}", noun(kind));
            let notice = match valid.status {
                PostStatus::Published => "published",
                PostStatus::Scheduled => "scheduled",
                _ => "draft-saved",
            };
            Ok(see_other(&with_notice(&format!("{}/{id}/edit", base(kind)), notice, None)))
        }
        posts::Saved::SlugTaken => {
            let mut errors = FieldErrors::default();
            errors.add("slug", format!("Another post or page already uses “{slug}”. Choose another slug."));
            let layout = layout(&app, &admin, &title, section(kind)).await?;
            editor_page(&app, layout, kind, stored.as_ref(), form, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        posts::Saved::Missing => Err(AppError::NotFound),
    }
}

/// The featured image a form chose: none, or a library image that can be one; else
/// the message for the field.
async fn featured_choice(app: &AppState, raw: &str) -> Result<Result<Option<i64>, &'static str>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(Ok(None));
    }
    let Ok(id) = raw.parse::<i64>() else {
        return Ok(Err("Choose one of the images shown, or none."));
    };
    Ok(match store::featured::choosable(&app.store, id).await? {
        Some(_) => Ok(Some(id)),
        None => Err("This image is no longer in the library (or is not an image). Choose another one, or none."),
    })
}

macro_rules! row_action {
    ($name:ident, $kind:expr, $run:ident) => {
        pub async fn $name(
            State(app): State<AppState>,
            _admin: CurrentAdmin,
            Path(id): Path<String>,
        ) -> Result<Response, AppError> {
            $run(&app, &id, $kind).await
        }
    };
}

row_action!(trash_post, PostKind::Post, trash);
row_action!(trash_page, PostKind::Page, trash);
row_action!(restore_post, PostKind::Post, restore);
row_action!(restore_page, PostKind::Page, restore);
row_action!(delete_post, PostKind::Post, delete);
row_action!(delete_page, PostKind::Page, delete);

async fn trash(app: &AppState, id: &str, kind: PostKind) -> Result<Response, AppError> {
    let post = load(app, id, kind).await?;
    posts::trash(&app.store, post.id, app.now()).await?;
    Ok(see_other(&with_notice(base(kind), "trashed", None)))
}

async fn restore(app: &AppState, id: &str, kind: PostKind) -> Result<Response, AppError> {
    let post = load(app, id, kind).await?;
    posts::restore(&app.store, post.id, app.now()).await?;
    Ok(see_other(&with_notice(&format!("{}?status=trash", base(kind)), "restored", None)))
}

async fn delete(app: &AppState, id: &str, kind: PostKind) -> Result<Response, AppError> {
    let post = load(app, id, kind).await?;
    if post.status != PostStatus::Trash {
        return Err(AppError::Conflict(format!("Move this {} to the trash before deleting it for good.", noun(kind))));
    }
    posts::delete(&app.store, post.id).await?;
    tracing::info!(post_id = post.id, "deleted a {} permanently", noun(kind));
    Ok(see_other(&with_notice(&format!("{}?status=trash", base(kind)), "deleted", None)))
}
