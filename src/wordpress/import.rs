//! `hewn import wordpress FILE` and `hewn import disqus FILE` (whose comments take
//! the same path onto the posts the site has): reads the export into a staging
//! database (streaming, on a thread of its own), matches it against the live site,
//! copies media in small writes, writes the new posts and their comments hidden a
//! few at a time, then shows them all in one short write. No write holds the lock
//! for long, and between writes the import steps aside, so commenters on the live
//! site wait a moment at most. A file that cannot be read changes nothing; importing
//! the same file again changes nothing; an import that fails or is stopped half-way
//! takes back what it wrote.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::disqus;
use super::input::{self, Decoded};
use super::progress::Progress;
use super::report::{Report, Tally};
use super::shortcodes::{self, Gallery, GalleryImage};
use super::stage::{Counters, Row, Stager, render, text_bytes};
use super::summary::summary;
use super::uploads::Uploads;
use super::wxr::{self, ReadError};
use crate::cli::import::{ImportArgs, ImportFormat};
use crate::config::{Cli, DatabaseConfig};
use crate::store::import::{self as live, Reservation};
use crate::store::media::{ImportedFile, NewFile, NewUpload};
use crate::store::postgres::import::ImportLock;
use crate::store::staging::{self, Plan, Staged, Staging};
use crate::store::{Backend, Store};

/// Batches of rows waiting between the reading, rendering and writing threads.
const RENDER_QUEUE: usize = 8;
/// Most threads that render comments.
const MAX_RENDER_THREADS: usize = 4;
/// Media copied per write (so no single write holds the lock long).
const MEDIA_BATCH_BYTES: i64 = 16 * 1024 * 1024;
/// Times the import plans again when the site took something the plan gave out
/// (a number, a slug) or removed something it refers to, while it was writing.
const ATTEMPTS: u32 = 4;
/// How long one hidden write aims to hold the write lock.
const WRITE_TARGET: Duration = Duration::from_millis(100);
/// The pause after each hidden write. A writer kept waiting by the import (a
/// commenter) retries at intervals that stay under this while it has waited less
/// than a few times [`WRITE_TARGET`], so it gets its turn in the next pause.
const PAUSE: Duration = Duration::from_millis(50);
/// The first hidden write's size, in comments (a post counts as [`POST_WEIGHT`]);
/// later writes are sized from how long the earlier ones took.
const FIRST_WRITE: u64 = 2_000;
const POST_WEIGHT: u64 = 8;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub uploads: Option<PathBuf>,
    pub dry_run: bool,
    pub progress: bool,
    /// Asks the import to stop (Ctrl-C, SIGTERM).
    pub stop: Stop,
    pub format: Format,
}

/// What kind of export a file is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// A WordPress export (WXR): posts, pages, tags and comments.
    #[default]
    Wordpress,
    /// A Disqus export: comments on the site's posts.
    Disqus,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    pub plan: Plan,
    /// How the import was written (`None` if nothing was).
    pub writes: Option<Writes>,
    pub media_copied: usize,
    pub elapsed: Duration,
    /// Time spent reading the file into the staging database.
    pub reading: Duration,
    pub dry_run: bool,
}

/// The writes of an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct Writes {
    /// Writes made (reservation, hidden posts, the last one).
    pub count: u32,
    /// The longest any of them held the write lock.
    pub longest: Duration,
    /// From the first write to the last.
    pub took: Duration,
}

/// `hewn import ...`.
pub async fn run(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    let database = cli.database()?;
    // Ctrl-C or SIGTERM stops the import; whatever it wrote is taken back first, so
    // the database then has all of the import or none of it. The handlers are
    // installed before anything is written, so no signal can kill it half-way.
    let stop = Stop::on_signals()?;
    let (file, options) = match &args.format {
        ImportFormat::Wordpress(args) => (
            &args.file,
            Options {
                uploads: args.uploads.clone(),
                dry_run: args.dry_run,
                progress: !args.quiet,
                stop,
                ..Options::default()
            },
        ),
        ImportFormat::Disqus(args) => (
            &args.file,
            Options {
                dry_run: args.dry_run,
                progress: !args.quiet,
                stop,
                format: Format::Disqus,
                ..Options::default()
            },
        ),
    };
    let outcome = import_file(&database, file, &options).await?;
    print!("{}", summary(&outcome));
    Ok(())
}

