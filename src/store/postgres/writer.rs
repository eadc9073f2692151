//! PostgreSQL's writer: the one connection an instance writes through, kept for the
//! instance's life rather than taken from a pool and given back.
//!
//! Given back to sqlx's pool, the connection cost a round trip after every write
//! transaction (the pool's check), and the next write waited for it. Kept here, a
//! write transaction costs its `BEGIN` (with the writers' advisory lock, in the same
//! round trip), its statements and its `COMMIT`. A transaction dropped without its
//! commit (an error, a cancelled request) is rolled back at once in the background,
//! so its advisory lock does not hold other instances' writers; the next write
//! starts with that rollback if it has not run yet. A connection that failed to
//! reach the server is replaced by the next write.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Executor, PgConnection};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The writer (cheap to clone: the store, and with it the writer, is cloned for
/// every request).
#[derive(Clone, Debug)]
pub struct PgWriter {
    slot: Arc<Mutex<Slot>>,
    options: Arc<PgConnectOptions>,
    /// How long a write waits for the one before it (then `PoolTimedOut`: busy).
    acquire_timeout: Duration,
}

#[derive(Debug)]
struct Slot {
    conn: PgConnection,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// No transaction open.
    Ready,
    /// A transaction began and did not commit: roll back before anything else.
    Open,
    /// The connection lost the server: open a new one before anything else.
    Broken,
    /// The store closed.
    Closed,
}

/// An open write transaction; rolled back if dropped without [`PgWrite::commit`].
#[derive(Debug)]
pub struct PgWrite {
    slot: OwnedMutexGuard<Slot>,
}

/// The writer's connection outside any transaction (migrations, startup checks).
#[derive(Debug)]
pub struct PgWriterConn {
    slot: OwnedMutexGuard<Slot>,
}

impl PgWriter {
    /// Opens the writer's connection.
    pub async fn connect(options: PgConnectOptions, acquire_timeout: Duration) -> sqlx::Result<Self> {
        let conn = options.connect().await?;
        Ok(Self {
            slot: Arc::new(Mutex::new(Slot { conn, state: State::Ready })),
            options: Arc::new(options),
            acquire_timeout,
        })
    }

    /// The connection once the writes before have finished, in a usable state.
    async fn take(&self) -> sqlx::Result<OwnedMutexGuard<Slot>> {
        let mut slot = tokio::time::timeout(self.acquire_timeout, self.slot.clone().lock_owned())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?;
        if slot.state == State::Open {
            // Also reads whatever an abandoned statement left unread. Failed other
            // than by a lost connection: the transaction is gone anyway.
            if roll_back(&mut slot).await.is_err() && slot.state != State::Broken {
                slot.state = State::Ready;
            }
        }
        match slot.state {
            State::Closed => return Err(sqlx::Error::PoolClosed),
            State::Broken => self.reconnect(&mut slot).await?,
            State::Ready | State::Open => {}
        }
        Ok(slot)
    }

    async fn reconnect(&self, slot: &mut Slot) -> sqlx::Result<()> {
        slot.conn = self.options.connect().await?;
        slot.state = State::Ready;
        Ok(())
    }

    /// Starts a write transaction with `begin` (the `BEGIN` and the advisory lock).
    /// A connection found lost is replaced and the `BEGIN` tried once more: nothing
    /// was written yet.
    pub async fn begin(&self, begin: &str) -> sqlx::Result<PgWrite> {
        let mut slot = self.take().await?;
        if let Err(e) = Self::try_begin(&mut slot, begin).await {
            if slot.state != State::Broken {
                return Err(e);
            }
            self.reconnect(&mut slot).await?;
            Self::try_begin(&mut slot, begin).await?;
        }
        Ok(PgWrite { slot })
    }

    /// Runs `begin`; when it fails without losing the connection (busy: the lock
    /// not had in time), ends the failed transaction at once.
    async fn try_begin(slot: &mut Slot, begin: &str) -> sqlx::Result<()> {
        slot.state = State::Open;
        let begun = slot.conn.execute(sqlx::raw_sql(begin)).await;
        let outcome = settle(slot, begun.map(|_| ()), State::Open);
        if outcome.is_err() && slot.state == State::Open {
            let _ = roll_back(slot).await;
        }
        outcome
    }

    /// The connection for statements outside a transaction.
    pub async fn conn(&self) -> sqlx::Result<PgWriterConn> {
        Ok(PgWriterConn { slot: self.take().await? })
    }

    /// Closes the writer once the write in progress, if any, has finished.
    pub async fn close(&self) {
        let mut slot = self.slot.lock().await;
        if slot.state == State::Open {
            let _ = roll_back(&mut slot).await;
        }
        slot.state = State::Closed;
    }
}

/// Rolls back the transaction open on the slot's connection; afterwards the slot
/// is ready, or broken if the connection is lost.
async fn roll_back(slot: &mut Slot) -> sqlx::Result<()> {
    let rolled_back = slot.conn.execute(sqlx::raw_sql("rollback")).await;
    settle(slot, rolled_back.map(|_| ()), State::Ready)
}

/// Records what a statement's outcome says about the connection: `then` when it
/// succeeded; broken when it could not reach the server.
fn settle(slot: &mut Slot, outcome: sqlx::Result<()>, then: State) -> sqlx::Result<()> {
    match outcome {
        Ok(()) => {
            slot.state = then;
            Ok(())
        }
        Err(e) => {
            if crate::store::db::is_unreachable(&e) || matches!(e, sqlx::Error::Protocol(_)) {
                slot.state = State::Broken;
            }
            Err(e)
        }
    }
}

impl PgWrite {
    /// The transaction's connection.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.slot.conn
    }

    /// Commits.
    pub async fn commit(mut self) -> sqlx::Result<()> {
        let committed = self.slot.conn.execute(sqlx::raw_sql("commit")).await;
        // A commit that failed ended the transaction too (PostgreSQL rolled it back),
        // unless the connection was lost.
        settle(&mut self.slot, committed.map(|_| ()), State::Ready)
    }
}

impl Drop for PgWrite {
    fn drop(&mut self) {
        if self.slot.state != State::Open {
            return;
        }
        // Rolled back as soon as this guard lets go of the connection: first in line
        // after any write already waiting (which rolls back itself).
        let mutex = OwnedMutexGuard::mutex(&self.slot).clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut slot = mutex.lock().await;
                if slot.state == State::Open {
                    let _ = roll_back(&mut slot).await;
                }
            });
        }
    }
}

impl PgWriterConn {
    /// The connection.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.slot.conn
    }
}
