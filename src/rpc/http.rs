//! `POST /kojihub` and `/kojihub/ssllogin`: HTTP semantics as Koji's hub has them.
//!
//! Non-POST → 405 with `Allow: POST`; an empty body → 400; everything else, including malformed XML, an oversized
//! request, a bad session and an unknown method, is HTTP 200 with an XML-RPC fault, because the client retries any
//! non-2xx answer for minutes. Every response carries `Koji-Version`. A body sent as `application/octet-stream` is
//! an upload chunk (Koji's fast upload, `crate::uploads`), answered like a call.

use super::local::{self, Caller, Credentials, offline};
use super::{CallCtx, Hub, PeerCert};
use crate::actors::{
    self,
    session_registry::{SessionAuth, Validate},
};
use crate::fault::{KojiError, KojiResult};
use crate::uploads::Upload;
use crate::xmlrpc::{self, Limits};
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use futures_util::StreamExt;
use std::sync::Arc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource(crate::protocol::PATH).route(web::get().to(builder_stream)));
    for path in ["/kojihub", "/kojihub/ssllogin"] {
        cfg.service(
            web::resource(path).route(web::post().to(xmlrpc_endpoint)).default_service(web::to(method_not_allowed)),
        );
    }
}

/// The push builders' WebSocket: authenticated with the host's session headers, then handed to a
/// `BuilderSession` actor; a writer task owns the socket so frames leave in order.
async fn builder_stream(req: HttpRequest, body: web::Payload, hub: web::Data<Hub>) -> HttpResponse {
    let hub = hub.into_inner();
    let host = match authenticate_host(&req, &hub).await {
        Ok(h) => h,
        Err(e) => {
            return HttpResponse::Forbidden().content_type("text/plain").body(format!("{}: {e}\n", e.code()));
        }
    };
    let (response, mut session, stream) = match actix_ws::handle(&req, body) {
        Ok(parts) => parts,
        Err(e) => return HttpResponse::BadRequest().content_type("text/plain").body(format!("{e}\n")),
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    actix_rt::spawn(async move {
        while let Some(frame) = rx.recv().await {
            if session.binary(frame).await.is_err() {
                return;
            }
        }
        let _ = session.close(None).await;
    });
    let registry = hub.hosts.get();
    let stream = stream.max_frame_size(hub.config.max_request_length);
    use actix::{Actor, AsyncContext};
    crate::actors::builder_session::BuilderSession::create(move |ctx| {
        ctx.add_stream(stream);
        crate::actors::builder_session::BuilderSession::new(host, hub, registry, tx)
    });
    tracing::info!(host, "builder stream connected");
    response
}

async fn authenticate_host(req: &HttpRequest, hub: &Arc<Hub>) -> KojiResult<i32> {
    let creds = SessionHeaders::from_request(req, true)?.ok_or_else(|| KojiError::Auth("login required".into()))?;
    let hostip = client_address(req, hub);
    let validate =
        Validate { id: creds.id, key: creds.key, hostip, callnum: None, method: "host.builderStream".into() };
    let auth =
        actors::ask(&hub.sessions.get(), validate).await.map_err(|e| KojiError::ServerOffline(e.to_string()))??;
    let SessionAuth::LoggedIn(s) = auth else { return Err(KojiError::AuthExpired("session expired".into())) };
    if s.usertype != crate::db::users::USER_HOST {
        return Err(KojiError::Auth("No host specified".into()));
    }
    crate::db::tasks::host_of_user(&hub.pool.get().await?, s.user_id)
        .await?
        .ok_or_else(|| KojiError::Auth("No host specified".into()))
}

fn client_address(req: &HttpRequest, hub: &Hub) -> String {
    if hub.config.check_client_ip {
        req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "-".into())
    } else {
        "-".into()
    }
}

async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "POST"))
        .insert_header(("Koji-Version", super::KOJI_VERSION))
        .content_type("text/plain")
        .body("Method Not Allowed\nThis is an XML-RPC server. Only POST requests are accepted.\n")
}

fn xml_reply(body: String) -> HttpResponse {
    HttpResponse::Ok().insert_header(("Koji-Version", super::KOJI_VERSION)).content_type("text/xml").body(body)
}

fn fault_reply(e: &KojiError) -> HttpResponse {
    xml_reply(xmlrpc::encode_fault(e.code(), &e.to_string()))
}

/// Reads the body up to `limit` bytes; `None` when it is longer.
async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Option<Vec<u8>>, actix_web::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