/// What an import says when it was stopped.
const INTERRUPTED: &str = "interrupted: the import was stopped (the database has all of it or none of it)";

/// A request to stop an import, which it honours where it can without leaving
/// anything half-written.
#[derive(Debug, Clone, Default)]
pub struct Stop(Option<tokio::sync::watch::Receiver<bool>>);

impl Stop {
    /// Stops on Ctrl-C or SIGTERM.
    pub fn on_signals() -> anyhow::Result<Self> {
        let (sender, receiver) = tokio::sync::watch::channel(false);
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
            let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
            tokio::spawn(async move {
                tokio::select! {
                    _ = interrupt.recv() => {},
                    _ = terminate.recv() => {},
                }
                let _ = sender.send(true);
            });
        }
        #[cfg(not(unix))]
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                let _ = sender.send(true);
            }
        });
        Ok(Self(Some(receiver)))
    }

    /// True once a stop was asked for.
    pub fn requested(&self) -> bool {
        self.0.as_ref().is_some_and(|r| *r.borrow())
    }

    /// Waits until a stop is asked for (forever, if none can be).
    async fn wait(&self) {
        match self.0.clone() {
            Some(mut receiver) => {
                if receiver.wait_for(|stop| *stop).await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending().await,
        }
    }
}

/// Deletes the staging files when an import ends in any way, including being
/// stopped half-way (when [`Staging::discard`] never runs).
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        for suffix in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

/// Imports the WordPress export `file` into the database `database`.
pub async fn import_file(database: &DatabaseConfig, file: &Path, options: &Options) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    // On SQLite the plan reads the live file itself; on PostgreSQL a copy of the
    // site's keys, written beside the staging file before each planning.
    let live_file = match crate::store::postgres::is_url(&database.url) {
        true => None,
        false => Some(staging::database_file(&database.url)?),
    };
    let meta = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", file.display());
    }
    let uploads = match &options.uploads {
        Some(dir) if dir.is_dir() => Some(Uploads::new(dir.clone())),
        Some(dir) => bail!("the uploads folder {} does not exist", dir.display()),
        None => None,
    };
    let staging_path = match &live_file {
        Some(live) => staging_file(live),
        None => temporary_staging_file(),
    };
    let _cleanup = RemoveOnDrop(staging_path.clone());
    let keys_path = PathBuf::from(format!("{}.live", staging_path.display()));
    let _keys_cleanup = RemoveOnDrop(keys_path.clone());
    let mut staging = Staging::create(&staging_path).await?;
    let result = async {
        // Reading writes only the staging file, so it can stop anywhere.
        let report = tokio::select! {
            report = read_into(&mut staging, file, meta.len(), uploads, options) => report?,
            () = options.stop.wait() => bail!(INTERRUPTED),
        };
        show_galleries(&mut staging).await.context("showing the galleries of posts")?;
        let reading = started.elapsed();
        // A dry run against a database that does not exist yet plans against an empty
        // one, made beside the staging file and removed after, and creates nothing.
        let scratch = live_file
            .as_ref()
            .filter(|live| options.dry_run && !live.exists())
            .map(|_| staging_path.with_extension("dry-run"));
        let (database, live) = match (&scratch, &live_file) {
            (Some(path), _) => {
                let url = format!("sqlite://{}", path.display());
                (DatabaseConfig::from_cli(&url, database.synchronous)?, Live::File(path.clone()))
            }
            (None, Some(live)) => (database.clone(), Live::File(live.clone())),
            (None, None) => (database.clone(), Live::Keys(keys_path.clone())),
        };
        let store = Store::open(&database).await?;
        let result = apply(&store, &database.url, &mut staging, &live, options).await;
        store.close().await;
        if let Some(path) = &scratch {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        let (plan, writes, media) = result?;
        let mut report = report;
        for (path, why) in media.refused {
            report.skip(0, format!("uploads file {path}: {why}"));
        }
        for line in media.unfeatured {
            let why = match options.uploads {
                Some(_) => "the attachment was not imported as an image from the uploads folder",
                None => "no --uploads folder given",
            };
            report.skip(line, format!("featured image not imported: {why}"));
        }
        let elapsed = started.elapsed();
        let media_copied = media.copied;
        Ok(Outcome { report, plan, writes, media_copied, elapsed, reading, dry_run: options.dry_run })
    }
    .await;
    staging.discard().await;
    result
}

