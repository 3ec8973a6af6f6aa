//! Versions, introspection, echo and the two multicall entry points.

use crate::fault::KojiResult;
use crate::rpc::registry::Registry;
use crate::rpc::{self, API_VERSION, CallCtx, KOJI_VERSION};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct NoArgs {}

#[derive(Deserialize)]
struct VarArgs {
    args: Vec<Value>,
}

#[derive(Deserialize)]
struct MethodName {
    method: String,
}

#[derive(Deserialize)]
struct Calls {
    calls: Vec<Value>,
}

async fn api_version(_: CallCtx, _: NoArgs) -> KojiResult<i64> {
    Ok(API_VERSION)
}

async fn koji_version(_: CallCtx, _: NoArgs) -> KojiResult<&'static str> {
    Ok(KOJI_VERSION)
}

async fn echo(_: CallCtx, a: VarArgs) -> KojiResult<Vec<Value>> {
    Ok(a.args)
}

async fn hello(_: CallCtx, _: VarArgs) -> KojiResult<&'static str> {
    Ok("Hello World")
}

async fn list_methods(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<String>> {
    Ok(ctx.hub.registry.methods().map(|m| m.name.clone()).collect())
}

async fn method_help(ctx: CallCtx, a: MethodName) -> KojiResult<String> {
    Ok(match ctx.hub.registry.get(&a.method) {
        Some(m) => format!("{}{}\ndescription: {}", m.name, m.argdesc(), m.doc),
        None => String::new(),
    })
}

async fn method_signature(_: CallCtx, _: MethodName) -> KojiResult<&'static str> {
    Ok("signatures not supported")
}

/// `_listapi`, which `koji list-api` prints: name, doc, Python-style argspec and argdesc for every method.
async fn list_api(ctx: CallCtx, _: NoArgs) -> KojiResult<Vec<Struct>> {
    Ok(ctx
        .hub
        .registry
        .methods()
        .map(|m| {
            let names: Vec<Value> = m.params.iter().map(|p| Value::from(p.name.as_str())).collect();
            let defaults: Vec<Value> =
                m.params.iter().filter_map(|p| p.default.as_ref().map(|(_, v)| v.clone())).collect();
            let args: Vec<Value> = m
                .params
                .iter()
                .map(|p| match &p.default {
                    Some((_, v)) => Value::Array(vec![Value::from(p.name.as_str()), v.clone()]),
                    None => Value::from(p.name.as_str()),
                })
                .chain(m.varargs.iter().chain(&m.varkw).map(|n| Value::from(n.as_str())))
                .collect();
            let argspec = vec![
                Value::Array(names),
                m.varargs.as_deref().map(Value::from).unwrap_or(Value::Nil),
                m.varkw.as_deref().map(Value::from).unwrap_or(Value::Nil),
                if defaults.is_empty() { Value::Nil } else { Value::Array(defaults) },
                Value::Array(vec![]),
                Value::Nil,
                Value::Struct(Struct::new()),
            ];
            let mut s = Struct::new();
            s.insert("name".into(), Value::from(m.name.as_str()));
            s.insert("doc".into(), Value::from(m.doc));
            s.insert("argspec".into(), Value::Array(argspec));
            s.insert("argdesc".into(), Value::from(m.argdesc()));
            s.insert("args".into(), Value::Array(args));
            s
        })
        .collect())
}

async fn multicall(ctx: CallCtx, a: Calls) -> KojiResult<Vec<Value>> {
    rpc::multicall(&ctx, a.calls).await
}

pub fn register(r: &mut Registry) {
    r.add("getAPIVersion", "", "The XML-RPC API version (1).", api_version);
    r.add("getKojiVersion", "", "The Koji version this hub is compatible with.", koji_version);
    r.add("echo", "*args", "Return the arguments.", echo);
    r.add("hello", "*args", "Say hello.", hello);
    r.add("system.listMethods", "", "Names of every method.", list_methods);
    r.add("system.methodHelp", "method", "Signature and description of a method.", method_help);
    r.add("system.methodSignature", "method", "Not supported (as in Koji).", method_signature);
    r.add("_listapi", "", "Every method with its signature and description.", list_api);
    r.add(
        "multiCall",
        "calls",
        "Run several calls in one request; each result is [value] or a fault struct.",
        multicall,
    );
    r.add("system.multicall", "calls", "Same as multiCall.", multicall);
}
