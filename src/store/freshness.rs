//! Whether public content changed, and when: the data generation the page cache and
//! the HTTP validators key on, when public content last changed (`Last-Modified`),
//! and when it will next change with no write at all.
//!
//! **Exact and cheap.** A new generation starts when
//! - something a reader can see changed, in this process or another one sharing the
//!   database: triggers on the public tables bump `site_state.version` in the
//!   transaction of the write (see `site`), so a failed login, a session touched or
//!   a held comment leave the generation alone, and an operator's `sqlite3` edit to
//!   a post does not. To know when to look, SQLite bumps a change counter in the WAL
//!   index (the `-shm` file) on every commit, and [`Freshness`] reads that 96-byte
//!   header with one `pread` per request; only when it moved does it read the
//!   version, and only when the version moved does the generation end;
//! - the clock passes the next moment public pages change on their own: a scheduled
//!   post coming due, or (with `close_after_days`) a post's comment form closing.
//!
//! So a visible write, a scheduled post going live and comments closing all show on
//! the very next request, on every instance.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::db::PooledConn;
use super::{Result, Store, site};
use crate::with_db;

/// The site's data generation as a request sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// Changes whenever any public page may have changed.
    pub generation: u64,
    /// When public content last changed (for `Last-Modified`).
    pub last_modified: i64,
}

/// Tracks the data generation cheaply (see the module documentation); one per
/// [`Store`], shared by its clones.
#[derive(Debug)]
pub struct Freshness {
    /// The database's WAL index, when there is one to read.
    shm: Option<super::sqlite::WalIndex>,
    state: Mutex<FreshState>,
    /// Without a WAL index (PostgreSQL), the shared reading of the data version.
    probe: Probe,
}

/// Readings of the data version shared by every request that arrived before they
/// started (PostgreSQL, where nothing local tells of other instances' commits).
///
/// A request needs a reading that *started after it arrived*: only that one is sure
/// to see every write acknowledged before the request came (by this instance or any
/// other). One task per instance, the prober, makes the readings one after another
/// while requests want them: a request asks for one and waits until a reading with a
/// higher number than it saw on arrival has finished; every request that arrived
/// while a reading ran is answered by the next one, all woken at once. The cost is
/// at most one query per round trip per instance, whatever the traffic, and a
/// request waits at most two round trips.
///
/// The readings run on one reader connection the prober keeps (when the pool has
/// more than one), so a reading never waits behind the pages' own reads for a
/// connection.
#[derive(Debug)]
struct Probe {
    /// Readings started so far; a reading's number is this count after it started.
    started: AtomicU64,
    /// Set by a request that needs a reading, taken by the prober as it starts one.
    wanted: AtomicBool,
    /// Wakes the prober.
    wake: tokio::sync::Notify,
    /// The last reading to finish.
    done: tokio::sync::watch::Sender<Reading>,
    /// Set once the prober task runs.
    running: AtomicBool,
    /// Set when the store closes: the prober gives its connection back and ends
    /// (closing the pool waits for every connection to come back).
    closing: AtomicBool,
    /// Set once the prober ended, after it gave its connection back.
    ended: AtomicBool,
    /// Wakes [`Probe::release`] when the prober ended.
    released: tokio::sync::Notify,
}

/// A finished reading: its number (see [`Probe::started`]) and what it read, or why
/// it failed.
#[derive(Debug, Clone, Default)]
struct Reading {
    number: u64,
    state: Option<std::result::Result<site::SiteState, Arc<str>>>,
}

impl Default for Probe {
    fn default() -> Self {
        Self {
            started: AtomicU64::new(0),
            wanted: AtomicBool::new(false),
            wake: tokio::sync::Notify::new(),
            done: tokio::sync::watch::Sender::new(Reading::default()),
            running: AtomicBool::new(false),
            closing: AtomicBool::new(false),
            ended: AtomicBool::new(false),
            released: tokio::sync::Notify::new(),
        }
    }
}

impl Probe {
    /// The data version as read by a reading that started after this call.
    async fn read(&self, store: &Store) -> Result<site::SiteState> {
        let arrived = self.started.load(Ordering::Acquire);
        let mut done = self.done.subscribe();
        // Stored after `arrived` was read: the prober's next reading takes this flag
        // before it counts itself, so its number is above `arrived`.
        let asked = self.wanted.swap(true, Ordering::AcqRel);
        if !self.running.swap(true, Ordering::SeqCst) {
            if self.closing.load(Ordering::SeqCst) {
                self.running.store(false, Ordering::SeqCst);
                return site::state(store).await;
            }
            tokio::spawn(prober(store.clone()));
        }
        if !asked {
            self.wake.notify_one();
        }
        let reading = done
            .wait_for(|r| r.number > arrived)
            .await
            .map_err(|_| sqlx::Error::Io(std::io::Error::other("the data version reader stopped")))?;
        match &reading.state {
            Some(Ok(state)) => Ok(*state),
            Some(Err(e)) => Err(sqlx::Error::Io(std::io::Error::other(format!("reading the data version: {e}")))),
            None => Err(sqlx::Error::Io(std::io::Error::other("the data version was not read"))),
        }
    }