/// Replaces the `[gallery]` shortcodes of the staged posts with their images, now
/// that every attachment of the file is known (an attachment may come after the
/// post that shows it).
async fn show_galleries(staging: &mut Staging) -> anyhow::Result<()> {
    let posts = staging.posts_with_galleries().await?;
    if posts.is_empty() {
        return Ok(());
    }
    let mut by_id: HashMap<i64, GalleryImage> = HashMap::new();
    let mut by_parent: HashMap<i64, Vec<(i64, GalleryImage)>> = HashMap::new();
    for (wp_id, parent, url, alt, caption) in staging.gallery_images().await? {
        let image = GalleryImage { url, alt, caption };
        if let Some(parent) = parent {
            by_parent.entry(parent).or_default().push((wp_id, image.clone()));
        }
        by_id.insert(wp_id, image);
    }
    for (seq, wp_id, source) in posts {
        let html = shortcodes::expand_galleries(&source, |gallery| match gallery {
            Gallery::Ids(ids) => ids.iter().filter_map(|id| by_id.get(id).cloned()).collect(),
            Gallery::Attached { exclude } => wp_id
                .and_then(|post| by_parent.get(&post))
                .into_iter()
                .flatten()
                .filter(|(id, _)| !exclude.contains(id))
                .map(|(_, image)| image.clone())
                .collect(),
        });
        if html != source {
            let body = crate::domain::markdown::sanitize_post_html(&html);
            staging.set_post_html(seq, &html, body.as_str()).await?;
        }
    }
    Ok(())
}

/// `hewn.db` → `hewn.db.import-PID` beside it (same disk, same permissions).
fn staging_file(live: &Path) -> PathBuf {
    let name = live.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "hewn.db".to_owned());
    live.with_file_name(format!("{name}.import-{}", std::process::id()))
}

/// A staging file of its own in the temporary directory (on PostgreSQL there is
/// no database file to put it beside).
fn temporary_staging_file() -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!("hewn-import-{}-{nanos}.db", std::process::id()))
}

/// What planning matches the staged rows against.
enum Live {
    /// The live SQLite file, attached read-only.
    File(PathBuf),
    /// On PostgreSQL: a SQLite file of the site's keys written here from one
    /// snapshot before each planning (see `store::postgres::import`).
    Keys(PathBuf),
}

/// Matches the staging database against the live site (see [`Staging::resolve`]).
async fn resolve(store: &Store, staging: &mut Staging, live: &Live, below: Option<(i64, i64)>) -> anyhow::Result<Plan> {
    match live {
        Live::File(path) => staging.resolve(path, below).await,
        Live::Keys(path) => {
            let crate::store::db::Db::Postgres(pool) = store.read_pool() else {
                bail!("the site's keys are copied from PostgreSQL only");
            };
            crate::store::postgres::import::write_live_keys(&pool.long, path).await?;
            let plan = staging.resolve(path, below).await;
            crate::store::postgres::import::remove_file(path);
            plan
        }
    }
}

