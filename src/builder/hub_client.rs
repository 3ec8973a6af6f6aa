//! An async XML-RPC client for the hub, speaking as Koji's `ClientSession` does: the crate's own codec, the
//! session in `Koji-Session-Id`/`-Key` headers and a `Koji-Session-Callnum` that starts at 0 after login and
//! grows by one per call.
//!
//! Calls on one session are serialized (the callnum is held across the request). The hub refuses a call whose
//! callnum is lower than one that already committed, so concurrent calls on one session could fail each
//! other; Koji's client is single-threaded for the same reason, and kojid gives each running task its own
//! [`HubClient::subsession`]. Clients made from one another share their HTTP connection pool.

use super::tls;
use crate::xmlrpc::{self, Fault, Limits, Value};
use tokio::sync::Mutex;

/// A logged-in session: what `login` returns and what the push stream authenticates with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The hub answered with a fault (Koji's exception classes by code).
    #[error("fault {}: {}", .0.code, .0.message)]
    Fault(Fault),
    /// The request did not get an HTTP answer (connection refused, reset, timed out).
    #[error("transport: {0}")]
    Transport(reqwest::Error),
    /// The TLS handshake failed or a certificate was refused (with the reasons): not worth retrying.
    #[error("TLS: {0}")]
    Tls(String),
    /// Koji answers application errors with HTTP 200 and a fault; anything else is a broken hub or proxy.
    #[error("HTTP {status}: {body}")]
    Http { status: u16, body: String },
    #[error("bad XML-RPC response: {0}")]
    Decode(String),
}

impl HubError {
    /// The fault, if the hub answered with one.
    pub fn fault(&self) -> Option<&Fault> {
        match self {
            HubError::Fault(f) => Some(f),
            _ => None,
        }
    }
}

pub struct HubClient {
    http: reqwest::Client,
    url: String,
    session: Option<Session>,
    /// The next callnum; locked for the whole call so a session's calls reach the hub in callnum order.
    callnum: Mutex<i64>,
}

impl HubClient {
    /// An anonymous client of the hub's XML-RPC endpoint (`http://host:port/kojihub`). `http` is shared: one
    /// pool of keep-alive connections for every client made from it.
    pub fn new(http: reqwest::Client, url: impl Into<String>) -> Self {
        HubClient { http, url: url.into(), session: None, callnum: Mutex::new(0) }
    }

