//! The builder's end of the push stream (`crate::protocol`): one WebSocket to the hub's `/kojihub/builder`,
//! authenticated with the host's session headers.
//!
//! [`connect`] opens the socket, says `Hello` and waits for `Welcome`; then a driver task owns the socket.
//! It forwards every frame from the hub to [`PushConnection::recv`], sends what the [`PushSender`]s queue, and
//! sends a `Heartbeat` with the latest [`PushSender::set_status`] every interval the hub asked for in
//! `Welcome`. Dropping the `PushConnection` closes the stream; [`PushConnection::recv`] returns `None` once
//! the hub closed it.
//!
//! Per connection the cost is one task, one timer and two small buffers (`WebSocketConfig` is set to 4 KiB
//! buffers, not tungstenite's 128 KiB defaults), so one process can hold thousands of streams.

use crate::protocol::{self, FromBuilder, FromHub, Heartbeat, PROTOCOL_VERSION};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

/// How long [`connect`] waits for the hub's `Welcome` after `Hello`.
const WELCOME_TIMEOUT: Duration = Duration::from_secs(30);
/// Frames are small (offers carry a request document); the hub caps them at its `MaxRequestLength` too.
const MAX_FRAME: usize = 4 << 20;

pub struct PushConfig {
    /// `ws://host:port/kojihub/builder` (see [`builder_url`]).
    pub url: String,
    pub session_id: i64,
    pub session_key: String,
    /// What the first heartbeat (in `Hello`) reports.
    pub status: Heartbeat,
    /// Tasks this builder is already running (after a reconnect): the hub answers `Cancel` for each that is
    /// no longer this host's.
    pub running: Vec<i32>,
    /// The TLS connector for `wss://` (kojid's, presenting its certificate); `None`: the system's defaults.
    pub tls: Option<native_tls::TlsConnector>,
}

/// The stream endpoint of the hub whose XML-RPC endpoint is `hub_url` (`http(s)://host:port/kojihub`).
pub fn builder_url(hub_url: &str) -> String {
    let base = hub_url.trim_end_matches('/');
    let base = base.strip_suffix("/kojihub").unwrap_or(base);
    let ws = if let Some(rest) = base.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = base.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        base.to_owned()
    };
    format!("{ws}{}", protocol::PATH)
}

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error("cannot connect: {0}")]
    Connect(tungstenite::Error),
    /// The hub refused the WebSocket (e.g. 403 for a session that is not a host's); `body` says why.
    #[error("the hub refused the stream: HTTP {status}: {body}")]
    Refused { status: u16, body: String },
    /// The hub sent `Error` (e.g. an unsupported protocol version).
    #[error("the hub closed the stream: {0}")]
    Hub(String),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("the stream is closed")]
    Closed,
}

/// Queues frames for the hub and sets what heartbeats report; cheap to clone, usable from any task.
#[derive(Clone)]
pub struct PushSender {
    frames: mpsc::UnboundedSender<FromBuilder>,
    status: Arc<watch::Sender<Heartbeat>>,
}

impl PushSender {
    pub fn send(&self, frame: FromBuilder) -> Result<(), PushError> {
        self.frames.send(frame).map_err(|_| PushError::Closed)
    }

    pub fn accept(&self, task: i32) -> Result<(), PushError> {
        self.send(FromBuilder::Accept { task })
    }

    pub fn refuse(&self, task: i32, soft: bool, reason: impl Into<String>) -> Result<(), PushError> {
        self.send(FromBuilder::Refuse { task, soft, reason: reason.into() })
    }

    /// What the next heartbeats report.
    pub fn set_status(&self, status: Heartbeat) {
        self.status.send_replace(status);
    }

    /// Changes the reported status in place (e.g. the load after a task ends).
    pub fn update_status(&self, f: impl FnOnce(&mut Heartbeat)) {
        self.status.send_modify(f);
    }

    /// Sends the current status now instead of at the next tick (e.g. when becoming ready).
    pub fn heartbeat_now(&self) -> Result<(), PushError> {
        let status = self.status.borrow().clone();
        self.send(FromBuilder::Heartbeat(status))
    }
}

/// An open stream: what `Welcome` said, a sender, and the frames from the hub.
pub struct PushConnection {
    pub host_id: i32,
    pub heartbeat: Duration,
    sender: PushSender,
    frames: mpsc::UnboundedReceiver<FromHub>,
}

impl PushConnection {
    pub fn sender(&self) -> PushSender {
        self.sender.clone()
    }

    /// The next frame from the hub; `None` once the stream is closed (by the hub, the network, or an `Error`
    /// frame, which is delivered first).
    pub async fn recv(&mut self) -> Option<FromHub> {
        self.frames.recv().await
    }
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME))
}