/// Streams `file` through the WXR reader into `staging`.
async fn read_into(
    staging: &mut Staging,
    file: &Path,
    size: u64,
    uploads: Option<Uploads>,
    options: &Options,
) -> anyhow::Result<Report> {
    let (progress, format) = (options.progress, options.format);
    let opened = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut decoded = Decoded::new(opened);
    let counters = Arc::new(Counters::default());
    // However reading ends (stopped, too), nothing waits for the staging database after.
    let _closed = CloseOnDrop(Arc::clone(&counters));
    let bar = Progress::start(progress, size, decoded.raw_counter(), Arc::clone(&counters));
    // Reading thread → render threads → this task (in batch order) → staging database.
    let (raw_tx, raw_rx) = std::sync::mpsc::sync_channel::<(u64, Vec<Row>)>(RENDER_QUEUE);
    let raw_rx = Arc::new(Mutex::new(raw_rx));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u64, Vec<Staged>)>(RENDER_QUEUE);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, MAX_RENDER_THREADS);
    let mut renderers = Vec::with_capacity(workers);
    for i in 0..workers {
        let (raw_rx, tx) = (Arc::clone(&raw_rx), tx.clone());
        let spawned = std::thread::Builder::new().name(format!("render-{i}")).spawn(move || {
            loop {
                let next = match raw_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => break,
                };
                let Ok((n, rows)) = next else { break };
                if tx.blocking_send((n, render(rows))).is_err() {
                    break;
                }
            }
        });
        renderers.push(spawned.context("starting a render thread")?);
    }
    drop(tx);
    let reader_counters = Arc::clone(&counters);
    let reader = tokio::task::spawn_blocking(move || {
        let mut stager = Stager::new(raw_tx, uploads, reader_counters);
        let result = match format {
            Format::Wordpress => wxr::read(&mut decoded, &mut stager).map(|_| ()),
            Format::Disqus => {
                stager.report.disqus = true;
                disqus::read(&mut decoded, &mut stager)
            }
        };
        let flushed = stager.flush();
        (result, flushed, stager.report, decoded.replaced())
    });
    let mut staging_error = None;
    let mut waiting: BTreeMap<u64, Vec<Staged>> = BTreeMap::new();
    let mut next = 0;
    'receive: while let Some((n, rows)) = rx.recv().await {
        waiting.insert(n, rows);
        while let Some(rows) = waiting.remove(&next) {
            let text = rows.iter().map(text_bytes).sum();
            if let Err(e) = staging.insert(rows).await {
                staging_error = Some(e);
                break 'receive;
            }
            counters.text_in_flight.fetch_sub(text, Ordering::SeqCst);
            next += 1;
        }
    }
    counters.closed.store(true, Ordering::SeqCst);
    drop(rx);
    for handle in renderers {
        let _ = handle.join();
    }
    let (result, flushed, mut report, replaced) = reader.await.context("the reading thread failed")?;
    bar.finish();
    if let Some(e) = staging_error {
        return Err(anyhow::Error::new(e).context("writing the staging database"));
    }
    match result {
        Ok(_) => {}
        Err(ReadError::Xml { offset, message }) => {
            let line = input::line_of(file, offset).unwrap_or(0);
            let truncated = if message.contains("end of input") { " (the file is truncated)" } else { "" };
            bail!("{}: line {line}: {message}{truncated}; nothing was imported", file.display());
        }
        Err(ReadError::Invalid { line, message }) => {
            bail!("{}: line {line}: {message}; nothing was imported", file.display())
        }
        Err(ReadError::Sink(e)) => return Err(e.context("staging the import")),
    }
    flushed?;
    if replaced > 0 {
        report.notes.insert(
            "byte sequences that were not valid UTF-8 replaced with \u{fffd}".to_owned(),
            Tally { count: replaced, lines: Vec::new() },
        );
    }
    Ok(report)
}

/// Tells the reading thread that the staging database takes no more rows.
struct CloseOnDrop(Arc<Counters>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.closed.store(true, Ordering::SeqCst);
    }
}

/// Plans against the live site and (unless a dry run) writes.
async fn apply(
    store: &Store,
    url: &str,
    staging: &mut Staging,
    live_site: &Live,
    options: &Options,
) -> anyhow::Result<(Plan, Option<Writes>, CopiedMedia)> {
    live::prepare(store).await?;
    if options.dry_run {
        let plan = resolve(store, staging, live_site, None).await?;
        return Ok((plan, None, CopiedMedia::default()));
    }
    // On PostgreSQL an import holds a lock for as long as it runs, on a session of
    // its own: whoever holds it, on whatever host, is alive.
    let lock = match store.backend() {
        Backend::Sqlite => None,
        Backend::Postgres => match ImportLock::take(url).await? {
            Some(lock) => Some(lock),
            None => bail!(ANOTHER_IMPORT),
        },
    };
    let applied = apply_locked(store, staging, live_site, options, lock.is_some()).await;
    if let Some(lock) = lock {
        lock.release().await;
    }
    applied
}

