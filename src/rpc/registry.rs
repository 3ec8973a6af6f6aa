//! The method table: every XML-RPC method is a typed async Rust function registered with a Python-style
//! signature (`"userInfo=None, strict=False"`), which drives argument binding (positional + `__starstar`
//! keyword arguments, with Python's error messages as `ParameterError`), `_listapi` and `system.methodHelp`.
//! `*args` collects extra positional arguments into an array, `**kwargs` extra keyword arguments into a struct
//! (Koji's `editTag2(tagInfo, **kwargs)` tells an absent option from one given as `None`).

use super::CallCtx;
use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{self, Struct, Value};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

pub type HandlerFn = Arc<dyn Fn(CallCtx, Struct) -> LocalBoxFuture<'static, KojiResult<Value>> + Send + Sync>;

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    /// The Python literal shown by `_listapi`, and its value when the argument is not given.
    pub default: Option<(String, Value)>,
}

#[derive(Clone)]
pub struct Method {
    pub name: String,
    pub params: Vec<Param>,
    pub varargs: Option<String>,
    pub varkw: Option<String>,
    pub doc: &'static str,
    pub handler: HandlerFn,
}

#[derive(Default, Clone)]
pub struct Registry {
    methods: BTreeMap<String, Method>,
}

impl Registry {
    /// Registers `f` under `name`. `f` receives the bound arguments deserialized into `A`, a struct whose fields
    /// are the parameter names of `signature`.
    pub fn add<A, R, F, Fut>(&mut self, name: &str, signature: &str, doc: &'static str, f: F)
    where
        A: DeserializeOwned + 'static,
        R: Serialize + 'static,
        F: Fn(CallCtx, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = KojiResult<R>> + 'static,
    {
        let Signature { params, varargs, varkw } =
            parse_signature(signature).unwrap_or_else(|e| panic!("bad signature for {name}: {e}"));
        let f = Arc::new(f);
        let method_name = name.to_owned();
        let handler: HandlerFn = Arc::new(move |ctx, args| {
            let f = f.clone();
            let method_name = method_name.clone();
            Box::pin(async move {
                let args: A = xmlrpc::from_value(Value::Struct(args))
                    .map_err(|e| KojiError::param(format!("{method_name}(): {e}")))?;
                let result = f(ctx, args).await?;
                xmlrpc::to_value(&result).map_err(|e| KojiError::Internal(e.to_string()))
            })
        });
        let method = Method { name: name.to_owned(), params, varargs, varkw, doc, handler };
        assert!(self.methods.insert(name.to_owned(), method).is_none(), "method {name} registered twice");
    }

    pub fn get(&self, name: &str) -> Option<&Method> {
        self.methods.get(name)
    }

    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        self.methods.values()
    }
}

impl Method {
    /// Binds positional and keyword arguments to the parameters the way Python's call does.
    pub fn bind(&self, args: Vec<Value>, mut kwargs: Struct) -> KojiResult<Struct> {
        let name = &self.name;
        let mut bound = Struct::new();
        let mut extra = vec![];
        for (i, value) in args.into_iter().enumerate() {
            match self.params.get(i) {
                Some(p) => {
                    bound.insert(p.name.clone(), value);
                }
                None => extra.push(value),
            }
        }
        if !extra.is_empty() && self.varargs.is_none() {
            let given = self.params.len() + extra.len();
            return Err(KojiError::param(format!(
                "{name}() takes {} positional argument{} but {given} were given",
                self.arity_text(),
                if self.params.len() == 1 { "" } else { "s" }
            )));
        }
        for p in &self.params {
            if let Some(v) = kwargs.remove(&p.name) {
                if bound.contains_key(&p.name) {
                    return Err(KojiError::param(format!("{name}() got multiple values for argument '{}'", p.name)));
                }
                bound.insert(p.name.clone(), v);
            }
        }
        if let Some(k) = kwargs.keys().next().filter(|_| self.varkw.is_none()) {
            return Err(KojiError::param(format!("{name}() got an unexpected keyword argument '{k}'")));
        }
        let missing: Vec<&str> = self
            .params
            .iter()
            .filter(|p| p.default.is_none() && !bound.contains_key(&p.name))
            .map(|p| p.name.as_str())
            .collect();
        if !missing.is_empty() {
            let list = missing.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(" and ");
            return Err(KojiError::param(format!(
                "{name}() missing {} required positional argument{}: {list}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" }
            )));
        }
        for p in &self.params {
            if let (false, Some((_, default))) = (bound.contains_key(&p.name), &p.default) {
                bound.insert(p.name.clone(), default.clone());
            }
        }
        if let Some(va) = &self.varargs {
            bound.insert(va.clone(), Value::Array(extra));
        }
        if let Some(kw) = &self.varkw {
            bound.insert(kw.clone(), Value::Struct(kwargs));
        }
        Ok(bound)
    }

    fn arity_text(&self) -> String {
        let required = self.params.iter().filter(|p| p.default.is_none()).count();
        if required == self.params.len() {
            required.to_string()
        } else {
            format!("from {required} to {}", self.params.len())
        }
    }

