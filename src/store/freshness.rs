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

use std::sync::Mutex;

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

/// One reading of the data version shared by every request that arrived before it
/// started (PostgreSQL, where nothing local tells of other instances' commits).
///
/// A request needs a reading that *started after it arrived*: only that one is sure
/// to see every write acknowledged before the request came (by this instance or any
/// other). So at most one reading is in flight per instance; a request that arrives
/// while one runs waits for the next, which starts as soon as the requests the
/// running one woke were answered. The cost is at most one query per round trip per
/// instance, whatever the traffic, and a request waits at most two round trips.
///
/// The readings run one after another in a task of their own while requests want
/// them, and a reading's end wakes all its requests at once (both workers can serve
/// them while the next reading is out): handing the reading from request to request
/// would serve them one by one and start the next reading only after the last.
/// They run on one reader connection the probe keeps (when the pool has more than
/// one), so a reading never waits behind the pages' own reads for a connection.
#[derive(Debug, Default)]
struct Probe {
    readings: Mutex<Readings>,
    /// Woken when an even-numbered reading ends, and an odd-numbered one (a request
    /// waits for the running reading or the one after it, never a later one).
    even_ended: tokio::sync::Notify,
    odd_ended: tokio::sync::Notify,
}

/// The readings so far, numbered from 1 in the order they started.
#[derive(Debug, Default)]
struct Readings {
    /// How many started; the running one, if any, has this number.
    started: u64,
    /// The highest number a waiting request needs.
    wanted: u64,
    /// The number of the last reading to end, and what it read.
    done: u64,
    outcome: Option<std::result::Result<site::SiteState, String>>,
    /// True while the task running the readings exists.
    running: bool,
    /// A reader kept for the readings (out of here while a reading runs on it).
    conn: Option<PooledConn>,
    /// Set when the store closes: no connection is kept any more (closing the pool
    /// waits for every connection to come back), and no reading starts.
    closing: bool,
}

impl Probe {
    fn lock(&self) -> std::sync::MutexGuard<'_, Readings> {
        self.readings.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What wakes the requests waiting for reading `number`.
    fn ended(&self, number: u64) -> &tokio::sync::Notify {
        if number.is_multiple_of(2) { &self.even_ended } else { &self.odd_ended }
    }

    /// The data version as read by a reading that started after this call.
    async fn read(&self, store: &Store) -> Result<site::SiteState> {
        // The first reading that may serve this request, set at the first look.
        let mut need = None;
        loop {
            let ended = {
                let mut readings = self.lock();
                let need = *need.get_or_insert(readings.started + 1);
                if readings.done >= need
                    && let Some(outcome) = &readings.outcome
                {
                    // The last reading to end started after this request arrived
                    // (its number is at least `need`).
                    return outcome.clone().map_err(|e| sqlx::Error::Io(std::io::Error::other(e)));
                }
                if readings.closing {
                    None
                } else {
                    readings.wanted = readings.wanted.max(need);
                    if !readings.running {
                        readings.running = true;
                        tokio::spawn(Self::run(store.clone()));
                    }
                    // Made while the lock is held, so it cannot miss the reading's end.
                    Some(self.ended(need).notified())
                }
            };
            match ended {
                Some(ended) => ended.await,
                None => return Box::pin(site::state(store)).await,
            }
        }
    }

    /// Runs readings, one after another, while a request wants a newer one.
    async fn run(store: Store) {
        let mut task = Prober { store, running: true };
        let store = &task.store;
        let probe = &store.freshness.probe;
        loop {
            // Let the requests the last reading woke be answered first: the requests
            // their connections send meanwhile then share the next reading (half the
            // readings for as many requests answered, measured with `bench/`).
            tokio::task::yield_now().await;
            let (number, mut conn) = {
                let mut readings = probe.lock();
                if readings.closing || readings.wanted <= readings.done {
                    readings.running = false;
                    task.running = false;
                    return;
                }
                readings.started += 1;
                (readings.started, readings.conn.take())
            };
            let outcome = Self::reading(&mut conn, store).await.map_err(|e| {
                tracing::warn!(error = %e, "reading the data version failed");
                format!("reading the data version failed: {e}")
            });
            {
                let mut readings = probe.lock();
                readings.done = number;
                readings.outcome = Some(outcome);
                if !readings.closing {
                    readings.conn = conn;
                }
            }
            probe.ended(number).notify_waiters();
        }
    }

