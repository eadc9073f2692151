//! PostgreSQL's readers: a pool of connections given back as they are, without the
//! driver's round trip.
//!
//! sqlx's pool checks every connection it gets back with a round trip to the server
//! (a `Sync`, waiting for the answer), so that a statement cancelled halfway leaves
//! nothing half-read for the next user. For hewn's reads, one or a few short
//! statements each, that check doubled the round trips of every page and of every
//! comment POST, and with them PostgreSQL's work. These readers keep a connection
//! for the next user only when everything run on it finished (the driver has then
//! read the server's answer up to its ready-for-query message) and close it when a
//! statement was cancelled or failed; a connection broken while idle (PostgreSQL
//! restarted) fails its next statement and is closed, and the idle ones with it.
//!
//! Everything else is what sqlx's pool does: at most `max` connections, opened when
//! needed, waiting at most the acquire timeout for one (then `PoolTimedOut`, the
//! same 503 as every busy database), idle ones closed after a while.

use std::future::poll_fn;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_core::future::BoxFuture;
use futures_core::stream::BoxStream;
use sqlx::postgres::{PgConnectOptions, PgQueryResult, PgRow, PgStatement, PgTypeInfo};
use sqlx::{ConnectOptions, Connection, Describe, Either, Execute, Executor, PgConnection, Postgres};
use sqlx_core::ext::async_stream::TryAsyncStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A connection idle this long is closed rather than used again.
const MAX_IDLE: Duration = Duration::from_secs(10 * 60);
/// A connection this old is closed when it comes back (the server's memory for
/// cached plans grows with a connection's life).
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The pool (cheap to clone).
#[derive(Clone, Debug)]
pub struct Readers(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    options: PgConnectOptions,
    /// Connections waiting for a user, the most recently used last.
    idle: Mutex<Vec<Idle>>,
    /// One permit per connection that may be open; closed with the pool.
    permits: Arc<Semaphore>,
    max: u32,
    acquire_timeout: Duration,
}

#[derive(Debug)]
struct Idle {
    conn: PgConnection,
    opened: Instant,
    since: Instant,
}

/// A connection taken from [`Readers`], given back when dropped: kept when
/// everything run on it finished, closed otherwise.
#[derive(Debug)]
pub struct Reader {
    conn: Option<(PgConnection, Instant)>,
    pool: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
    /// False from the start of a statement until it finished, or for good once the
    /// caller took the connection for statements of its own ([`Reader::conn`]) and
    /// has not said they finished.
    clean: bool,
}

impl Readers {
    /// A pool of at most `max` connections made with `options`; none is opened yet.
    pub fn new(options: PgConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        let max = max.max(1);
        Self(Arc::new(Inner {
            options,
            idle: Mutex::new(Vec::new()),
            permits: Arc::new(Semaphore::new(max as usize)),
            max,
            acquire_timeout,
        }))
    }

    /// The most connections the pool opens.
    pub fn max_connections(&self) -> u32 {
        self.0.max
    }

    /// True once [`Readers::close`] ran.
    pub fn is_closed(&self) -> bool {
        self.0.permits.is_closed()
    }

    /// Takes a connection: an idle one, or a new one while fewer than `max` are
    /// open; waits for one to come back at most the acquire timeout.
    pub async fn acquire(&self) -> sqlx::Result<Reader> {
        let permit = tokio::time::timeout(self.0.acquire_timeout, self.0.permits.clone().acquire_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        let now = Instant::now();
        let mut stale = Vec::new();
        let reused = {
            let mut idle = self.0.idle.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                match idle.pop() {
                    Some(i) if now.duration_since(i.since) < MAX_IDLE => break Some(i),
                    Some(old) => stale.push(old.conn),
                    None => break None,
                }
            }
        };
        close_all(stale);
        let conn = match reused {
            Some(i) => (i.conn, i.opened),
            None => (self.0.options.connect().await?, now),
        };
        Ok(Reader { conn: Some(conn), pool: self.0.clone(), _permit: permit, clean: true })
    }

    /// Closes the pool: no connection is handed out any more, the idle ones are
    /// closed, and those in use are closed when they come back.
    pub async fn close(&self) {
        self.0.permits.close();
        let idle = std::mem::take(&mut *self.0.idle.lock().unwrap_or_else(PoisonError::into_inner));
        for i in idle {
            let _ = i.conn.close().await;
        }
    }