    /// A client of an existing session (e.g. one made out of band, or handed down by a parent process).
    pub fn with_session(http: reqwest::Client, url: impl Into<String>, session: Session) -> Self {
        HubClient { session: Some(session), ..HubClient::new(http, url) }
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Password login (Koji's `login`); later calls carry the new session.
    pub async fn login(&mut self, user: &str, password: &str) -> Result<Session, HubError> {
        let sinfo = self.call("login", vec![user.into(), password.into()]).await?;
        let session = session_of(&sinfo)?;
        self.session = Some(session.clone());
        *self.callnum.get_mut() = 0;
        Ok(session)
    }

    /// Certificate login (Koji's `sslLogin` at `<server>/ssllogin`): the hub logs in the user named by the
    /// certificate that this client's TLS connector presents. Later calls carry the new session.
    pub async fn ssl_login(&mut self) -> Result<Session, HubError> {
        let url = format!("{}/ssllogin", self.url.trim_end_matches('/'));
        let body = xmlrpc::encode_call("sslLogin", &[]);
        let sinfo = send(self.http.post(url).header("Content-Type", "text/xml").body(body)).await?;
        let session = session_of(&sinfo)?;
        self.session = Some(session.clone());
        *self.callnum.get_mut() = 0;
        Ok(session)
    }

    /// A new session below this one (Koji's `subsession`), for work that runs concurrently with this client.
    pub async fn subsession(&self) -> Result<HubClient, HubError> {
        let sinfo = self.call("subsession", vec![]).await?;
        Ok(HubClient::with_session(self.http.clone(), self.url.clone(), session_of(&sinfo)?))
    }

    /// Calls `method`; a fault comes back as [`HubError::Fault`].
    pub async fn call(&self, method: &str, params: Vec<Value>) -> Result<Value, HubError> {
        let body = xmlrpc::encode_call(method, &params);
        self.send_in_session(self.http.post(&self.url).header("Content-Type", "text/xml").body(body)).await
    }

    /// As [`HubClient::call`], but a call that got no answer (connection refused or reset, a proxy's 5xx, as
    /// while the hub restarts) is sent again, with growing pauses, for about `patience`. A fault is final.
    pub async fn call_retry(
        &self,
        method: &str,
        params: Vec<Value>,
        patience: std::time::Duration,
    ) -> Result<Value, HubError> {
        let start = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(250);
        loop {
            match self.call(method, params.clone()).await {
                Err(e @ (HubError::Transport(_) | HubError::Http { .. })) if start.elapsed() < patience => {
                    tracing::warn!(method, error = %e, "hub unreachable; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(5));
                }
                other => return other,
            }
        }
    }

    /// One chunk of Koji's fast upload: a raw POST to the XML-RPC URL with `query` (`filename=…&filepath=…
    /// &fileverify=adler32&offset=…`), answered with `{size, fileverify, offset, hexdigest}`.
    pub async fn raw_upload(&self, query: &str, chunk: Vec<u8>) -> Result<Value, HubError> {
        let url = format!("{}?{query}", self.url);
        self.send_in_session(self.http.post(url).header("Content-Type", "application/octet-stream").body(chunk)).await
    }

    /// Sends a request with the session headers and the next callnum.
    async fn send_in_session(&self, mut request: reqwest::RequestBuilder) -> Result<Value, HubError> {
        let mut callnum = None;
        if let Some(s) = &self.session {
            let guard = self.callnum.lock().await;
            request = request
                .header("Koji-Session-Id", s.id.to_string())
                .header("Koji-Session-Key", &s.key)
                .header("Koji-Session-Callnum", guard.to_string());
            callnum = Some(guard);
        }
        let result = send(request).await;
        if let Some(mut n) = callnum {
            *n += 1;
        }
        result
    }
}

async fn send(request: reqwest::RequestBuilder) -> Result<Value, HubError> {
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    if !status.is_success() {
        return Err(HubError::Http { status: status.as_u16(), body: String::from_utf8_lossy(&body).into_owned() });
    }
    xmlrpc::parse_method_response(&body, Limits::default())
        .map_err(|e| HubError::Decode(e.to_string()))?
        .map_err(HubError::Fault)
}

/// [`HubError::Tls`] for a TLS failure, else [`HubError::Transport`].
fn transport(e: reqwest::Error) -> HubError {
    if tls::is_tls_failure(&e) { HubError::Tls(tls::error_chain(&e)) } else { HubError::Transport(e) }
}

fn session_of(sinfo: &Value) -> Result<Session, HubError> {
    let s = sinfo.as_struct().ok_or_else(|| HubError::Decode("login did not return a struct".into()))?;
    match (s.get("session-id").and_then(Value::as_i64), s.get("session-key").and_then(Value::as_str)) {
        (Some(id), Some(key)) => Ok(Session { id, key: key.to_owned() }),
        _ => Err(HubError::Decode("login answer lacks session-id/session-key".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-connection-per-request HTTP server answering each request with the next canned body, and
    /// reporting each request's head.
    async fn serve(answers: Vec<(u16, String)>) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/kojihub", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            for (status, body) in answers {
                let (mut sock, _) = listener.accept().await.unwrap();
                let mut buf = vec![0; 65536];
                let mut got = 0;
                // Read the head and the body (Content-Length) of one request.
                loop {
                    got += sock.read(&mut buf[got..]).await.unwrap();
                    let text = String::from_utf8_lossy(&buf[..got]).into_owned();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let len = text
                            .lines()
                            .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(str::to_owned))
                            .map_or(0, |v| v.trim().parse::<usize>().unwrap());
                        if got >= end + 4 + len {
                            tx.send(text).unwrap();
                            break;
                        }
                    }
                }
                let reply =
                    format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                sock.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        (url, rx)
    }

    fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    #[tokio::test]
    async fn login_then_calls_carry_the_session_and_a_growing_callnum() {
        let sinfo = Value::Struct(
            [("session-id".to_string(), Value::Int(7)), ("session-key".to_string(), Value::from("7-abc"))]
                .into_iter()
                .collect(),
        );
        let (url, mut heads) = serve(vec![
            (200, xmlrpc::encode_response(&sinfo)),
            (200, xmlrpc::encode_response(&Value::Int(42))),
            (200, xmlrpc::encode_fault(1002, "No host specified")),
            (502, "bad gateway".into()),
        ])
        .await;
        let mut client = HubClient::new(reqwest::Client::new(), url);
        let session = client.login("b1", "pw").await.unwrap();
        assert_eq!(session, Session { id: 7, key: "7-abc".into() });
        let login = heads.recv().await.unwrap();
        assert!(login.contains("<methodName>login</methodName>"), "{login}");
        assert_eq!(header(&login, "Koji-Session-Id"), None);

        assert_eq!(client.call("host.getID", vec![]).await.unwrap(), Value::Int(42));
        let head = heads.recv().await.unwrap();
        assert_eq!(header(&head, "Koji-Session-Id"), Some("7"));
        assert_eq!(header(&head, "Koji-Session-Key"), Some("7-abc"));
        assert_eq!(header(&head, "Koji-Session-Callnum"), Some("0"));

        let err = client.call("host.getTasks", vec![]).await.unwrap_err();
        assert_eq!(err.fault(), Some(&Fault { code: 1002, message: "No host specified".into() }));
        assert_eq!(header(&heads.recv().await.unwrap(), "Koji-Session-Callnum"), Some("1"));

        let err = client.call("host.getTasks", vec![]).await.unwrap_err();
        assert!(matches!(err, HubError::Http { status: 502, .. }), "{err}");
        assert_eq!(header(&heads.recv().await.unwrap(), "Koji-Session-Callnum"), Some("2"));
    }
}