    /// One reading, on the kept connection (taken from the readers' pool first if
    /// none is kept and the pool has another for everything else).
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
            // Closed (a failed statement's connection is not kept); the next
            // reading takes a connection again.
            Err(_) => *kept = None,
        }
        state
    }

    /// Gives the kept connection back to the pool, for good (the store is closing);
    /// a reading running now gives its connection back when it ends. Requests waiting
    /// for a reading that will not start read the version themselves.
    fn release(&self) {
        let conn = {
            let mut readings = self.lock();
            readings.closing = true;
            readings.conn.take()
        };
        drop(conn);
        self.wake_all();
    }

    /// Wakes every waiting request, to look again.
    fn wake_all(&self) {
        self.even_ended.notify_waiters();
        self.odd_ended.notify_waiters();
    }
}

/// The task running the readings. Dropped without ending on its own (a panic, or
/// its runtime shutting down mid-reading), it says so and wakes the requests
/// waiting, which start another.
struct Prober {
    store: Store,
    /// True until the task ends on its own (which clears the flag under the lock).
    running: bool,
}

impl Drop for Prober {
    fn drop(&mut self) {
        if self.running {
            let probe = &self.store.freshness.probe;
            probe.lock().running = false;
            probe.wake_all();
        }
    }
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
        if self.shm.is_some() {
            // Boxed: on SQLite this runs only after a commit, and its state would
            // make every PostgreSQL request's future larger.
            return Box::pin(self.current_indexed(store, now)).await;
        }
        // Every request on PostgreSQL comes here: its future holds little more than
        // the wait for the reading.
        let state = self.probe.read(store).await?;
        if let Some(snapshot) = self.same_version(None, state.version, now) {
            return Ok(snapshot);
        }
        Box::pin(self.renew(store, now, None, state.version)).await
    }

    /// [`Freshness::current`] with a WAL index to fingerprint.
    async fn current_indexed(&self, store: &Store, now: i64) -> Result<Snapshot> {
        // The fingerprint is taken before the version is read: a commit in between
        // moves the fingerprint again, so it is never paired with an older version.
        let fingerprint = self.fingerprint(store);
        if let Some(snapshot) = self.cached(fingerprint.as_ref(), now) {
            return Ok(snapshot);
        }
        let state = site::state(store).await?;
        if let Some(snapshot) = self.same_version(fingerprint, state.version, now) {
            return Ok(snapshot);
        }
        // Boxed: the rare path's queries would make every request's future larger.
        Box::pin(self.renew(store, now, fingerprint, state.version)).await
    }

    /// Reads when public content last changed and next changes, and starts a new
    /// generation when the version moved, the clock passed a timed change, or the
    /// last change is not the one known.
    async fn renew(
        &self,
        store: &Store,
        now: i64,
        fingerprint: Option<([u8; 96], u64)>,
        version: i64,
    ) -> Result<Snapshot> {
        let settings = super::settings::load_values(store).await?;
        let close_after = settings.discussion.close_after_days;
        let next = next_public_change(store, now, close_after).await?;
        let last_modified = last_public_change(store, now, close_after).await?;
        let mut fresh = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let expired = fresh.valid_until.is_some_and(|t| now >= t);
        if fresh.version != Some(version) || expired || fresh.last_modified != last_modified {
            fresh.generation += 1;
        }
        fresh.version = Some(version);
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
    pub(super) fn release_probe(&self) {
        self.freshness.probe.release();
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
