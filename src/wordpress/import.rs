//! `hewn import wordpress FILE`: reads the export into a staging database (streaming,
//! on a thread of its own), matches it against the live site, copies media in small
//! writes, then copies everything else in one short write. A file that cannot be
//! read changes nothing; importing the same file again changes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::input::{self, Decoded};
use super::progress::Progress;
use super::report::{Report, Tally};
use super::stage::{Counters, Row, Stager, render};
use super::summary::summary;
use super::uploads::Uploads;
use super::wxr::{self, ReadError};
use crate::config::transfer::{ImportArgs, ImportFormat};
use crate::config::{Cli, DatabaseConfig};
use crate::store::Store;
use crate::store::import::{self as live, Swap};
use crate::store::staging::{self, Plan, Staged, Staging};

/// Batches of rows waiting between the reading, rendering and writing threads.
const RENDER_QUEUE: usize = 8;
/// Most threads that render comments.
const MAX_RENDER_THREADS: usize = 4;
/// Media copied per write before the swap (so no single write holds the lock long).
const MEDIA_BATCH_BYTES: i64 = 16 * 1024 * 1024;
/// Times the swap is retried when the site changed since the plan was made, before
/// planning again while holding the write lock.
const OPTIMISTIC_ATTEMPTS: u32 = 4;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub uploads: Option<PathBuf>,
    pub dry_run: bool,
    pub progress: bool,
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub report: Report,
    pub plan: Plan,
    /// How long the final write held the database's write lock (`None` if nothing was written).
    pub lock_held: Option<Duration>,
    pub media_copied: usize,
    pub elapsed: Duration,
    /// Time spent reading the file into the staging database.
    pub reading: Duration,
    pub dry_run: bool,
}

/// `hewn import ...`.
pub async fn run(cli: &Cli, args: &ImportArgs) -> anyhow::Result<()> {
    let ImportFormat::Wordpress(args) = &args.format;
    let database = DatabaseConfig::from_cli(&cli.database_url, cli.sqlite_synchronous)?;
    let options = Options { uploads: args.uploads.clone(), dry_run: args.dry_run, progress: !args.quiet };
    // Ctrl-C or SIGTERM stops the import; the live write is one transaction, so the
    // database then has all of the import or none of it. The handlers are installed
    // before anything is written, so no signal can kill the process half-way.
    let mut stop = Interruption::listen()?;
    let outcome = tokio::select! {
        outcome = import_file(&database, &args.file, &options) => outcome?,
        () = stop.wait() => bail!("interrupted: the import was stopped (the database has all of it or none of it)"),
    };
    print!("{}", summary(&outcome));
    Ok(())
}

/// Ctrl-C and SIGTERM, caught.
struct Interruption {
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Interruption {
    fn listen() -> anyhow::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt()).context("listening for Ctrl-C")?;
            let terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
            Ok(Self { signals: (interrupt, terminate) })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.signals.0.recv() => {},
            _ = self.signals.1.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
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
    let live_path = staging::database_file(&database.url)?;
    let meta = std::fs::metadata(file).with_context(|| format!("reading {}", file.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", file.display());
    }
    let uploads = match &options.uploads {
        Some(dir) if dir.is_dir() => Some(Uploads::new(dir.clone())),
        Some(dir) => bail!("the uploads folder {} does not exist", dir.display()),
        None => None,
    };
    let staging_path = staging_file(&live_path);
    let _cleanup = RemoveOnDrop(staging_path.clone());
    let mut staging = Staging::create(&staging_path).await?;
    let result = async {
        let report = read_into(&mut staging, file, meta.len(), uploads, options.progress).await?;
        let reading = started.elapsed();
        // A dry run against a database that does not exist yet plans against an empty
        // one, made beside the staging file and removed after, and creates nothing.
        let scratch = (options.dry_run && !live_path.exists()).then(|| staging_path.with_extension("dry-run"));
        let (database, live_path) = match &scratch {
            Some(path) => {
                let url = format!("sqlite://{}", path.display());
                (DatabaseConfig::from_cli(&url, database.synchronous)?, path.clone())
            }
            None => (database.clone(), live_path.clone()),
        };
        let store = Store::open(&database).await?;
        let result = apply(&store, &mut staging, &live_path, options.dry_run).await;
        store.close().await;
        if let Some(path) = &scratch {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
        let (plan, lock_held, media_copied) = result?;
        let elapsed = started.elapsed();
        Ok(Outcome { report, plan, lock_held, media_copied, elapsed, reading, dry_run: options.dry_run })
    }
    .await;
    staging.discard().await;
    result
}

/// `hewn.db` → `hewn.db.import-PID` beside it (same disk, same permissions).
fn staging_file(live: &Path) -> PathBuf {
    let name = live.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "hewn.db".to_owned());
    live.with_file_name(format!("{name}.import-{}", std::process::id()))
}

/// Streams `file` through the WXR reader into `staging`.
async fn read_into(
    staging: &mut Staging,
    file: &Path,
    size: u64,
    uploads: Option<Uploads>,
    progress: bool,
) -> anyhow::Result<Report> {
    let opened = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut decoded = Decoded::new(opened);
    let counters = Arc::new(Counters::default());
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
        let result = wxr::read(&mut decoded, &mut stager);
        let flushed = stager.flush();
        (result, flushed, stager.report, decoded.replaced())
    });
    let mut staging_error = None;
    let mut waiting: BTreeMap<u64, Vec<Staged>> = BTreeMap::new();
    let mut next = 0;
    'receive: while let Some((n, rows)) = rx.recv().await {
        waiting.insert(n, rows);
        while let Some(rows) = waiting.remove(&next) {
            if let Err(e) = staging.insert(rows).await {
                staging_error = Some(e);
                break 'receive;
            }
            next += 1;
        }
    }
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
            bail!("{}: line {line}: {message}; nothing was imported", file.display());
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

