//! [`Value`] → `serde::Deserialize`.

use serde::de::{self, DeserializeOwned, DeserializeSeed, Expected, IntoDeserializer, Unexpected, Visitor};
use serde::forward_to_deserialize_any;

use super::ValueError;
use super::value::{Struct, Value};

/// Convert an XML-RPC [`Value`] into any deserializable type.
///
/// `Nil` is `None`/`()`; `Int` also deserializes into floats; `Base64` into bytes;
/// `DateTime` into strings; enums come from a string (unit variant) or a single-member
/// struct (`{variant: inner}`). Unknown struct members are ignored unless the target uses
/// `deny_unknown_fields`. Error messages name what was expected and what was found,
/// e.g. `invalid type: string "abc", expected i64`.
pub fn from_value<T: DeserializeOwned>(v: Value) -> Result<T, ValueError> {
    T::deserialize(v)
}

impl de::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

/// Longest string/bytes quoted in a type error.
const MAX_QUOTE: usize = 64;

/// `invalid type: <what v is>, expected <exp>`, without quoting huge strings.
fn invalid_type(v: &Value, exp: &dyn Expected) -> ValueError {
    let unexpected = match v {
        Value::Nil => Unexpected::Other("nil"),
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Int(i) => Unexpected::Signed(*i),
        Value::Double(d) => Unexpected::Float(*d),
        Value::String(s) if s.len() <= MAX_QUOTE => Unexpected::Str(s),
        Value::String(s) => {
            let mut end = MAX_QUOTE;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            let desc = format!("string {:?}…", &s[..end]);
            return de::Error::invalid_type(Unexpected::Other(&desc), exp);
        }
        Value::Base64(_) => Unexpected::Other("base64 data"),
        Value::DateTime(_) => Unexpected::Other("dateTime"),
        Value::Array(_) => Unexpected::Other("array"),
        Value::Struct(_) => Unexpected::Other("struct"),
    };
    de::Error::invalid_type(unexpected, exp)
}

impl<'de> IntoDeserializer<'de, ValueError> for Value {
    type Deserializer = Value;

    fn into_deserializer(self) -> Value {
        self
    }
}

fn visit_array<'de, V: Visitor<'de>>(items: Vec<Value>, visitor: V) -> Result<V::Value, ValueError> {
    let len = items.len();
    let mut seq = SeqAccess { iter: items.into_iter() };
    let out = visitor.visit_seq(&mut seq)?;
    if seq.iter.len() != 0 {
        return Err(de::Error::invalid_length(len, &"fewer elements in array"));
    }
    Ok(out)
}

fn visit_struct<'de, V: Visitor<'de>>(members: Struct, visitor: V) -> Result<V::Value, ValueError> {
    visitor.visit_map(MapAccess { iter: members.into_iter(), value: None })
}

macro_rules! deserialize_int {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self {
                Value::Int(i) => visitor.visit_i64(i),
                other => Err(invalid_type(&other, &visitor)),
            }
        }
    )*};
}

