//! A minimal XML-RPC client for tests that make many calls (no Python start-up per call): the crate's own
//! codec over the harness's raw HTTP, with Koji's session headers and callnum.

use super::hub::Hub;
use koji_rs::xmlrpc::{self, Fault, Limits, Struct, Value};

pub struct Rpc<'h> {
    hub: &'h Hub,
    session: Option<(String, String)>,
    callnum: i64,
}

impl<'h> Rpc<'h> {
    pub fn anonymous(hub: &'h Hub) -> Self {
        Rpc { hub, session: None, callnum: 0 }
    }

    /// Logs in with a password (`login`), as the CLI does.
    pub fn login(hub: &'h Hub, user: &str, password: &str) -> Self {
        let mut rpc = Rpc::anonymous(hub);
        let sinfo =
            rpc.call("login", vec![user.into(), password.into()]).unwrap_or_else(|f| panic!("login {user}: {f}"));
        let s = sinfo.as_struct().expect("sinfo struct");
        let id = s["session-id"].as_i64().expect("session id").to_string();
        let key = s["session-key"].as_str().expect("session key").to_owned();
        rpc.session = Some((id, key));
        rpc
    }

    /// The `Koji-Session-*` headers of this client's session.
    pub fn session_headers(&self) -> Vec<(String, String)> {
        match &self.session {
            Some((id, key)) => vec![("Koji-Session-Id".into(), id.clone()), ("Koji-Session-Key".into(), key.clone())],
            None => vec![],
        }
    }

    pub fn call(&mut self, method: &str, params: Vec<Value>) -> Result<Value, Fault> {
        let body = xmlrpc::encode_call(method, &params);
        let callnum = self.callnum.to_string();
        let mut headers: Vec<(String, String)> = vec![("Content-Type".into(), "text/xml".into())];
        if self.session.is_some() {
            headers.extend(self.session_headers());
            headers.push(("Koji-Session-Callnum".into(), callnum));
            self.callnum += 1;
        }
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = self.hub.post_raw("/kojihub", &h, body.as_bytes());
        assert_eq!(r.status, 200, "{method}: HTTP {} {}", r.status, r.text());
        xmlrpc::parse_method_response(&r.body, Limits::default())
            .unwrap_or_else(|e| panic!("{method}: bad response {e}"))
    }

    /// Calls and panics on a fault.
    pub fn ok(&mut self, method: &str, params: Vec<Value>) -> Value {
        self.call(method, params).unwrap_or_else(|f| panic!("{method}: {f}"))
    }
}

/// Keyword arguments, sent the Koji way (a trailing struct with `__starstar`).
pub fn kwargs(pairs: &[(&str, Value)]) -> Value {
    let mut s: Struct = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    s.insert("__starstar".into(), Value::Bool(true));
    Value::Struct(s)
}
