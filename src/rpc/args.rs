//! Argument types shared by handlers: how Koji's loosely typed Python arguments arrive.

use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::Value;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A Python truth value: the CLI sends `nil` for many boolean options, and Python treats any value by its
/// truthiness, so `None`, `0`, `""` and empty containers are false.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Truthy;
        impl<'de> Visitor<'de> for Truthy {
            type Value = Flag;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value (interpreted by its truthiness)")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Flag, E> {
                Ok(Flag(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Flag, E> {
                Ok(Flag(v != 0))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Flag, E> {
                Ok(Flag(v != 0.0))
            }
            fn visit_str<E>(self, v: &str) -> Result<Flag, E> {
                Ok(Flag(!v.is_empty()))
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Flag, E> {
                Ok(Flag(!v.is_empty()))
            }
            fn visit_none<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_unit<E>(self) -> Result<Flag, E> {
                Ok(Flag(false))
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Flag, D::Error> {
                d.deserialize_any(Truthy)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Flag, A::Error> {
                let mut any = false;
                while seq.next_element::<de::IgnoredAny>()?.is_some() {
                    any = true;
                }
                Ok(Flag(any))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Flag, A::Error> {
                let mut any = false;
                while map.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {
                    any = true;
                }
                Ok(Flag(any))
            }
        }
        d.deserialize_any(Truthy)
    }
}

/// One value or a list of them: Koji's filters often take either (`state=1` or `state=[0, 1]`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(v) => vec![v],
            OneOrMany::Many(v) => v,
        }
    }
}

/// Koji's `*Info` arguments: an id, a name, or a struct with either.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum InfoRef {
    Id(i64),
    Name(String),
    Map { id: Option<i64>, name: Option<String>, krb_principal: Option<String> },
}

impl InfoRef {
    /// As Python's `%s` would show the argument ("Invalid hostInfo: builder1", "No such entry in table tag: f40").
    pub fn plain(&self) -> String {
        match self {
            InfoRef::Name(n) => n.clone(),
            other => other.to_string(),
        }
    }
}

impl fmt::Display for InfoRef {
    /// As Python's `%r` would show the argument in "No such …" messages.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            InfoRef::Id(i) => write!(f, "{i}"),
            InfoRef::Name(n) => write!(f, "'{n}'"),
            InfoRef::Map { id, name, .. } => match (id, name) {
                (Some(i), _) => write!(f, "{{'id': {i}}}"),
                (None, Some(n)) => write!(f, "{{'name': '{n}'}}"),
                _ => f.write_str("{}"),
            },
        }
    }
}

/// Koji's `convert_value(value, cast=str, check_only=True)`: a text argument must be a string, and the fault says
/// what came instead.
pub fn require_str(v: &Value) -> KojiResult<&str> {
    let (shown, class) = match v {
        Value::String(s) => return Ok(s),
        Value::Nil => return Err(KojiError::param("Invalid type, expected type <class 'str'>")),
        Value::Bool(b) => (if *b { "True".to_owned() } else { "False".to_owned() }, "bool"),
        Value::Int(i) => (i.to_string(), "int"),
        Value::Double(d) => (format!("{d:?}"), "float"),
        Value::Base64(_) => ("b'...'".to_owned(), "bytes"),
        Value::DateTime(t) => (t.clone(), "xmlrpc.client.DateTime"),
        Value::Array(_) => ("[...]".to_owned(), "list"),
        Value::Struct(_) => ("{...}".to_owned(), "dict"),
    };
    Err(KojiError::param(format!("Invalid type for value '{shown}': <class '{class}'>, expected type <class 'str'>")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::{Value, from_value};

    #[test]
    fn flags_follow_python_truthiness() {
        for (v, want) in [
            (Value::Nil, false),
            (Value::Bool(true), true),
            (Value::Int(0), false),
            (Value::Int(2), true),
            (Value::from(""), false),
            (Value::from("x"), true),
            (Value::Array(vec![]), false),
        ] {
            assert_eq!(from_value::<Flag>(v.clone()).unwrap(), Flag(want), "{v:?}");
        }
    }

    #[test]
    fn text_arguments_must_be_strings() {
        assert_eq!(require_str(&Value::from("x")).unwrap(), "x");
        assert_eq!(
            require_str(&Value::Int(5)).unwrap_err(),
            KojiError::param("Invalid type for value '5': <class 'int'>, expected type <class 'str'>")
        );
        assert_eq!(
            require_str(&Value::Nil).unwrap_err(),
            KojiError::param("Invalid type, expected type <class 'str'>")
        );
    }

    #[test]
    fn info_refs_take_ids_names_and_structs() {
        assert_eq!(from_value::<InfoRef>(Value::Int(3)).unwrap(), InfoRef::Id(3));
        assert_eq!(from_value::<InfoRef>(Value::from("bob")).unwrap(), InfoRef::Name("bob".into()));
        let mut s = crate::xmlrpc::Struct::new();
        s.insert("name".into(), Value::from("bob"));
        assert_eq!(
            from_value::<InfoRef>(Value::Struct(s)).unwrap(),
            InfoRef::Map { id: None, name: Some("bob".into()), krb_principal: None }
        );
    }
}

/// An integer given as a number or as its decimal text, as Koji's `convert_value(x, cast=int)` accepts (the CLI
/// passes some ids straight from its command line, e.g. `repoinfo 4`, `wait-repo-request 7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntArg(pub i32);

impl<'de> Deserialize<'de> for IntArg {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Int(i64),
            Text(String),
        }
        let n = match Given::deserialize(d)? {
            Given::Int(n) => n,
            Given::Text(s) => s.trim().parse().map_err(|_| de::Error::custom(format!("invalid integer: {s:?}")))?,
        };
        i32::try_from(n).map(IntArg).map_err(|_| de::Error::custom(format!("integer out of range: {n}")))
    }
}
