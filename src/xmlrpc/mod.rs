//! XML-RPC codec in the dialect spoken by the Koji 1.36 client and hub
//! (spec: `koji-api.md` §2): `<nil/>`, `<i8>`, Koji's `__starstar` keyword arguments, and
//! serde conversion between Rust types and [`Value`].

mod de;
mod decode;
mod encode;
mod ser;
mod value;

pub use de::from_value;
pub use decode::*;
pub use encode::*;
pub use ser::to_value;
pub use value::*;

/// Error converting between [`Value`] and Rust types ([`to_value`], [`from_value`]).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ValueError(pub String);

/// Koji keyword arguments: if the last param is a `Struct` whose `"__starstar"` member is
/// truthy, remove it from the params, remove the `"__starstar"` key, and return it as
/// kwargs. Otherwise the params are returned unchanged with empty kwargs.
pub fn split_kwargs(mut params: Vec<Value>) -> (Vec<Value>, Struct) {
    let is_kwargs = matches!(
        params.last(),
        Some(Value::Struct(s)) if s.get("__starstar").is_some_and(Value::truthy)
    );
    if is_kwargs && let Some(Value::Struct(mut kwargs)) = params.pop() {
        kwargs.remove("__starstar");
        return (params, kwargs);
    }
    (params, Struct::new())
}

/// A struct value from pairs, for tests.
#[cfg(test)]
pub(crate) fn test_struct(pairs: &[(&str, Value)]) -> Value {
    Value::Struct(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(pairs: &[(&str, Value)]) -> Struct {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn split_kwargs_takes_a_truthy_starstar_struct() {
        let params = vec![
            Value::String("f40-build".into()),
            Value::Struct(st(&[("strict", Value::Bool(true)), ("__starstar", Value::Bool(true))])),
        ];
        let (args, kwargs) = split_kwargs(params);
        assert_eq!(args, vec![Value::String("f40-build".into())]);
        assert_eq!(kwargs, st(&[("strict", Value::Bool(true))]));

        // Any truthy marker counts, and kwargs may end up empty.
        let (args, kwargs) = split_kwargs(vec![Value::Struct(st(&[("__starstar", Value::Int(1))]))]);
        assert!(args.is_empty());
        assert!(kwargs.is_empty());
    }

    #[test]
    fn split_kwargs_leaves_falsy_or_missing_markers_positional() {
        for falsy in [Value::Bool(false), Value::Int(0), Value::Nil, Value::String(String::new())] {
            let s = Value::Struct(st(&[("a", Value::Int(1)), ("__starstar", falsy)]));
            let (args, kwargs) = split_kwargs(vec![Value::Int(1), s.clone()]);
            assert_eq!(args, vec![Value::Int(1), s], "falsy marker must stay positional");
            assert!(kwargs.is_empty());
        }
        let plain = Value::Struct(st(&[("a", Value::Int(1))]));
        assert_eq!(split_kwargs(vec![plain.clone()]), (vec![plain], Struct::new()));
        // Only the last param is looked at.
        let marked = Value::Struct(st(&[("__starstar", Value::Bool(true))]));
        assert_eq!(split_kwargs(vec![marked.clone(), Value::Int(2)]), (vec![marked, Value::Int(2)], Struct::new()));
        assert_eq!(split_kwargs(vec![]), (vec![], Struct::new()));
        assert_eq!(split_kwargs(vec![Value::Nil]), (vec![Value::Nil], Struct::new()));
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct SslLoginKwargs {
        proxyuser: Option<String>,
        proxyauthtype: Option<i64>,
        #[serde(default)]
        renew: bool,
        exclusive: Option<bool>,
    }

    #[test]
    fn decode_split_and_convert_a_real_request() {
        // The renewal sslLogin from koji-api.md §1.5.
        let body = encode_call(
            "sslLogin",
            &[Value::Struct(st(&[
                ("proxyuser", Value::Nil),
                ("renew", Value::Bool(true)),
                ("exclusive", Value::Bool(false)),
                ("__starstar", Value::Bool(true)),
            ]))],
        );
        let call = parse_method_call(body.as_bytes(), Limits::default()).unwrap();
        assert_eq!(call.method, "sslLogin");
        let (args, kwargs) = split_kwargs(call.params);
        assert!(args.is_empty());
        let kw: SslLoginKwargs = from_value(Value::Struct(kwargs)).unwrap();
        assert_eq!(kw, SslLoginKwargs { proxyuser: None, proxyauthtype: None, renew: true, exclusive: Some(false) });
    }

    #[test]
    fn to_value_then_encode_then_decode_then_from_value() {
        #[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
        struct Host {
            id: i64,
            name: String,
            capacity: f64,
            comment: Option<String>,
            arches: Vec<String>,
            task_load: Option<f64>,
        }
        let h = Host {
            id: 1 << 40,
            name: "builder<1>&".into(),
            capacity: 4.0,
            comment: None,
            arches: vec!["x86_64".into(), "i686".into()],
            task_load: Some(0.5),
        };
        let doc = encode_response(&to_value(&h).unwrap());
        assert!(doc.contains("<i8>1099511627776</i8>"), "{doc}");
        assert!(doc.contains("<double>4.0</double>"), "{doc}");
        assert!(doc.contains("<name>comment</name>\n<value><nil/></value>"), "{doc}");
        let v = parse_method_response(doc.as_bytes(), Limits::default()).unwrap().unwrap();
        assert_eq!(from_value::<Host>(v).unwrap(), h);
    }

    #[test]
    fn value_error_displays_its_message() {
        assert_eq!(ValueError("boom".into()).to_string(), "boom");
    }
}