/// [`apply`]'s writes, once no other import can be writing (`locked`: the import
/// lock is held, so every reservation found was left by an import that died).
async fn apply_locked(
    store: &Store,
    staging: &mut Staging,
    live_path: &Live,
    options: &Options,
    locked: bool,
) -> anyhow::Result<(Plan, Option<Writes>, CopiedMedia)> {
    remove_leftovers(store, locked).await?;
    let (items, comments, max_wp_comment) = staging.extent().await?;
    let mut writes = Writes::default();
    let started = Instant::now();
    let reservation = timed(&mut writes, live::reserve(store, items, comments, max_wp_comment)).await?;
    let mut media = CopiedMedia::default();
    let result = write_reserved(store, staging, live_path, options, reservation, &mut writes, &mut media).await;
    // Nothing to write, or a failure: the reservation is given back.
    if !matches!(result, Ok((_, true)))
        && let Err(e) = live::release(store, &reservation).await
    {
        tracing::error!("giving back an import's reservation: {e}");
    }
    let (plan, written) = result?;
    Ok((plan, written.then(|| Writes { took: started.elapsed(), ..writes }), media))
}

/// Plans below the reservation, then copies media and publishes, planning again
/// when the site took something the plan relies on meanwhile. False (with the plan)
/// when there was nothing to write.
async fn write_reserved(
    store: &Store,
    staging: &mut Staging,
    live_path: &Live,
    options: &Options,
    reservation: Reservation,
    writes: &mut Writes,
    media: &mut CopiedMedia,
) -> anyhow::Result<(Plan, bool)> {
    let planning = Instant::now();
    let mut plan = resolve(store, staging, live_path, Some(reservation.below())).await?;
    tracing::debug!(seconds = planning.elapsed().as_secs_f64(), "matched the export against the site");
    if plan.is_empty() {
        return Ok((plan, false));
    }
    let first = plan.clone();
    let batches = live::media_batches(store, staging.path(), MEDIA_BATCH_BYTES).await?;
    live::open_staging(store, staging.path()).await?;
    let mut copied = copy_media(store, staging.path(), &batches, media, &options.stop, writes).await;
    if copied.is_ok() {
        copied = responsive_bodies(store, staging).await;
    }
    if copied.is_ok() {
        copied = featured_images(store, staging, media).await;
    }
    let mut written = copied.map(|()| false);
    for attempt in 1..=ATTEMPTS {
        if !matches!(written, Ok(false)) {
            break;
        }
        written = publish(store, staging, &reservation, &options.stop, writes).await;
        if let Ok(false) = written {
            tracing::info!(attempt, "the site changed what the import planned to use; planning again");
            tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            match resolve(store, staging, live_path, Some(reservation.below())).await {
                Ok(again) => plan = again,
                Err(e) => written = Err(e),
            }
        }
    }
    live::close_staging(store).await;
    match written {
        Ok(true) => {
            // The media copied first were new when the import planned; report that view.
            plan.new_media = first.new_media;
            plan.existing_media = first.existing_media;
            plan.media_bytes = first.media_bytes;
            Ok((plan, true))
        }
        failed => {
            if let Err(cleanup) = live::remove_media(store, &media.added).await {
                tracing::error!("removing the media this failed import added: {cleanup}");
            }
            match failed {
                Err(e) => Err(e),
                _ => bail!("the site kept changing what the import planned to use; nothing was imported, try again"),
            }
        }
    }
}

/// What an import says when another one is writing.
const ANOTHER_IMPORT: &str =
    "another import is writing into this database; nothing was imported, try again when it has finished";

/// Removes what an import killed half-way left behind: posts written hidden, never
/// shown, and the reservation. `locked`: this import holds the import lock, so no
/// other is alive (PostgreSQL); otherwise each reservation's process is looked for.
async fn remove_leftovers(store: &Store, locked: bool) -> anyhow::Result<()> {
    let now = crate::domain::now();
    if !locked && live::reservations(store).await?.iter().any(|(title, touched)| at_work(title, *touched, now)) {
        bail!(ANOTHER_IMPORT);
    }
    let ids = live::leftovers(store).await?;
    if ids.is_empty() {
        return Ok(());
    }
    tracing::warn!(posts = ids.len(), "removing the hidden posts an interrupted import left behind");
    for chunk in ids.chunks(16) {
        live::remove_hidden(store, chunk).await.context("removing what an interrupted import left behind")?;
        tokio::time::sleep(PAUSE).await;
    }
    Ok(())
}