/// Connects, says `Hello`, waits for `Welcome`, and starts the driver task (on the current tokio runtime).
pub async fn connect(config: PushConfig) -> Result<PushConnection, PushError> {
    let mut request = config.url.as_str().into_client_request().map_err(PushError::Connect)?;
    let header = |v: String| HeaderValue::from_str(&v).map_err(|e| PushError::Protocol(e.to_string()));
    request.headers_mut().insert("Koji-Session-Id", header(config.session_id.to_string())?);
    request.headers_mut().insert("Koji-Session-Key", header(config.session_key)?);
    let connector = config.tls.map(tokio_tungstenite::Connector::NativeTls);
    let (mut ws, _) = tokio_tungstenite::connect_async_tls_with_config(request, Some(ws_config()), true, connector)
        .await
        .map_err(|e| match e {
            tungstenite::Error::Http(response) => PushError::Refused {
                status: response.status().as_u16(),
                body: String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).trim().to_owned(),
            },
            other => PushError::Connect(other),
        })?;
    let hello =
        FromBuilder::Hello { version: PROTOCOL_VERSION, heartbeat: config.status.clone(), running: config.running };
    ws.send(Message::Binary(protocol::encode(&hello).into())).await.map_err(PushError::Connect)?;
    let (host_id, heartbeat_secs) = match tokio::time::timeout(WELCOME_TIMEOUT, next_frame(&mut ws)).await {
        Err(_) => return Err(PushError::Protocol("no Welcome from the hub".into())),
        Ok(None) => return Err(PushError::Closed),
        Ok(Some(Err(e))) => return Err(e),
        Ok(Some(Ok(FromHub::Welcome { version, host_id, heartbeat_secs }))) if version == PROTOCOL_VERSION => {
            (host_id, heartbeat_secs)
        }
        Ok(Some(Ok(FromHub::Error { message }))) => return Err(PushError::Hub(message)),
        Ok(Some(Ok(other))) => return Err(PushError::Protocol(format!("expected Welcome, got {other:?}"))),
    };
    let heartbeat = Duration::from_secs(heartbeat_secs.max(1).into());
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let (in_tx, in_rx) = mpsc::unbounded_channel();
    let (status_tx, status_rx) = watch::channel(config.status);
    tokio::spawn(drive(ws, heartbeat, out_rx, in_tx, status_rx));
    Ok(PushConnection {
        host_id,
        heartbeat,
        sender: PushSender { frames: out_tx, status: Arc::new(status_tx) },
        frames: in_rx,
    })
}

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next protocol frame, skipping pings and pongs; `None` at the end of the stream.
async fn next_frame(ws: &mut Ws) -> Option<Result<FromHub, PushError>> {
    loop {
        return match ws.next().await? {
            Ok(Message::Binary(bytes)) => {
                Some(protocol::decode(&bytes).map_err(|e| PushError::Protocol(format!("undecodable frame: {e}"))))
            }
            Ok(Message::Close(_)) => None,
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => continue,
            Ok(Message::Text(t)) => Some(Err(PushError::Protocol(format!("unexpected text message {t:?}")))),
            Err(e) => Some(Err(PushError::Connect(e))),
        };
    }
}

/// Owns the socket until either side ends: the hub closes it, or the `PushConnection` is dropped.
async fn drive(
    mut ws: Ws,
    every: Duration,
    mut out: mpsc::UnboundedReceiver<FromBuilder>,
    frames: mpsc::UnboundedSender<FromHub>,
    status: watch::Receiver<Heartbeat>,
) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let outgoing = tokio::select! {
            incoming = next_frame(&mut ws) => match incoming {
                Some(Ok(frame)) => {
                    let _ = frames.send(frame);
                    continue;
                }
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "builder stream failed");
                    return;
                }
                None => return,
            },
            Some(frame) = out.recv() => frame,
            _ = tick.tick() => FromBuilder::Heartbeat(status.borrow().clone()),
            () = frames.closed() => {
                let _ = ws.close(None).await;
                return;
            }
        };
        if ws.send(Message::Binary(protocol::encode(&outgoing).into())).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_url_follows_the_hub_url() {
        assert_eq!(builder_url("http://127.0.0.1:8080/kojihub"), "ws://127.0.0.1:8080/kojihub/builder");
        assert_eq!(builder_url("https://koji.example/kojihub/"), "wss://koji.example/kojihub/builder");
        assert_eq!(builder_url("http://h:1"), "ws://h:1/kojihub/builder");
    }
}
