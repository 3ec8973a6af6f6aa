//! `SessionRegistry` owns the live view of login sessions.
//!
//! Koji touches the `sessions` row on every call. Here a call is validated from memory: the row is loaded once
//! (and re-read after `refresh_after`, so a logout on another hub is seen), activity is recorded in memory, and
//! the dirty sessions are written back in one statement every flush interval. A call therefore costs no database
//! write unless it changes data. The callnum is advanced only by calls that committed a write, as in Koji, so a
//! client may safely retry a read with the same callnum.

use super::NamedActor;
use crate::db::{self, Pool};
use crate::fault::{KojiError, KojiResult};
use actix::prelude::*;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

/// Koji's `RetryWhitelist`: calls that are safe to repeat with the same callnum.
const RETRY_WHITELIST: &[&str] = &[
    "host.taskWait",
    "host.taskUnwait",
    "host.taskSetWait",
    "host.updateHost",
    "host.setBuildRootState",
    "repoExpire",
    "repoDelete",
    "repoProblem",
];

/// Who a validated request acts as.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthSession {
    pub id: i32,
    pub user_id: i32,
    pub user_name: String,
    pub usertype: i32,
    pub authtype: i32,
    pub master: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SessionAuth {
    LoggedIn(AuthSession),
    /// The session has expired, and the call is a login that may renew it (the client resends the old headers).
    Renewing {
        id: i32,
        user_id: i32,
    },
}

struct Entry {
    row: db::sessions::SessionRow,
    loaded_at: Instant,
    last_used: DateTime<Utc>,
}

pub struct SessionRegistry {
    pool: Pool,
    renewal_timeout: Duration,
    flush_interval: Duration,
    cache: HashMap<i32, Entry>,
    dirty: HashSet<i32>,
    /// Sessions whose callnum changed since the last flush.
    callnum_dirty: HashSet<i32>,
}

impl NamedActor for SessionRegistry {
    const NAME: &'static str = "SessionRegistry";
}

impl SessionRegistry {
    pub fn new(pool: Pool, renewal_timeout: Duration, flush_interval: Duration) -> Self {
        SessionRegistry {
            pool,
            renewal_timeout,
            flush_interval,
            cache: HashMap::new(),
            dirty: HashSet::new(),
            callnum_dirty: HashSet::new(),
        }
    }

    fn invalid() -> KojiError {
        KojiError::Auth("Invalid session or bad credentials".into())
    }

    fn check(&mut self, m: &Validate) -> KojiResult<SessionAuth> {
        let Some(entry) = self.cache.get_mut(&m.id) else { return Err(Self::invalid()) };
        let row = &mut entry.row;
        if row.closed || row.key != m.key || row.hostip != m.hostip {
            return Err(Self::invalid());
        }
        if row.user_status != db::users::STATUS_NORMAL {
            return Err(KojiError::Auth(format!("logins by {} are not allowed", row.user_name)));
        }
        let is_login = m.method == "login" || m.method == "sslLogin";
        let since = row.renew_time.unwrap_or(row.start_time);
        let timed_out = (Utc::now() - since).to_std().unwrap_or_default() > self.renewal_timeout;
        if timed_out && !row.expired {
            row.expired = true;
            let (pool, id) = (self.pool.clone(), row.id);
            actix_rt::spawn(async move {
                let result = async { db::sessions::expire(&pool.get().await?, id).await }.await;
                if let Err(e) = result {
                    tracing::warn!(session = id, error = %e, "could not mark session expired");
                }
            });
        }
        if row.expired {
            return if is_login {
                Ok(SessionAuth::Renewing { id: row.id, user_id: row.user_id })
            } else {
                Err(KojiError::AuthExpired(format!("session \"{}\" has expired", row.id)))
            };
        }
        if let (Some(last), Some(received)) = (row.callnum, m.callnum) {
            if last > received {
                return Err(KojiError::Sequence(format!("{last} > {received} (session {})", row.id)));
            }
            if last == received && !RETRY_WHITELIST.contains(&m.method.as_str()) {
                return Err(KojiError::Retry(format!(
                    "unable to retry call {received} (method {}) for session {}",
                    m.method, row.id
                )));
            }
        }
        entry.last_used = Utc::now();
        self.dirty.insert(m.id);
        Ok(SessionAuth::LoggedIn(AuthSession {
            id: row.id,
            user_id: row.user_id,
            user_name: row.user_name.clone(),
            usertype: row.usertype,
            authtype: row.authtype,
            master: row.master,
        }))
    }