    /// `(tagInfo, strict=False, event=None)` as Python's inspect prints it.
    pub fn argdesc(&self) -> String {
        let mut parts: Vec<String> = self
            .params
            .iter()
            .map(|p| match &p.default {
                Some((text, _)) => format!("{}={text}", p.name),
                None => p.name.clone(),
            })
            .collect();
        if let Some(va) = &self.varargs {
            parts.push(format!("*{va}"));
        }
        if let Some(kw) = &self.varkw {
            parts.push(format!("**{kw}"));
        }
        format!("({})", parts.join(", "))
    }
}

struct Signature {
    params: Vec<Param>,
    varargs: Option<String>,
    varkw: Option<String>,
}

fn parse_signature(sig: &str) -> Result<Signature, String> {
    let mut params = vec![];
    let (mut varargs, mut varkw) = (None, None);
    for part in sig.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some(kw) = part.strip_prefix("**") {
            varkw = Some(kw.to_owned());
            continue;
        }
        if let Some(va) = part.strip_prefix('*') {
            varargs = Some(va.to_owned());
            continue;
        }
        match part.split_once('=') {
            None => params.push(Param { name: part.to_owned(), default: None }),
            Some((n, d)) => {
                let d = d.trim();
                params.push(Param { name: n.trim().to_owned(), default: Some((d.to_owned(), python_literal(d)?)) });
            }
        }
    }
    Ok(Signature { params, varargs, varkw })
}

fn python_literal(text: &str) -> Result<Value, String> {
    Ok(match text {
        "None" => Value::Nil,
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        _ if text.starts_with('\'') && text.ends_with('\'') && text.len() >= 2 => {
            Value::String(text[1..text.len() - 1].into())
        }
        _ => match text.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => text.parse::<f64>().map(Value::Double).map_err(|_| format!("unsupported default {text}"))?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(sig: &str) -> Method {
        let Signature { params, varargs, varkw } = parse_signature(sig).unwrap();
        Method {
            name: "getUser".into(),
            params,
            varargs,
            varkw,
            doc: "",
            handler: Arc::new(|_, _| Box::pin(async { Ok(Value::Nil) })),
        }
    }

    #[test]
    fn binds_positional_keyword_and_defaults() {
        let m = method("userInfo=None, strict=False, krb_princs=True");
        let mut kw = Struct::new();
        kw.insert("strict".into(), Value::Bool(true));
        let b = m.bind(vec![Value::from("bob")], kw).unwrap();
        assert_eq!(b["userInfo"], Value::from("bob"));
        assert_eq!(b["strict"], Value::Bool(true));
        assert_eq!(b["krb_princs"], Value::Bool(true));
        assert_eq!(m.argdesc(), "(userInfo=None, strict=False, krb_princs=True)");
    }

    #[test]
    fn python_errors_for_bad_calls() {
        let m = method("userInfo=None, strict=False");
        let e = m.bind(vec![Value::Nil, Value::Nil, Value::Nil], Struct::new()).unwrap_err();
        assert_eq!(e, KojiError::param("getUser() takes from 0 to 2 positional arguments but 3 were given"));
        let mut kw = Struct::new();
        kw.insert("all_volumes".into(), Value::Bool(true));
        let e = m.bind(vec![], kw).unwrap_err();
        assert_eq!(e, KojiError::param("getUser() got an unexpected keyword argument 'all_volumes'"));
        let mut kw = Struct::new();
        kw.insert("userInfo".into(), Value::Nil);
        let e = m.bind(vec![Value::Nil], kw).unwrap_err();
        assert_eq!(e, KojiError::param("getUser() got multiple values for argument 'userInfo'"));
        let m = method("perm, strict=False");
        let e = m.bind(vec![], Struct::new()).unwrap_err();
        assert_eq!(e, KojiError::param("getUser() missing 1 required positional argument: 'perm'"));
    }

    #[test]
    fn varargs_collect_the_rest() {
        let m = method("*args");
        let b = m.bind(vec![Value::Int(1), Value::from("x")], Struct::new()).unwrap();
        assert_eq!(b["args"], Value::Array(vec![Value::Int(1), Value::from("x")]));
        assert_eq!(m.argdesc(), "(*args)");
    }

    #[test]
    fn varkw_collect_unknown_keywords() {
        let m = method("tagInfo, **kwargs");
        let mut kw = Struct::new();
        kw.insert("perm".into(), Value::Nil);
        let b = m.bind(vec![Value::from("f40")], kw.clone()).unwrap();
        assert_eq!(b["tagInfo"], Value::from("f40"));
        assert_eq!(b["kwargs"], Value::Struct(kw));
        let b = m.bind(vec![Value::from("f40")], Struct::new()).unwrap();
        assert_eq!(b["kwargs"], Value::Struct(Struct::new()));
        assert_eq!(m.argdesc(), "(tagInfo, **kwargs)");
    }
}