    /// Closes every idle connection: after one failed to reach the server, the
    /// others most likely lost it too (PostgreSQL restarted).
    fn forget_idle(&self) {
        let idle = std::mem::take(&mut *self.0.idle.lock().unwrap_or_else(PoisonError::into_inner));
        close_all(idle.into_iter().map(|i| i.conn).collect());
    }
}

/// Closes `conns` politely in the background (a dropped connection would leave the
/// server logging an unexpected end of file).
fn close_all(conns: Vec<PgConnection>) {
    if conns.is_empty() {
        return;
    }
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            for c in conns {
                let _ = c.close().await;
            }
        });
    }
}

impl Reader {
    /// The connection, for statements of the caller's own. Until the caller says
    /// they finished ([`Reader::finished`]) the connection counts as unfinished and
    /// is closed rather than kept.
    pub fn conn(&mut self) -> sqlx::Result<&mut PgConnection> {
        self.clean = false;
        // Only `Drop` takes the connection away.
        self.conn.as_mut().map(|(conn, _)| conn).ok_or(sqlx::Error::PoolClosed)
    }

    /// Says that everything run on [`Reader::conn`] finished: the connection may be
    /// kept for the next user.
    pub fn finished(&mut self) {
        self.clean = true;
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Some((conn, opened)) = self.conn.take() else { return };
        let now = Instant::now();
        if self.clean && !self.pool.permits.is_closed() && now.duration_since(opened) < MAX_LIFETIME {
            let stale: Vec<PgConnection> = {
                let mut idle = self.pool.idle.lock().unwrap_or_else(PoisonError::into_inner);
                idle.push(Idle { conn, opened, since: now });
                // The longest idle are first: those idle too long are closed.
                let expired = idle.iter().take_while(|i| now.duration_since(i.since) >= MAX_IDLE).count();
                idle.drain(..expired).map(|i| i.conn).collect()
            };
            close_all(stale);
        } else if self.clean {
            close_all(vec![conn]);
        }
        // Not clean: dropped as it is (a half-read answer cannot be closed politely).
    }
}

/// What a failed statement says about its connection and the others.
fn after_failure(readers: &Readers, e: &sqlx::Error) {
    if crate::store::db::is_unreachable(e) {
        readers.forget_idle();
    }
}

/// Runs reads like sqlx's pool does: each statement on a connection taken for it.
impl<'p> Executor<'p> for &'_ Readers {
    type Database = Postgres;

    fn fetch_many<'e, 'q: 'e, E>(self, query: E) -> BoxStream<'e, sqlx::Result<Either<PgQueryResult, PgRow>>>
    where
        E: 'q + Execute<'q, Postgres>,
    {
        let readers = self.clone();
        Box::pin(TryAsyncStream::new(move |yielder| async move {
            let mut reader = readers.acquire().await?;
            let mut rows = reader.conn()?.fetch_many(query);
            loop {
                match poll_fn(|cx| rows.as_mut().poll_next(cx)).await {
                    Some(Ok(v)) => yielder.r#yield(v).await,
                    Some(Err(e)) => {
                        after_failure(&readers, &e);
                        return Err(e);
                    }
                    None => break,
                }
            }
            drop(rows);
            reader.finished();
            Ok(())
        }))
    }

    fn fetch_optional<'e, 'q: 'e, E>(self, query: E) -> BoxFuture<'e, sqlx::Result<Option<PgRow>>>
    where
        E: 'q + Execute<'q, Postgres>,
    {
        let readers = self.clone();
        Box::pin(async move {
            let mut reader = readers.acquire().await?;
            let row = reader.conn()?.fetch_optional(query).await.inspect_err(|e| after_failure(&readers, e))?;
            reader.finished();
            Ok(row)
        })
    }

    fn prepare_with<'e, 'q: 'e>(
        self,
        sql: &'q str,
        parameters: &'e [PgTypeInfo],
    ) -> BoxFuture<'e, sqlx::Result<PgStatement<'q>>> {
        let readers = self.clone();
        Box::pin(async move {
            let mut reader = readers.acquire().await?;
            let statement = reader.conn()?.prepare_with(sql, parameters).await?;
            reader.finished();
            Ok(statement)
        })
    }

    fn describe<'e, 'q: 'e>(self, sql: &'q str) -> BoxFuture<'e, sqlx::Result<Describe<Postgres>>> {
        let readers = self.clone();
        Box::pin(async move {
            let mut reader = readers.acquire().await?;
            let description = reader.conn()?.describe(sql).await?;
            reader.finished();
            Ok(description)
        })
    }
}