    fn insert(&mut self, row: db::sessions::SessionRow) {
        let id = row.id;
        // A callnum we advanced but have not flushed yet is newer than the row we just read.
        let callnum = match (self.cache.get(&id).and_then(|e| e.row.callnum), row.callnum) {
            (Some(mem), Some(db)) => Some(mem.max(db)),
            (mem, db) => mem.or(db),
        };
        let row = db::sessions::SessionRow { callnum, ..row };
        self.cache.insert(id, Entry { row, loaded_at: Instant::now(), last_used: Utc::now() });
        metrics::gauge!("koji_sessions_active").set(self.cache.len() as f64);
    }

    fn forget(&mut self, ids: &[i32]) {
        for id in ids {
            self.cache.remove(id);
            self.dirty.remove(id);
            self.callnum_dirty.remove(id);
        }
        metrics::gauge!("koji_sessions_active").set(self.cache.len() as f64);
    }

    /// Takes the pending writes and drops sessions idle for two intervals (their state is in the database).
    fn take_dirty(&mut self) -> (Vec<i32>, Vec<DateTime<Utc>>, Vec<Option<i32>>) {
        let mut out = (vec![], vec![], vec![]);
        for id in self.dirty.drain() {
            if let Some(e) = self.cache.get(&id) {
                out.0.push(id);
                out.1.push(e.last_used);
                out.2.push(if self.callnum_dirty.contains(&id) { e.row.callnum } else { None });
            }
        }
        self.callnum_dirty.clear();
        let idle = chrono::Duration::from_std(self.flush_interval * 2).unwrap_or_default();
        let now = Utc::now();
        self.cache.retain(|_, e| now - e.last_used < idle);
        metrics::gauge!("koji_sessions_active").set(self.cache.len() as f64);
        out
    }

    fn flush(&mut self) -> impl Future<Output = ()> + 'static {
        let (ids, times, callnums) = self.take_dirty();
        let pool = self.pool.clone();
        async move {
            if ids.is_empty() {
                return;
            }
            let result = async { db::sessions::flush(&pool.get().await?, &ids, &times, &callnums).await }.await;
            match result {
                Ok(n) => tracing::debug!(sessions = n, "flushed session activity"),
                Err(e) => tracing::warn!(error = %e, "session flush failed"),
            }
        }
    }
}

impl Actor for SessionRegistry {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(1024);
        ctx.run_interval(self.flush_interval, |act, ctx| {
            ctx.spawn(act.flush().into_actor(act));
        });
    }
}

/// Checks a request's session headers.
#[derive(Message)]
#[rtype(result = "KojiResult<SessionAuth>")]
pub struct Validate {
    pub id: i32,
    pub key: String,
    pub hostip: String,
    pub callnum: Option<i32>,
    pub method: String,
}

impl Handler<Validate> for SessionRegistry {
    type Result = ResponseActFuture<Self, KojiResult<SessionAuth>>;

    fn handle(&mut self, m: Validate, _: &mut Context<Self>) -> Self::Result {
        let refresh_after = self.flush_interval;
        if self.cache.get(&m.id).is_some_and(|e| e.loaded_at.elapsed() < refresh_after) {
            return Box::pin(fut::ready(self.check(&m)));
        }
        let pool = self.pool.clone();
        let id = m.id;
        Box::pin(async move { db::sessions::load(&pool.get().await?, id).await }.into_actor(self).map(
            move |loaded, act, _| match loaded? {
                None => Err(Self::invalid()),
                Some(row) => {
                    act.insert(row);
                    act.check(&m)
                }
            },
        ))
    }
}

/// A session was just created or renewed; saves the first lookup.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Register(pub db::sessions::SessionRow);

impl Handler<Register> for SessionRegistry {
    type Result = ();
    fn handle(&mut self, m: Register, _: &mut Context<Self>) {
        self.forget(&[m.0.id]);
        self.insert(m.0);
    }
}

/// A call of this session committed a write: later calls must use a higher callnum.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Committed {
    pub id: i32,
    pub callnum: i32,
}

impl Handler<Committed> for SessionRegistry {
    type Result = ();
    fn handle(&mut self, m: Committed, _: &mut Context<Self>) {
        if let Some(e) = self.cache.get_mut(&m.id) {
            e.row.callnum = Some(e.row.callnum.map_or(m.callnum, |c| c.max(m.callnum)));
            self.dirty.insert(m.id);
            self.callnum_dirty.insert(m.id);
        }
    }
}

/// Sessions were closed (logout, user disabled): drop them so the next use is re-read and refused.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Forget(pub Vec<i32>);

impl Handler<Forget> for SessionRegistry {
    type Result = ();
    fn handle(&mut self, m: Forget, _: &mut Context<Self>) {
        self.forget(&m.0);
    }
}

/// Writes pending activity now (at shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct FlushNow;

impl Handler<FlushNow> for SessionRegistry {
    type Result = ResponseFuture<()>;
    fn handle(&mut self, _: FlushNow, _: &mut Context<Self>) -> Self::Result {
        Box::pin(self.flush())
    }
}