/// How long an import may go without writing before another takes it for dead.
const ABANDONED_AFTER: i64 = 60;

/// Whether the import that holds a reservation (its title and last write) may still
/// be writing: it wrote in the last minute, and, when it ran in this process
/// namespace, its process still exists.
fn at_work(title: &str, touched: i64, now: i64) -> bool {
    if now - touched > ABANDONED_AFTER {
        return false;
    }
    let here = live::process_namespace();
    let reserver = title.strip_prefix(live::RESERVED_BY).and_then(|rest| rest.split_once(" in "));
    match reserver.and_then(|(pid, namespace)| pid.parse::<u32>().ok().map(|pid| (pid, namespace))) {
        Some((pid, namespace)) if !here.is_empty() && namespace == here => {
            Path::new("/proc").join(pid.to_string()).exists()
        }
        _ => true,
    }
}

/// Copies the staged media batch by batch. Each batch is read from the staging file,
/// its images processed as an upload's are (decoded, turned upright, stripped of
/// metadata, resized: on the blocking pool, a few at a time, see
/// [`crate::media::process_bounded`]) while the site is not locked, then written
/// in one short write. An image that cannot be processed is left out and named in
/// `media.refused`.
async fn copy_media(
    store: &Store,
    staging: &Path,
    batches: &[(i64, i64)],
    media: &mut CopiedMedia,
    stop: &Stop,
    writes: &mut Writes,
) -> anyhow::Result<()> {
    for &(from, to) in batches {
        if stop.requested() {
            bail!(INTERRUPTED);
        }
        let staged = live::staged_media(staging, from, to).await.context("reading the staged media")?;
        let mut files = Vec::with_capacity(staged.len());
        let mut set = tokio::task::JoinSet::new();
        for (i, row) in staged.into_iter().enumerate() {
            set.spawn(async move { (i, processed(row).await) });
        }
        let mut done = Vec::with_capacity(set.len());
        while let Some(joined) = set.join_next().await {
            done.push(joined.context("processing an imported file")?);
        }
        done.sort_by_key(|(i, _)| *i);
        for (_, result) in done {
            match result {
                Ok(file) => files.push(file),
                Err(refused) => media.refused.push(refused),
            }
        }
        if stop.requested() {
            bail!(INTERRUPTED);
        }
        let added = timed(writes, crate::store::media::insert_imported(store, &files))
            .await
            .context("copying media into the database")?;
        media.copied += files.iter().filter(|f| added.contains(&f.upload.file.path)).count();
        media.added.extend(added);
        tokio::time::sleep(PAUSE).await;
    }
    Ok(())
}

/// Gives the images in the staged posts that the library has sizes of (those just
/// copied, and those an earlier import brought) their `srcset`, `width` and
/// `height`, as the editor does when a post is saved.
async fn responsive_bodies(store: &Store, staging: &mut Staging) -> anyhow::Result<()> {
    let mut known: HashMap<String, Option<crate::store::media::Responsive>> = HashMap::new();
    for (seq, body) in staging.posts_showing_media().await.context("reading the staged posts")? {
        let mut images = HashMap::new();
        for path in crate::domain::responsive::media_paths(&body) {
            if !known.contains_key(&path) {
                let found = crate::store::media::responsive_by_path(store, &path).await?;
                known.insert(path.clone(), found);
            }
            if let Some(Some(image)) = known.get(&path) {
                images.insert(path, image.clone());
            }
        }
        if images.is_empty() {
            continue;
        }
        let html = crate::domain::markdown::SafeHtml::trusted(body);
        let rewritten = crate::domain::responsive::rewrite(&html, &images);
        staging.set_post_body(seq, rewritten.as_str()).await.context("writing the staged posts")?;
    }
    Ok(())
}