macro_rules! deserialize_float {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self {
                Value::Double(d) => visitor.visit_f64(d),
                Value::Int(i) => visitor.visit_f64(i as f64),
                other => Err(invalid_type(&other, &visitor)),
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Nil => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Int(i) => visitor.visit_i64(i),
            Value::Double(d) => visitor.visit_f64(d),
            Value::String(s) | Value::DateTime(s) => visitor.visit_string(s),
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::Array(a) => visit_array(a, visitor),
            Value::Struct(s) => visit_struct(s, visitor),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Bool(b) => visitor.visit_bool(b),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    deserialize_int!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    deserialize_float!(deserialize_f32 deserialize_f64);

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::String(s) | Value::DateTime(s) => visitor.visit_string(s),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Base64(b) => visitor.visit_byte_buf(b),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(a) => visit_array(a, visitor),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Nil => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Nil => visitor.visit_unit(),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Array(a) => visit_array(a, visitor),
            // Lets `Vec<u8>` (a sequence to serde) come from `<base64>`.
            Value::Base64(b) => {
                let mut seq = de::value::SeqDeserializer::new(b.into_iter());
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self {
            Value::Struct(s) => visit_struct(s, visitor),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_map(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self {
            Value::String(variant) => visitor.visit_enum(EnumAccess { variant, value: None }),
            Value::Struct(members) if members.len() == 1 => match members.into_iter().next() {
                Some((variant, value)) => visitor.visit_enum(EnumAccess { variant, value: Some(value) }),
                None => Err(ValueError("empty struct".into())),
            },
            Value::Struct(members) => Err(de::Error::invalid_value(
                Unexpected::Other(&format!("struct with {} members", members.len())),
                &"a string or a struct with exactly one member",
            )),
            other => Err(invalid_type(&other, &visitor)),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        drop(self);
        visitor.visit_unit()
    }
}

struct SeqAccess {
    iter: std::vec::IntoIter<Value>,
}

impl<'de> de::SeqAccess<'de> for SeqAccess {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, ValueError> {
        match self.iter.next() {
            Some(v) => seed.deserialize(v).map(Some),
            None => Ok(None),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

struct MapAccess {
    iter: std::collections::btree_map::IntoIter<String, Value>,
    value: Option<Value>,
}

impl<'de> de::MapAccess<'de> for MapAccess {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, ValueError> {
        match self.iter.next() {
            Some((k, v)) => {
                self.value = Some(v);
                seed.deserialize(KeyDeserializer(k)).map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, ValueError> {
        match self.value.take() {
            Some(v) => seed.deserialize(v),
            None => Err(ValueError("struct value requested before its key".into())),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.iter.len())
    }
}

/// A struct member name. Integer targets (e.g. `HashMap<i64, _>`) parse the name, which is
/// how Koji sends integer dict keys.
struct KeyDeserializer(String);

macro_rules! deserialize_key_int {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            match self.0.parse::<i64>() {
                Ok(i) => visitor.visit_i64(i),
                Err(_) => match self.0.parse::<u64>() {
                    Ok(u) => visitor.visit_u64(u),
                    Err(_) => Err(de::Error::invalid_type(Unexpected::Str(&self.0), &visitor)),
                },
            }
        }
    )*};
}

impl<'de> de::Deserializer<'de> for KeyDeserializer {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_string(self.0)
    }

    deserialize_key_int!(deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128);

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_enum(EnumAccess { variant: self.0, value: None })
    }

    forward_to_deserialize_any! {
        bool f32 f64 char str string bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

struct EnumAccess {
    variant: String,
    value: Option<Value>,
}

impl<'de> de::EnumAccess<'de> for EnumAccess {
    type Error = ValueError;
    type Variant = VariantAccess;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, VariantAccess), ValueError> {
        let variant = seed.deserialize(KeyDeserializer(self.variant))?;
        Ok((variant, VariantAccess(self.value)))
    }
}

struct VariantAccess(Option<Value>);

impl<'de> de::VariantAccess<'de> for VariantAccess {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.0 {
            None | Some(Value::Nil) => Ok(()),
            Some(other) => Err(invalid_type(&other, &"unit variant")),
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, ValueError> {
        match self.0 {
            Some(v) => seed.deserialize(v),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"newtype variant")),
        }
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(v) => de::Deserializer::deserialize_seq(v, visitor),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"tuple variant")),
        }
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Some(v) => de::Deserializer::deserialize_map(v, visitor),
            None => Err(de::Error::invalid_type(Unexpected::UnitVariant, &"struct variant")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Deserialize;

    use super::*;

    use crate::xmlrpc::test_struct as st;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    fn err<T: DeserializeOwned + std::fmt::Debug>(v: Value) -> String {
        match from_value::<T>(v) {
            Ok(t) => panic!("expected an error, got {t:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn primitives() {
        assert!(from_value::<bool>(Value::Bool(true)).unwrap());
        assert_eq!(from_value::<i64>(Value::Int(-9)).unwrap(), -9);
        assert_eq!(from_value::<u8>(Value::Int(255)).unwrap(), 255);
        assert_eq!(from_value::<i32>(Value::Int(-5)).unwrap(), -5);
        assert_eq!(from_value::<u64>(Value::Int(7)).unwrap(), 7);
        assert_eq!(from_value::<i128>(Value::Int(7)).unwrap(), 7);
        assert_eq!(from_value::<f64>(Value::Double(2.5)).unwrap(), 2.5);
        assert_eq!(from_value::<f64>(Value::Int(4)).unwrap(), 4.0);
        assert_eq!(from_value::<f32>(Value::Int(4)).unwrap(), 4.0);
        assert_eq!(from_value::<String>(s("x")).unwrap(), "x");
        assert_eq!(from_value::<char>(s("x")).unwrap(), 'x');
        assert_eq!(from_value::<String>(Value::DateTime("20250102T03:04:05".into())).unwrap(), "20250102T03:04:05");
        from_value::<()>(Value::Nil).unwrap();
        assert_eq!(from_value::<Option<i64>>(Value::Nil).unwrap(), None);
        assert_eq!(from_value::<Option<i64>>(Value::Int(3)).unwrap(), Some(3));
        assert_eq!(from_value::<Option<Option<i64>>>(Value::Int(3)).unwrap(), Some(Some(3)));
        assert_eq!(from_value::<Vec<u8>>(Value::Base64(vec![1, 2])).unwrap(), vec![1, 2]);
        assert_eq!(from_value::<Vec<u8>>(Value::Array(vec![Value::Int(3)])).unwrap(), vec![3]);
        assert_eq!(
            from_value::<(i64, String, Option<bool>)>(Value::Array(vec![Value::Int(1), s("a"), Value::Nil])).unwrap(),
            (1, "a".to_string(), None)
        );
    }

    /// A type that asks for bytes (like `serde_bytes::ByteBuf`).
    #[derive(Debug, PartialEq)]
    struct Blob(Vec<u8>);

    impl<'de> Deserialize<'de> for Blob {
        fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct V;
            impl<'de> Visitor<'de> for V {
                type Value = Blob;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("bytes")
                }
                fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Blob, E> {
                    Ok(Blob(v))
                }
                fn visit_str<E>(self, v: &str) -> Result<Blob, E> {
                    Ok(Blob(v.as_bytes().to_vec()))
                }
            }
            d.deserialize_byte_buf(V)
        }
    }

    #[test]
    fn bytes() {
        assert_eq!(from_value::<Blob>(Value::Base64(vec![0, 255])).unwrap(), Blob(vec![0, 255]));
        assert_eq!(from_value::<Blob>(s("ab")).unwrap(), Blob(b"ab".to_vec()));
        assert_eq!(err::<Blob>(Value::Int(1)), "invalid type: integer `1`, expected bytes");
    }

    #[test]
    fn type_errors_say_expected_and_found() {
        assert_eq!(err::<i64>(s("abc")), "invalid type: string \"abc\", expected i64");
        assert_eq!(err::<i64>(Value::Nil), "invalid type: nil, expected i64");
        assert_eq!(err::<i64>(Value::Double(1.5)), "invalid type: floating point `1.5`, expected i64");
        assert_eq!(err::<String>(Value::Int(5)), "invalid type: integer `5`, expected a string");
        assert_eq!(err::<bool>(Value::Int(1)), "invalid type: integer `1`, expected a boolean");
        assert_eq!(err::<Vec<i64>>(st(&[])), "invalid type: struct, expected a sequence");
        assert_eq!(err::<HashMap<String, i64>>(Value::Array(vec![])), "invalid type: array, expected a map");
        assert_eq!(err::<String>(Value::Base64(vec![1])), "invalid type: base64 data, expected a string");
        assert_eq!(err::<u8>(Value::Int(300)), "invalid value: integer `300`, expected u8");
        assert_eq!(err::<u32>(Value::Int(-1)), "invalid value: integer `-1`, expected u32");
        assert_eq!(err::<()>(Value::Int(0)), "invalid type: integer `0`, expected unit");
        assert_eq!(
            err::<(i64, i64)>(Value::Array(vec![Value::Int(1), Value::Int(2), Value::Int(3)])),
            "invalid length 3, expected fewer elements in array"
        );
        assert_eq!(
            err::<(i64, i64)>(Value::Array(vec![Value::Int(1)])),
            "invalid length 1, expected a tuple of size 2"
        );
        // Huge strings are not quoted in full.
        let msg = err::<i64>(s(&"y".repeat(10_000)));
        assert!(msg.starts_with("invalid type: string \"yyyy"), "{msg}");
        assert!(msg.len() < 150, "{msg}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Opts {
        name: String,
        arches: Option<String>,
        #[serde(default)]
        locked: bool,
        maven_support: Option<bool>,
        perm: Option<Value>,
        extra: Option<Struct>,
    }

    #[test]
    fn derived_struct_with_options() {
        let v = st(&[
            ("name", s("f40")),
            ("arches", Value::Nil),
            ("unknown", Value::Int(1)),
            ("maven_support", Value::Bool(true)),
        ]);
        assert_eq!(
            from_value::<Opts>(v).unwrap(),
            Opts {
                name: "f40".into(),
                arches: None,
                locked: false,
                maven_support: Some(true),
                perm: None,
                extra: None
            }
        );
        let v = st(&[
            ("name", s("x")),
            ("arches", s("x86_64")),
            ("locked", Value::Bool(true)),
            ("perm", Value::Int(3)),
            ("extra", st(&[("k", Value::Nil)])),
        ]);
        assert_eq!(
            from_value::<Opts>(v).unwrap(),
            Opts {
                name: "x".into(),
                arches: Some("x86_64".into()),
                locked: true,
                maven_support: None,
                perm: Some(Value::Int(3)),
                extra: Some([("k".to_string(), Value::Nil)].into()),
            }
        );
        assert_eq!(err::<Opts>(st(&[("arches", s("x"))])), "missing field `name`");
        assert_eq!(err::<Opts>(st(&[("name", Value::Int(1))])), "invalid type: integer `1`, expected a string");
        assert_eq!(err::<Opts>(s("x")), "invalid type: string \"x\", expected struct Opts");
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: i64,
    }

    #[test]
    fn deny_unknown_fields() {
        assert_eq!(from_value::<Strict>(st(&[("a", Value::Int(1))])).unwrap().a, 1);
        assert_eq!(err::<Strict>(st(&[("a", Value::Int(1)), ("b", Value::Nil)])), "unknown field `b`, expected `a`");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(untagged)]
    enum NameOrId {
        Id(i64),
        Name(String),
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct TagQuery {
        tag: NameOrId,
        event: Option<NameOrId>,
    }

    #[test]
    fn untagged_enums() {
        assert_eq!(from_value::<NameOrId>(Value::Int(5)).unwrap(), NameOrId::Id(5));
        assert_eq!(from_value::<NameOrId>(s("f40")).unwrap(), NameOrId::Name("f40".into()));
        assert_eq!(err::<NameOrId>(Value::Nil), "data did not match any variant of untagged enum NameOrId");
        assert_eq!(
            from_value::<TagQuery>(st(&[("tag", s("t")), ("event", Value::Nil)])).unwrap(),
            TagQuery { tag: NameOrId::Name("t".into()), event: None }
        );
        assert_eq!(
            from_value::<TagQuery>(st(&[("tag", Value::Int(1)), ("event", Value::Int(2))])).unwrap(),
            TagQuery { tag: NameOrId::Id(1), event: Some(NameOrId::Id(2)) }
        );
        assert_eq!(
            from_value::<Vec<NameOrId>>(Value::Array(vec![Value::Int(1), s("a")])).unwrap(),
            vec![NameOrId::Id(1), NameOrId::Name("a".into())]
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum State {
        Building,
        Failed(String),
        Pair(i32, i32),
        Done { id: i64 },
    }

    #[test]
    fn externally_tagged_enums() {
        assert_eq!(from_value::<State>(s("Building")).unwrap(), State::Building);
        assert_eq!(from_value::<State>(st(&[("Building", Value::Nil)])).unwrap(), State::Building);
        assert_eq!(from_value::<State>(st(&[("Failed", s("x"))])).unwrap(), State::Failed("x".into()));
        assert_eq!(
            from_value::<State>(st(&[("Pair", Value::Array(vec![Value::Int(1), Value::Int(2)]))])).unwrap(),
            State::Pair(1, 2)
        );
        assert_eq!(from_value::<State>(st(&[("Done", st(&[("id", Value::Int(4))]))])).unwrap(), State::Done { id: 4 });
        assert_eq!(
            err::<State>(s("Nope")),
            "unknown variant `Nope`, expected one of `Building`, `Failed`, `Pair`, `Done`"
        );
        assert_eq!(err::<State>(s("Failed")), "invalid type: unit variant, expected newtype variant");
        assert_eq!(err::<State>(Value::Int(1)), "invalid type: integer `1`, expected enum State");
        assert_eq!(
            err::<State>(st(&[("Failed", s("x")), ("Building", Value::Nil)])),
            "invalid value: struct with 2 members, expected a string or a struct with exactly one member"
        );
    }

    #[test]
    fn integer_keyed_maps() {
        let v = st(&[("1000", Value::Array(vec![Value::Int(1)])), ("-2", Value::Array(vec![]))]);
        let m: HashMap<i64, Vec<i64>> = from_value(v).unwrap();
        assert_eq!(m[&1000], vec![1]);
        assert_eq!(m[&-2], Vec::<i64>::new());
        let m: BTreeMap<u64, bool> = from_value(st(&[("18446744073709551615", Value::Bool(true))])).unwrap();
        assert!(m[&u64::MAX]);
        assert_eq!(
            err::<HashMap<i64, bool>>(st(&[("x", Value::Bool(true))])),
            "invalid type: string \"x\", expected i64"
        );
        let m: HashMap<String, Value> = from_value(st(&[("a", Value::Nil)])).unwrap();
        assert_eq!(m["a"], Value::Nil);
    }

    #[test]
    fn value_deserializes_to_itself() {
        let v = st(&[
            ("a", Value::Array(vec![Value::Nil, Value::Bool(false), Value::Int(-1), Value::Double(0.5)])),
            ("b", Value::Base64(vec![1, 2, 3])),
            ("c", s("s")),
            ("d", st(&[])),
        ]);
        assert_eq!(from_value::<Value>(v.clone()).unwrap(), v);
        assert_eq!(from_value::<Value>(Value::DateTime("d".into())).unwrap(), s("d"));
        assert_eq!(from_value::<Struct>(st(&[("x", Value::Int(1))])).unwrap()["x"], Value::Int(1));
    }
}
