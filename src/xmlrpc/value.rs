//! The XML-RPC value model.

use std::collections::BTreeMap;
use std::fmt;

/// An XML-RPC `<struct>`: member names to values, sorted by name.
pub type Struct = BTreeMap<String, Value>;

/// One XML-RPC value.
///
/// Dropping, cloning, comparing or debug-printing a `Value` recurses once per
/// array/struct level. Decoded values are bounded by [`super::Limits::max_depth`].
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `<nil/>` (Python `None`).
    #[default]
    Nil,
    /// `<boolean>`.
    Bool(bool),
    /// `<int>`, `<i4>` and `<i8>` all decode to this. The encoder writes `<int>`
    /// when the value fits in an i32 and `<i8>` otherwise.
    Int(i64),
    /// `<double>`.
    Double(f64),
    /// `<string>`, or bare text inside `<value>`. An empty `<value/>` is `String("")`.
    String(String),
    /// `<base64>`, decoded.
    Base64(Vec<u8>),
    /// `<dateTime.iso8601>`, kept as its raw (trimmed) text.
    DateTime(String),
    /// `<array><data>…</data></array>`.
    Array(Vec<Value>),
    /// `<struct>`.
    Struct(Struct),
}

impl Value {
    /// The string inside a `String` value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside an `Int` value.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// The boolean inside a `Bool` value.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The elements of an `Array` value.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members of a `Struct` value.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// `true` for `Nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    /// Python truthiness: `Nil`, `false`, `0`, `0.0`, `""`, empty bytes, an empty
    /// array and an empty struct are false; everything else (including NaN and any
    /// dateTime) is true.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Double(d) => *d != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Base64(b) => !b.is_empty(),
            Value::DateTime(_) => true,
            Value::Array(a) => !a.is_empty(),
            Value::Struct(s) => !s.is_empty(),
        }
    }

    /// The XML-RPC type name: `"nil"`, `"bool"`, `"int"`, `"double"`, `"string"`,
    /// `"base64"`, `"dateTime"`, `"array"` or `"struct"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Nil => "nil",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Double(_) => "double",
            Value::String(_) => "string",
            Value::Base64(_) => "base64",
            Value::DateTime(_) => "dateTime",
            Value::Array(_) => "array",
            Value::Struct(_) => "struct",
        }
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Int(i64::from(v))
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        match v {
            Some(v) => v.into(),
            None => Value::Nil,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// serde support for `Value` itself, so that `Value`/`Struct` can be fields of derived types.
// `DateTime` serializes as a plain string (serde has no date type).

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Value::Nil => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(i) => serializer.serialize_i64(*i),
            Value::Double(d) => serializer.serialize_f64(*d),
            Value::String(s) | Value::DateTime(s) => serializer.serialize_str(s),
            Value::Base64(b) => serializer.serialize_bytes(b),
            Value::Array(a) => {
                let mut seq = serializer.serialize_seq(Some(a.len()))?;
                for v in a {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Value::Struct(s) => {
                let mut map = serializer.serialize_map(Some(s.len()))?;
                for (k, v) in s {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any XML-RPC value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .map_err(|_| E::custom(format!("integer {v} is out of range for XML-RPC (i64)")))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Double(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Base64(v.to_vec()))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Base64(v))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Nil)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }

    fn visit_newtype_struct<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(ValueVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element()? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Struct::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            out.insert(k, v);
        }
        Ok(Value::Struct(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessors() {
        assert_eq!(Value::from("x").as_str(), Some("x"));
        assert_eq!(Value::Int(3).as_str(), None);
        assert_eq!(Value::Int(3).as_i64(), Some(3));
        assert_eq!(Value::Bool(true).as_i64(), None);
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(Value::Int(1).as_bool(), None);
        assert_eq!(Value::Array(vec![Value::Nil]).as_array(), Some(&[Value::Nil][..]));
        let mut s = Struct::new();
        s.insert("a".into(), Value::Int(1));
        assert_eq!(Value::Struct(s.clone()).as_struct(), Some(&s));
        assert!(Value::Nil.is_nil());
        assert!(!Value::String(String::new()).is_nil());
    }

    #[test]
    fn truthiness() {
        let falsy = [
            Value::Nil,
            Value::Bool(false),
            Value::Int(0),
            Value::Double(0.0),
            Value::Double(-0.0),
            Value::String(String::new()),
            Value::Base64(vec![]),
            Value::Array(vec![]),
            Value::Struct(Struct::new()),
        ];
        for v in &falsy {
            assert!(!v.truthy(), "{v:?} should be falsy");
        }
        let truthy = [
            Value::Bool(true),
            Value::Int(-1),
            Value::Double(0.5),
            Value::Double(f64::NAN),
            Value::String("0".into()),
            Value::Base64(vec![0]),
            Value::DateTime(String::new()),
            Value::Array(vec![Value::Nil]),
            Value::Struct([("a".to_string(), Value::Nil)].into()),
        ];
        for v in &truthy {
            assert!(v.truthy(), "{v:?} should be truthy");
        }
    }

    #[test]
    fn type_names() {
        let names: Vec<_> = [
            Value::Nil,
            Value::Bool(true),
            Value::Int(1),
            Value::Double(1.0),
            Value::String("s".into()),
            Value::Base64(vec![]),
            Value::DateTime("d".into()),
            Value::Array(vec![]),
            Value::Struct(Struct::new()),
        ]
        .iter()
        .map(Value::type_name)
        .collect();
        assert_eq!(names, ["nil", "bool", "int", "double", "string", "base64", "dateTime", "array", "struct"]);
    }

    #[test]
    fn from_impls() {
        assert_eq!(Value::from(true), Value::Bool(true));
        assert_eq!(Value::from(-5i32), Value::Int(-5));
        assert_eq!(Value::from(1i64 << 40), Value::Int(1 << 40));
        assert_eq!(Value::from(u32::MAX), Value::Int(4_294_967_295));
        assert_eq!(Value::from(2.5f64), Value::Double(2.5));
        assert_eq!(Value::from("a"), Value::String("a".into()));
        assert_eq!(Value::from(String::from("b")), Value::String("b".into()));
        assert_eq!(Value::from(vec![Value::Int(1)]), Value::Array(vec![Value::Int(1)]));
        assert_eq!(Value::from(Struct::new()), Value::Struct(Struct::new()));
        assert_eq!(Value::from(None::<i64>), Value::Nil);
        assert_eq!(Value::from(Some("x")), Value::String("x".into()));
        assert_eq!(Value::default(), Value::Nil);
    }
}