/// Gives each new post that names a featured image (`_thumbnail_id`) the library
/// image imported as that attachment (now or by an earlier import), if it is one
/// that can be featured; the lines of those left without are noted in `media`.
async fn featured_images(store: &Store, staging: &mut Staging, media: &mut CopiedMedia) -> anyhow::Result<()> {
    let wanted = staging.featured_wanted().await.context("reading the staged posts")?;
    let mut wp_ids: Vec<i64> = wanted.iter().map(|(_, _, wp_id)| *wp_id).collect();
    wp_ids.sort_unstable();
    wp_ids.dedup();
    let known = crate::store::featured::choosable_by_wp_ids(store, &wp_ids).await?;
    for (seq, line, wp_id) in wanted {
        let found = known.get(&wp_id).copied();
        if found.is_none() {
            media.unfeatured.push(u64::try_from(line).unwrap_or(0));
        }
        staging.set_featured(seq, found).await.context("writing the staged posts")?;
    }
    Ok(())
}

/// The media an import copied.
#[derive(Debug, Default)]
struct CopiedMedia {
    /// Every path added (files and their variants), to take back if the import fails.
    added: Vec<String>,
    /// Files added (not counting variants).
    copied: usize,
    /// Files left out: the path, and why.
    refused: Vec<(String, String)>,
    /// The lines of the new posts whose featured image was not imported.
    unfeatured: Vec<u64>,
}

/// The limits an imported file is processed under: the import's own size limit,
/// and the default pixel limit of uploads (a decompression bomb is refused here too).
fn import_limits() -> crate::media::Limits {
    crate::media::Limits { max_file_bytes: super::stage::MAX_MEDIA_BYTES, ..crate::media::Limits::default() }
}

/// A staged file made ready to store: the types hewn recognises are processed as
/// uploads are (an image is re-encoded without metadata and gets its variants);
/// others that WordPress allowed (a ZIP, a document, plain text) are kept as they
/// are, served as downloads unless they are passive types.
async fn processed(row: crate::store::postgres::import::MediaRow) -> Result<ImportedFile, (String, String)> {
    let name = row.path.rsplit('/').next().unwrap_or(&row.path).to_owned();
    let crate::store::postgres::import::MediaRow { path, content_type, title, alt, created_at, wp_id, bytes, .. } = row;
    let mut upload = if crate::media::sniff(&bytes).is_ok() {
        let done = crate::media::process_bounded(bytes, import_limits(), false)
            .await
            .map_err(|refusal| (path.clone(), refusal.message().to_owned()))?;
        crate::store::media::new_upload(name, done, Some(path))
    } else {
        let sha256 = crate::domain::sha256_hex(&bytes);
        NewUpload {
            file: NewFile { path, content_type, sha256, bytes },
            name,
            title: String::new(),
            size: None,
            variants: Vec::new(),
        }
    };
    upload.title = title;
    Ok(ImportedFile { upload, alt, wp_id, created_at })
}

/// Writes the plan: the new tags, the new posts hidden in short writes sized to
/// [`WRITE_TARGET`], then one write that shows them all. `Ok(false)` when the site
/// changed something the plan relies on meanwhile (a slug taken, a post or comment
/// it refers to deleted): everything written was taken back, and the caller plans
/// again. Any other failure (or a stop) also takes everything back, then returns
/// the error. The staging database is open on the writer connection.
async fn publish(
    store: &Store,
    staging: &mut Staging,
    reservation: &Reservation,
    stop: &Stop,
    writes: &mut Writes,
) -> anyhow::Result<bool> {
    let posts = &staging.new_posts().await?;
    let path = staging.path();
    let tags = timed(writes, live::add_tags(store, path)).await?;
    let mut done = Vec::new();
    let written = write_hidden(store, path, reservation, posts, stop, writes, &mut done).await;
    let hidden = posts.len() as u64;
    let finished = match written {
        Ok(()) => timed(writes, live::finish(store, path, reservation, hidden)).await.map_err(anyhow::Error::from),
        Err(e) => Err(e),
    };
    let Err(e) = finished else {
        // The spam filter starts with the site's own labels: approved is ham, spam is
        // spam. A failure here leaves the import in place (`hewn spam retrain` redoes it).
        match crate::store::spam::learn_imported(store).await {
            Ok(n) => tracing::info!(comments = n, "the spam filter learnt the imported comments"),
            Err(e) => tracing::warn!(error = %e, "the spam filter could not learn the imported comments"),
        }
        return Ok(true);
    };
    take_back(store, &done, &tags).await;
    if e.downcast_ref::<sqlx::Error>().is_some_and(changed_meanwhile) {
        tracing::debug!("an import write failed: {e}");
        return Ok(false);
    }
    Err(e.context("writing the import into the database (nothing of it was kept)"))
}