/// Plans against the live site and (unless a dry run) writes.
async fn apply(
    store: &Store,
    staging: &mut Staging,
    live_path: &Path,
    dry_run: bool,
) -> anyhow::Result<(Plan, Option<Duration>, usize)> {
    live::prepare(store).await?;
    let planning = Instant::now();
    let plan = staging.resolve(live_path).await?;
    tracing::debug!(seconds = planning.elapsed().as_secs_f64(), "matched the export against the site");
    if dry_run || plan.is_empty() {
        return Ok((plan, None, 0));
    }
    let mut added = Vec::new();
    let copied = copy_media(store, staging.path(), &mut added).await;
    // Copying media changed the site, so the plan is made again; otherwise it still holds
    // (the swap checks that nothing changed meanwhile).
    let first = added.is_empty().then(|| plan.clone());
    let swapped = match copied {
        Ok(()) => swap(store, staging, live_path, first).await,
        Err(e) => Err(e),
    };
    match swapped {
        Ok((mut final_plan, held)) => {
            // The final plan finds the media already copied; report the first plan's view.
            final_plan.new_media = plan.new_media;
            final_plan.existing_media = plan.existing_media;
            final_plan.media_bytes = plan.media_bytes;
            let plan = final_plan;
            live::checkpoint(store).await;
            Ok((plan, Some(held), added.len()))
        }
        Err(e) => {
            if let Err(cleanup) = live::remove_media(store, &added).await {
                tracing::error!("removing the media this failed import added: {cleanup}");
            }
            Err(e)
        }
    }
}

async fn copy_media(store: &Store, staging: &Path, added: &mut Vec<String>) -> anyhow::Result<()> {
    for (from, to) in live::media_batches(store, staging, MEDIA_BATCH_BYTES).await? {
        added.extend(live::copy_media(store, staging, from, to).await.context("copying media into the database")?);
    }
    Ok(())
}

/// Plans and swaps, retrying while the site keeps changing; the last attempt plans
/// while holding the write lock, so it cannot be overtaken.
async fn swap(
    store: &Store,
    staging: &mut Staging,
    live_path: &Path,
    mut plan: Option<Plan>,
) -> anyhow::Result<(Plan, Duration)> {
    for attempt in 0..OPTIMISTIC_ATTEMPTS {
        let plan = match plan.take() {
            Some(p) => p,
            None => {
                let planning = Instant::now();
                let p = staging.resolve(live_path).await?;
                tracing::debug!(seconds = planning.elapsed().as_secs_f64(), "planned the write again");
                p
            }
        };
        match live::swap(store, staging.path(), plan.version).await.context("copying the import into the database")? {
            Swap::Done { held } => return Ok((plan, held)),
            Swap::Stale => {
                tracing::info!(attempt, "the site changed while the import was planned; planning again");
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
        }
    }
    let path = staging.path().to_owned();
    let (held, plan) = live::swap_planning_inside(store, &path, async || staging.resolve(live_path).await).await?;
    Ok((plan, held))
}