async fn xmlrpc_endpoint(req: HttpRequest, payload: web::Payload, hub: web::Data<Hub>) -> HttpResponse {
    let hub = hub.into_inner();
    let is_upload =
        req.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/octet-stream"));
    if is_upload {
        return match upload(&req, hub, payload).await {
            Ok(value) => xml_reply(xmlrpc::encode_response(&value)),
            Err(e) => fault_reply(&e),
        };
    }
    let body = match read_body(payload, hub.config.max_request_length).await {
        Ok(Some(b)) => b,
        Ok(None) => return fault_reply(&KojiError::generic("Request too long")),
        Err(e) => return HttpResponse::BadRequest().content_type("text/plain").body(format!("Bad Request\n{e}\n")),
    };
    if body.is_empty() {
        return HttpResponse::BadRequest().content_type("text/plain").body("Bad Request\nEmpty request body.\n");
    }
    if let Some(offline) = offline(&hub) {
        return fault_reply(&offline);
    }
    let call = match xmlrpc::parse_method_call(&body, Limits::default()) {
        Ok(c) => c,
        Err(e) => {
            metrics::counter!("koji_rpc_faults_total", "code" => "1000").increment(1);
            return fault_reply(&KojiError::generic(format!("malformed XML-RPC request: {e}")));
        }
    };
    match handle_call(&req, hub, call).await {
        Ok(value) => xml_reply(xmlrpc::encode_response(&value)),
        Err(e) => fault_reply(&e),
    }
}

/// The call context of one request: its session headers, peer and certificate (see [`local::context`]).
async fn request_context(req: &HttpRequest, hub: Arc<Hub>, method: &str) -> KojiResult<CallCtx> {
    let creds = SessionHeaders::from_request(req, hub.config.disable_url_sessions)?.map(|c| Credentials {
        id: c.id,
        key: c.key,
        callnum: c.callnum,
    });
    let caller = Caller {
        creds,
        peer_ip: req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "-".into()),
        cert: req.conn_data::<PeerCert>().cloned(),
    };
    local::context(hub, caller, method).await
}

async fn handle_call(req: &HttpRequest, hub: Arc<Hub>, call: xmlrpc::MethodCall) -> KojiResult<xmlrpc::Value> {
    let ctx = request_context(req, hub, &call.method).await?;
    local::call_in(&ctx, &call.method, call.params).await
}

/// A raw upload chunk (Koji's `handle_upload`), streamed to its file as it arrives. It writes no database row,
/// so like a read it leaves the session's stored callnum alone and a client retry of the chunk is accepted.
async fn upload(req: &HttpRequest, hub: Arc<Hub>, payload: web::Payload) -> KojiResult<xmlrpc::Value> {
    let result = receive_chunk(req, hub, payload).await;
    // Counted like a call, under the name the client uses for it.
    metrics::counter!("koji_rpc_calls_total", "method" => "rawUpload").increment(1);
    if let Err(e) = &result {
        metrics::counter!("koji_rpc_faults_total", "code" => e.code().to_string()).increment(1);
    }
    result
}

async fn receive_chunk(req: &HttpRequest, hub: Arc<Hub>, mut payload: web::Payload) -> KojiResult<xmlrpc::Value> {
    if let Some(offline) = offline(&hub) {
        return Err(offline);
    }
    let ctx = request_context(req, hub, "rawUpload").await?;
    let mut upload = Upload::start(&ctx, req.query_string()).await?;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| KojiError::generic(format!("error reading upload: {e}")))?;
        upload.write(chunk.to_vec()).await?;
    }
    let task = upload.task;
    let answer = upload.finish().await?;
    if let Some(task) = task {
        crate::live::announce_output(&ctx, task).await;
    }
    Ok(xmlrpc::Value::Struct(answer))
}

/// `Koji-Session-Id`/`-Key`/`-Callnum` headers, or the legacy query-string form unless `DisableURLSessions`.
struct SessionHeaders {
    id: i32,
    key: String,
    callnum: Option<i32>,
}

impl SessionHeaders {
    fn from_request(req: &HttpRequest, disable_url: bool) -> KojiResult<Option<Self>> {
        let header = |name: &str| req.headers().get(name).map(|v| v.to_str().map(str::to_owned));
        let bad = |what: &str| KojiError::Auth(format!("Invalid session or bad credentials: malformed {what}"));
        let (id, key, callnum) = match (header("Koji-Session-Id"), header("Koji-Session-Key")) {
            (Some(id), Some(key)) => {
                let callnum = header("Koji-Session-Callnum").or_else(|| header("Koji-Callnum"));
                (
                    id.map_err(|_| bad("session id"))?,
                    key.map_err(|_| bad("session key"))?,
                    callnum.transpose().map_err(|_| bad("callnum"))?,
                )
            }
            (None, None) if !disable_url => {
                let q = web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
                    .map(|q| q.into_inner())
                    .unwrap_or_default();
                match (q.get("session-id"), q.get("session-key")) {
                    (Some(id), Some(key)) => (id.clone(), key.clone(), q.get("callnum").cloned()),
                    _ => return Ok(None),
                }
            }
            (None, None) => return Ok(None),
            _ => return Err(KojiError::Auth("Invalid session or bad credentials: incomplete session headers".into())),
        };
        Ok(Some(SessionHeaders {
            id: id.trim().parse().map_err(|_| bad("session id"))?,
            key,
            callnum: callnum.map(|c| c.trim().parse()).transpose().map_err(|_| bad("callnum"))?,
        }))
    }
}