/// The hidden writes, each of a few posts, sized so each holds the lock about
/// [`WRITE_TARGET`]; `done` collects the ids of the posts of each write made.
async fn write_hidden(
    store: &Store,
    staging: &Path,
    reservation: &Reservation,
    posts: &[(i64, i64)],
    stop: &Stop,
    writes: &mut Writes,
    done: &mut Vec<Vec<i64>>,
) -> anyhow::Result<()> {
    let mut budget = FIRST_WRITE;
    let mut rest = posts;
    while !rest.is_empty() {
        if stop.requested() {
            bail!(INTERRUPTED);
        }
        let mut weight = 0;
        let mut n = 0;
        while let Some(&next) = rest.get(n)
            && (n == 0 || weight + weigh(next) <= budget)
        {
            weight += weigh(next);
            n += 1;
        }
        let (batch, later) = rest.split_at(n.min(rest.len()));
        let seqs: Vec<i64> = batch.iter().map(|(seq, _)| *seq).collect();
        rest = later;
        let started = Instant::now();
        done.push(timed(writes, live::publish_hidden(store, staging, reservation, &seqs)).await?);
        let held = started.elapsed();
        // Size the next write from this one's pace, changing by at most half or double.
        let pace = held.as_secs_f64() / weight.max(1) as f64;
        let fits = (WRITE_TARGET.as_secs_f64() / pace.max(1e-9)) as u64;
        budget = fits.clamp(budget / 2, budget * 2).max(POST_WEIGHT);
        // The pause is spent copying this write into the database file.
        let paused = Instant::now();
        live::checkpoint(store).await;
        tokio::time::sleep(PAUSE.saturating_sub(paused.elapsed())).await;
    }
    Ok(())
}

fn weigh((_, comments): (i64, i64)) -> u64 {
    POST_WEIGHT + u64::try_from(comments).unwrap_or(0)
}

/// Runs one write, counting it and how long it took.
async fn timed<T>(
    writes: &mut Writes,
    write: impl Future<Output = crate::store::Result<T>>,
) -> crate::store::Result<T> {
    let started = Instant::now();
    let result = write.await;
    writes.count += 1;
    writes.longest = writes.longest.max(started.elapsed());
    result
}

/// Takes back the hidden writes `done` and the tags added, in as many short writes.
async fn take_back(store: &Store, done: &[Vec<i64>], tags: &[i64]) {
    for ids in done.iter().rev() {
        if let Err(e) = live::remove_hidden(store, ids).await {
            tracing::error!("taking back the posts a failed import wrote hidden: {e}");
        }
        tokio::time::sleep(PAUSE).await;
    }
    if let Err(e) = live::remove_tags(store, tags).await {
        tracing::error!("removing the tags a failed import added: {e}");
    }
}

/// True for the failures a change made by the site meanwhile explains: a slug or
/// number taken, or a post, comment or user the plan refers to removed.
fn changed_meanwhile(e: &sqlx::Error) -> bool {
    use sqlx::error::ErrorKind;
    match e {
        sqlx::Error::Database(db) => matches!(db.kind(), ErrorKind::UniqueViolation | ErrorKind::ForeignKeyViolation),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reservation_is_abandoned_when_old_or_when_its_process_is_gone() {
        let now = crate::domain::now();
        let mine = live::reserver();
        assert!(at_work(&mine, now, now), "{mine}");
        assert!(!at_work(&mine, now - ABANDONED_AFTER - 1, now));
        if !live::process_namespace().is_empty() {
            let gone = format!("{}{} in {}", live::RESERVED_BY, u32::MAX - 1, live::process_namespace());
            assert!(!at_work(&gone, now, now), "no such process here");
        }
        // Another namespace's process id means nothing here: only its last write tells.
        let elsewhere = format!("{}{} in pid:[1]", live::RESERVED_BY, u32::MAX - 1);
        assert!(at_work(&elsewhere, now, now));
    }
}
