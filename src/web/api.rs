//! How the web UI reaches the hub: only through its public API, behind one trait. [`InProcess`] dispatches
//! calls inside the hub process (sessions, `LockOut` and permissions are checked exactly as for XML-RPC);
//! [`Remote`] speaks XML-RPC to a hub URL, for a web UI deployed apart from the hubs.

use crate::fault::{KojiError, KojiResult};
use crate::live::{LiveEvent, LiveFeed};
use crate::rpc::Hub;
use crate::rpc::local::{self, Caller};
use crate::xmlrpc::{self, Limits, Struct, Value};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;
use std::time::Duration;

pub trait HubApi: Send + Sync {
    /// Calls `method` on behalf of `caller` (its session, address and certificate).
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        method: &'a str,
        params: Vec<Value>,
    ) -> LocalBoxFuture<'a, KojiResult<Value>>;

    /// Task changes and output growth, for the live pages.
    fn live(&self) -> &LiveFeed;

    /// Whether a TLS client certificate can log in (only in-process: a remote hub sees our connection).
    fn cert_login(&self) -> bool;
}

/// Python-style keyword arguments, as Koji's client sends them (`__starstar`).
pub fn kw<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
    let mut s: Struct = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    s.insert("__starstar".into(), Value::Bool(true));
    Value::Struct(s)
}

/// The hub this process serves.
pub struct InProcess(pub Arc<Hub>);

impl HubApi for InProcess {
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        method: &'a str,
        params: Vec<Value>,
    ) -> LocalBoxFuture<'a, KojiResult<Value>> {
        Box::pin(local::dispatch(self.0.clone(), caller.clone(), method, params))
    }

    fn live(&self) -> &LiveFeed {
        &self.0.live
    }

    fn cert_login(&self) -> bool {
        true
    }
}

/// A hub reached over XML-RPC at `url` (`http://hub/kojihub`). Sessions travel in Koji's headers without a
/// callnum (the web's concurrent page loads would otherwise race each other's numbers); live events come from the
/// hub's `/koji/live` feed.
pub struct Remote {
    http: reqwest::Client,
    url: String,
    live: LiveFeed,
}

impl Remote {
    /// Starts following the hub's live feed (reconnecting as needed) on the current runtime.
    pub fn connect(url: String) -> Remote {
        let http = reqwest::Client::new();
        let live = LiveFeed::default();
        let feed = url.trim_end_matches('/').trim_end_matches("/kojihub").to_owned() + "/koji/live";
        actix_rt::spawn(follow(http.clone(), feed, live.clone()));
        Remote { http, url, live }
    }
}

/// Relays the lines of the hub's live feed into `live`, forever.
async fn follow(http: reqwest::Client, url: String, live: LiveFeed) {
    loop {
        match http.get(&url).send().await {
            Ok(mut response) if response.status().is_success() => {
                let mut pending = Vec::new();
                while let Ok(Some(chunk)) = response.chunk().await {
                    pending.extend_from_slice(&chunk);
                    while let Some(end) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=end).collect();
                        if let Some(e) = LiveEvent::from_line(&String::from_utf8_lossy(&line)) {
                            live.publish(e);
                        }
                    }
                }
                tracing::warn!(url, "live feed ended; reconnecting");
            }
            Ok(response) => tracing::warn!(url, status = %response.status(), "live feed refused; retrying"),
            Err(e) => tracing::warn!(url, error = %e, "live feed unreachable; retrying"),
        }
        actix_rt::time::sleep(Duration::from_secs(1)).await;
    }
}

impl HubApi for Remote {
    fn call<'a>(
        &'a self,
        caller: &'a Caller,
        method: &'a str,
        params: Vec<Value>,
    ) -> LocalBoxFuture<'a, KojiResult<Value>> {
        Box::pin(async move {
            let mut request =
                self.http.post(&self.url).header("Content-Type", "text/xml").body(xmlrpc::encode_call(method, &params));
            if let Some(c) = &caller.creds {
                request = request.header("Koji-Session-Id", c.id.to_string()).header("Koji-Session-Key", &c.key);
            }
            let unreachable = |e: reqwest::Error| KojiError::ServerOffline(format!("hub unreachable: {e}"));
            let response = request.send().await.map_err(unreachable)?;
            let status = response.status();
            let body = response.bytes().await.map_err(unreachable)?;
            if !status.is_success() {
                return Err(KojiError::ServerOffline(format!("hub answered HTTP {status}")));
            }
            xmlrpc::parse_method_response(&body, Limits::default())
                .map_err(|e| KojiError::Internal(format!("bad answer from the hub: {e}")))?
                .map_err(|f| KojiError::Fault { code: f.code, message: f.message })
        })
    }

    fn live(&self) -> &LiveFeed {
        &self.live
    }

    fn cert_login(&self) -> bool {
        false
    }
}