    /// Ends the prober and waits until it gave its connection back (the store is
    /// closing).
    async fn release(&self) {
        let released = self.released.notified();
        tokio::pin!(released);
        released.as_mut().enable();
        self.closing.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        if self.running.load(Ordering::SeqCst) && !self.ended.load(Ordering::SeqCst) {
            released.await;
        }
    }
}

/// The prober (see [`Probe`]): makes one reading after another while requests want
/// them, on a reader connection it keeps.
async fn prober(store: Store) {
    let probe = &store.freshness.probe;
    let _ended = Ended(probe);
    let mut kept: Option<PooledConn> = None;
    loop {
        if probe.closing.load(Ordering::SeqCst) {
            break;
        }
        // The requests the last reading woke run first, and those arriving
        // meanwhile join the next reading: fewer readings for the same answers.
        tokio::task::yield_now().await;
        if !probe.wanted.swap(false, Ordering::AcqRel) {
            probe.wake.notified().await;
            continue;
        }
        let number = probe.started.fetch_add(1, Ordering::AcqRel) + 1;
        let state = reading(&mut kept, &store).await.map_err(|e| {
            tracing::warn!(error = %e, "reading the data version");
            Arc::<str>::from(e.to_string())
        });
        probe.done.send_replace(Reading { number, state: Some(state) });
    }
}

/// Marks the prober ended however it ends (the store closing, or its runtime
/// shutting down): whoever still waits for a reading, or comes later, is told the
/// store closed, and [`Probe::release`] stops waiting. Its connection is given back
/// before (dropped earlier in the prober).
struct Ended<'a>(&'a Probe);

impl Drop for Ended<'_> {
    fn drop(&mut self) {
        let closed = Err(Arc::<str>::from("the store is closing"));
        self.0.done.send_replace(Reading { number: u64::MAX, state: Some(closed) });
        self.0.ended.store(true, Ordering::SeqCst);
        self.0.released.notify_waiters();
    }
}

/// One reading, on the kept connection (taken from the readers' pool first if none
/// is kept and the pool has another for everything else).
async fn reading(kept: &mut Option<PooledConn>, store: &Store) -> Result<site::SiteState> {
    let pool = store.read_pool();
    if kept.is_none() && pool.max_connections() > 1 {
        *kept = Some(pool.acquire().await?);
    }
    let Some(conn) = kept.as_mut() else {
        return site::state(store).await;
    };
    let state = site::state_on(conn.conn()?).await;
    match state {
        Ok(_) => conn.finished(),
        // Closed (a failed statement's connection is not kept); the next reading
        // takes a connection again.
        Err(_) => *kept = None,
    }
    state
}

#[derive(Debug, Default)]
struct FreshState {
    /// The WAL index header and this process's write count when last checked.
    fingerprint: Option<([u8; 96], u64)>,
    version: Option<i64>,
    generation: u64,
    last_modified: i64,
    /// The generation ends at this unix time (a scheduled post, comments closing).
    valid_until: Option<i64>,
}

impl Freshness {
    /// Watches the database at `database_url`: a SQLite file's WAL index when there
    /// is one; with none (PostgreSQL), every request reads the version.
    pub(super) fn new(database_url: &str) -> Self {
        Self {
            shm: super::sqlite::WalIndex::open(database_url),
            state: Mutex::new(FreshState::default()),
            probe: Probe::default(),
        }
    }

    /// The current generation if nothing moved since it was read: one `pread`, no
    /// waiting. `None` when it has to be read again ([`Freshness::current`]).
    fn unchanged(&self, store: &Store) -> Option<Snapshot> {
        self.cached(self.fingerprint(store).as_ref(), store.now())
    }

    /// The current generation. Costs one `pread` when nothing committed; one query
    /// for the data version when something did; and when that moved (or the clock
    /// passed the next timed change), also reads the next and last public change.
    async fn current(&self, store: &Store) -> Result<Snapshot> {
        let now = store.now();
        // The fingerprint is taken before the version is read: a commit in between
        // moves the fingerprint again, so it is never paired with an older version.
        let fingerprint = self.fingerprint(store);
        if let Some(snapshot) = self.cached(fingerprint.as_ref(), now) {
            return Ok(snapshot);
        }
        let state = if self.shm.is_some() { site::state(store).await? } else { self.probe.read(store).await? };
        if let Some(snapshot) = self.same_version(fingerprint, state.version, now) {
            return Ok(snapshot);
        }
        let settings = super::settings::load_values(store).await?;
        let close_after = settings.discussion.close_after_days;
        let next = next_public_change(store, now, close_after).await?;
        let last_modified = last_public_change(store, now, close_after).await?;
        let mut fresh = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let expired = fresh.valid_until.is_some_and(|t| now >= t);
        if fresh.version != Some(state.version) || expired || fresh.last_modified != last_modified {
            fresh.generation += 1;
        }
        fresh.version = Some(state.version);
        fresh.last_modified = last_modified;
        fresh.valid_until = next;
        fresh.fingerprint = fingerprint;
        Ok(Snapshot { generation: fresh.generation, last_modified })
    }

    /// The generation still current after a commit that left the data version at
    /// `version` (one no reader can see): the new fingerprint is remembered, so the
    /// next requests are answered from memory again.
    fn same_version(&self, fingerprint: Option<([u8; 96], u64)>, version: i64, now: i64) -> Option<Snapshot> {
        let mut fresh = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let in_time = fresh.valid_until.is_none_or(|t| now < t);
        if fresh.version != Some(version) || !in_time {
            return None;
        }
        fresh.fingerprint = fingerprint;
        Some(Snapshot { generation: fresh.generation, last_modified: fresh.last_modified })
    }

    /// The generation still current, if nothing moved since it was read.
    fn cached(&self, fingerprint: Option<&([u8; 96], u64)>, now: i64) -> Option<Snapshot> {
        let fresh = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let unchanged = fingerprint.is_some() && fresh.fingerprint.as_ref() == fingerprint;
        let in_time = fresh.valid_until.is_none_or(|t| now < t);
        (unchanged && in_time && fresh.version.is_some())
            .then_some(Snapshot { generation: fresh.generation, last_modified: fresh.last_modified })
    }

    /// The WAL index header (both copies: while a writer updates them they differ,
    /// and the read counts as a change) and this process's write count. `None` when
    /// the header cannot be read, which makes every request read the version.
    fn fingerprint(&self, store: &Store) -> Option<([u8; 96], u64)> {
        let header = self.shm.as_ref()?.header()?;
        Some((header, store.local_writes()))
    }
}

impl Store {
    /// The data generation if nothing committed since it was last read: one `pread`,
    /// no waiting (the page cache's hit path). `None` when it has to be read
    /// ([`Store::snapshot`]).
    pub fn unchanged_snapshot(&self) -> Option<Snapshot> {
        self.freshness.unchanged(self)
    }

    /// The current data generation and the time public content last changed.
    pub async fn snapshot(&self) -> Result<Snapshot> {
        self.freshness.current(self).await
    }

    /// Gives back the reader connection the version readings keep, before the
    /// readers' pool closes.
    pub(super) async fn release_probe(&self) {
        self.freshness.probe.release().await;
    }
}

/// Seconds in a day, for `close_after_days`.
const DAY: i64 = 24 * 60 * 60;

/// The unix time at which the public content last changed, never after `now`.
/// `close_after_days` is the discussion setting (0 when comments never close by age).
pub async fn last_public_change(store: &Store, now: i64, close_after_days: u32) -> Result<i64> {
    let state = site::state(store).await?;
    let due: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
        "select max(p.published_at) from posts p \
         where p.kind in ('post', 'page') and p.status in ('published', 'scheduled') and p.published_at <= $1",
    )
    .bind(now)
    .fetch_one(db)
    .await)?;
    let mut last = state.changed_at.max(due.unwrap_or(0));
    if close_after_days > 0 {
        let span = i64::from(close_after_days) * DAY;
        let closed: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
            "select max(p.published_at) from posts p \
             where p.kind = 'post' and p.status in ('published', 'scheduled') and p.published_at <= $1",
        )
        .bind(now - span)
        .fetch_one(db)
        .await)?;
        last = last.max(closed.map_or(0, |t| t + span));
    }
    Ok(last.min(now))
}

/// The next unix time after `now` at which public pages change with no write: a
/// scheduled post coming due, or a post's comments closing by age. `None` when
/// nothing is due.
pub async fn next_public_change(store: &Store, now: i64, close_after_days: u32) -> Result<Option<i64>> {
    let due: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
        "select min(p.published_at) from posts p \
         where p.kind in ('post', 'page') and p.status in ('published', 'scheduled') and p.published_at > $1",
    )
    .bind(now)
    .fetch_one(db)
    .await)?;
    let closing = if close_after_days > 0 {
        let span = i64::from(close_after_days) * DAY;
        let next: Option<i64> = with_db!(store.reader(), db => sqlx::query_scalar(
            "select min(p.published_at) from posts p \
             where p.kind = 'post' and p.status in ('published', 'scheduled') and p.published_at > $1",
        )
        .bind(now - span)
        .fetch_one(db)
        .await)?;
        next.map(|t| t + span)
    } else {
        None
    };
    Ok(match (due, closing) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}
