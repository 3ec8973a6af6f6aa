//! `serde::Serialize` → [`Value`].

use serde::ser::{self, Serialize};

use super::ValueError;
use super::value::{Struct, Value};

/// Convert any serializable value into an XML-RPC [`Value`].
///
/// `None`, `()` and unit structs become `Nil`; integers become `Int` (a `u64` above
/// `i64::MAX` is an error); floats `Double`; chars and strings `String`; bytes `Base64`;
/// sequences and tuples `Array`; maps and structs `Struct` (map keys must be strings or
/// integers, integers are written like Python's `str(int)`); unit variants are their name;
/// newtype structs are transparent; other enum variants are externally tagged
/// (`{variant: inner}`).
pub fn to_value<T: Serialize + ?Sized>(v: &T) -> Result<Value, ValueError> {
    v.serialize(ValueSerializer)
}

impl ser::Error for ValueError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ValueError(msg.to_string())
    }
}

fn int_out_of_range(v: impl std::fmt::Display) -> ValueError {
    ValueError(format!("integer {v} is out of range for XML-RPC (i64)"))
}

struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = TupleVariantSerializer;
    type SerializeMap = MapSerializer;
    type SerializeStruct = StructSerializer;
    type SerializeStructVariant = StructVariantSerializer;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Int).map_err(|_| int_out_of_range(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Int).map_err(|_| int_out_of_range(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        i64::try_from(v).map(Value::Int).map_err(|_| int_out_of_range(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Double(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Double(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Base64(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Nil)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Nil)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Nil)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        Ok(tagged(variant, value.serialize(ValueSerializer)?))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, ValueError> {
        Ok(SeqSerializer { items: Vec::with_capacity(len.unwrap_or(0).min(4096)) })
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqSerializer, ValueError> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<TupleVariantSerializer, ValueError> {
        Ok(TupleVariantSerializer { variant, items: Vec::with_capacity(len.min(4096)) })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<MapSerializer, ValueError> {
        Ok(MapSerializer { members: Struct::new(), key: None })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<StructSerializer, ValueError> {
        Ok(StructSerializer { members: Struct::new() })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<StructVariantSerializer, ValueError> {
        Ok(StructVariantSerializer { variant, members: Struct::new() })
    }
}

fn tagged(variant: &str, value: Value) -> Value {
    let mut s = Struct::new();
    s.insert(variant.to_owned(), value);
    Value::Struct(s)
}

struct SeqSerializer {
    items: Vec<Value>,
}

impl ser::SerializeSeq for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTuple for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        ser::SerializeSeq::serialize_element(self, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        ser::SerializeSeq::end(self)
    }
}

struct TupleVariantSerializer {
    variant: &'static str,
    items: Vec<Value>,
}

impl ser::SerializeTupleVariant for TupleVariantSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.items.push(value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(tagged(self.variant, Value::Array(self.items)))
    }
}

struct MapSerializer {
    members: Struct,
    key: Option<String>,
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(key.serialize(KeySerializer)?);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let key = self.key.take().ok_or_else(|| ValueError("map value serialized before its key".into()))?;
        self.members.insert(key, value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Struct(self.members))
    }
}

struct StructSerializer {
    members: Struct,
}

impl ser::SerializeStruct for StructSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValueError> {
        self.members.insert(key.to_owned(), value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Struct(self.members))
    }
}

struct StructVariantSerializer {
    variant: &'static str,
    members: Struct,
}

impl ser::SerializeStructVariant for StructVariantSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), ValueError> {
        self.members.insert(key.to_owned(), value.serialize(ValueSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(tagged(self.variant, Value::Struct(self.members)))
    }
}

/// Serializes a map key to the struct member name.
struct KeySerializer;

fn bad_key(found: &str) -> ValueError {
    ValueError(format!("struct member names must be strings or integers, found {found}"))
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = ValueError;
    type SerializeSeq = ser::Impossible<String, ValueError>;
    type SerializeTuple = ser::Impossible<String, ValueError>;
    type SerializeTupleStruct = ser::Impossible<String, ValueError>;
    type SerializeTupleVariant = ser::Impossible<String, ValueError>;
    type SerializeMap = ser::Impossible<String, ValueError>;
    type SerializeStruct = ser::Impossible<String, ValueError>;
    type SerializeStructVariant = ser::Impossible<String, ValueError>;

    fn serialize_bool(self, _v: bool) -> Result<String, ValueError> {
        Err(bad_key("bool"))
    }

    fn serialize_i8(self, v: i8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, _v: f32) -> Result<String, ValueError> {
        Err(bad_key("float"))
    }

    fn serialize_f64(self, _v: f64) -> Result<String, ValueError> {
        Err(bad_key("float"))
    }

    fn serialize_char(self, v: char) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<String, ValueError> {
        Ok(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, ValueError> {
        Err(bad_key("bytes"))
    }

    fn serialize_none(self) -> Result<String, ValueError> {
        Err(bad_key("None"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, ValueError> {
        Err(bad_key("unit"))
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<String, ValueError> {
        Err(bad_key(name))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, ValueError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<String, ValueError> {
        Err(bad_key(name))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(bad_key("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(bad_key("a tuple"))
    }

    fn serialize_tuple_struct(self, name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(bad_key(name))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(bad_key(name))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(bad_key("a map"))
    }

    fn serialize_struct(self, name: &'static str, _len: usize) -> Result<Self::SerializeStruct, ValueError> {
        Err(bad_key(name))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(bad_key(name))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use serde::Serialize;

    use super::*;

    use crate::xmlrpc::test_struct as st;

    struct Bytes<'a>(&'a [u8]);

    impl Serialize for Bytes<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(self.0)
        }
    }

    #[test]
    fn primitives() {
        assert_eq!(to_value(&true).unwrap(), Value::Bool(true));
        assert_eq!(to_value(&-3i8).unwrap(), Value::Int(-3));
        assert_eq!(to_value(&300u16).unwrap(), Value::Int(300));
        assert_eq!(to_value(&u32::MAX).unwrap(), Value::Int(4_294_967_295));
        assert_eq!(to_value(&i64::MIN).unwrap(), Value::Int(i64::MIN));
        assert_eq!(to_value(&(i64::MAX as u64)).unwrap(), Value::Int(i64::MAX));
        assert_eq!(to_value(&5i128).unwrap(), Value::Int(5));
        assert_eq!(to_value(&1.5f32).unwrap(), Value::Double(1.5));
        assert_eq!(to_value(&4.0f64).unwrap(), Value::Double(4.0));
        assert_eq!(to_value(&'x').unwrap(), Value::String("x".into()));
        assert_eq!(to_value("str").unwrap(), Value::String("str".into()));
        assert_eq!(to_value(&String::from("s")).unwrap(), Value::String("s".into()));
        assert_eq!(to_value(&Bytes(b"\x00\x01")).unwrap(), Value::Base64(vec![0, 1]));
        assert_eq!(to_value(&()).unwrap(), Value::Nil);
        assert_eq!(to_value(&None::<i32>).unwrap(), Value::Nil);
        assert_eq!(to_value(&Some(3)).unwrap(), Value::Int(3));
    }

    #[test]
    fn integer_overflow_is_an_error() {
        let e = to_value(&u64::MAX).unwrap_err();
        assert_eq!(e.to_string(), "integer 18446744073709551615 is out of range for XML-RPC (i64)");
        assert!(to_value(&(i64::MAX as u64 + 1)).is_err());
        assert!(to_value(&i128::MAX).is_err());
        assert!(to_value(&u128::MAX).is_err());
        let e = to_value(&vec![Some(1u64), Some(u64::MAX)]).unwrap_err();
        assert!(e.to_string().contains("out of range"), "{e}");
    }

    #[test]
    fn sequences_and_maps() {
        assert_eq!(to_value(&vec![1, 2]).unwrap(), Value::Array(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(
            to_value(&(1, "a", None::<bool>)).unwrap(),
            Value::Array(vec![Value::Int(1), Value::String("a".into()), Value::Nil])
        );
        assert_eq!(to_value(&Vec::<i32>::new()).unwrap(), Value::Array(vec![]));
        let mut m = BTreeMap::new();
        m.insert("b", vec![true]);
        m.insert("a", vec![]);
        assert_eq!(
            to_value(&m).unwrap(),
            st(&[("a", Value::Array(vec![])), ("b", Value::Array(vec![Value::Bool(true)]))])
        );
    }

    #[test]
    fn integer_map_keys_are_stringified() {
        let mut m: HashMap<i64, Vec<i64>> = HashMap::new();
        m.insert(1000, vec![1001, 1002]);
        m.insert(-5, vec![]);
        assert_eq!(
            to_value(&m).unwrap(),
            st(&[("1000", Value::Array(vec![Value::Int(1001), Value::Int(1002)])), ("-5", Value::Array(vec![])),])
        );
        let mut m: HashMap<u64, bool> = HashMap::new();
        m.insert(u64::MAX, true);
        assert_eq!(to_value(&m).unwrap(), st(&[("18446744073709551615", Value::Bool(true))]));
        let mut m = HashMap::new();
        m.insert('c', 1);
        assert_eq!(to_value(&m).unwrap(), st(&[("c", Value::Int(1))]));
    }

    #[test]
    fn unsupported_map_keys() {
        let mut m = HashMap::new();
        m.insert(true, 1);
        let e = to_value(&m).unwrap_err();
        assert_eq!(e.to_string(), "struct member names must be strings or integers, found bool");
        let mut m = BTreeMap::new();
        m.insert(vec![1], 1);
        assert!(to_value(&m).unwrap_err().to_string().contains("found a sequence"));
    }

    #[derive(Serialize)]
    struct Build {
        build_id: i64,
        nvr: String,
        task_id: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        extra: Option<String>,
        #[serde(rename = "creation_ts")]
        ts: f64,
        #[serde(skip)]
        _secret: u8,
        tags: Vec<String>,
    }

    #[test]
    fn derived_struct() {
        let b = Build {
            build_id: 5,
            nvr: "a-1-1".into(),
            task_id: None,
            extra: None,
            ts: 1.5,
            _secret: 9,
            tags: vec!["t".into()],
        };
        assert_eq!(
            to_value(&b).unwrap(),
            st(&[
                ("build_id", Value::Int(5)),
                ("nvr", Value::String("a-1-1".into())),
                ("task_id", Value::Nil),
                ("creation_ts", Value::Double(1.5)),
                ("tags", Value::Array(vec![Value::String("t".into())])),
            ])
        );
        let b = Build { extra: Some("x".into()), task_id: Some(7), ..b };
        let v = to_value(&b).unwrap();
        assert_eq!(v.as_struct().unwrap()["extra"], Value::String("x".into()));
        assert_eq!(v.as_struct().unwrap()["task_id"], Value::Int(7));
    }

    #[derive(Serialize)]
    struct Unit;

    #[derive(Serialize)]
    struct Id(i64);

    #[derive(Serialize)]
    enum State {
        Building,
        Failed(String),
        Pair(i32, i32),
        Done { id: i64 },
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    enum NameOrId {
        Id(i64),
        Name(String),
    }

    #[derive(Serialize)]
    struct Flat {
        a: i32,
        #[serde(flatten)]
        rest: BTreeMap<String, i32>,
    }

    #[test]
    fn enums_newtypes_and_flatten() {
        assert_eq!(to_value(&Unit).unwrap(), Value::Nil);
        assert_eq!(to_value(&Id(3)).unwrap(), Value::Int(3));
        assert_eq!(to_value(&State::Building).unwrap(), Value::String("Building".into()));
        assert_eq!(to_value(&State::Failed("x".into())).unwrap(), st(&[("Failed", Value::String("x".into()))]));
        assert_eq!(
            to_value(&State::Pair(1, 2)).unwrap(),
            st(&[("Pair", Value::Array(vec![Value::Int(1), Value::Int(2)]))])
        );
        assert_eq!(to_value(&State::Done { id: 4 }).unwrap(), st(&[("Done", st(&[("id", Value::Int(4))]))]));
        assert_eq!(to_value(&NameOrId::Id(1)).unwrap(), Value::Int(1));
        assert_eq!(to_value(&NameOrId::Name("n".into())).unwrap(), Value::String("n".into()));
        let f = Flat { a: 1, rest: [("b".to_string(), 2)].into() };
        assert_eq!(to_value(&f).unwrap(), st(&[("a", Value::Int(1)), ("b", Value::Int(2))]));
    }

    #[test]
    fn value_serializes_to_itself() {
        let v = st(&[
            ("a", Value::Array(vec![Value::Nil, Value::Bool(false), Value::Int(-1), Value::Double(0.5)])),
            ("b", Value::Base64(vec![1, 2, 3])),
            ("c", Value::String("s".into())),
        ]);
        assert_eq!(to_value(&v).unwrap(), v);
        // serde has no date type: a dateTime becomes a string.
        assert_eq!(to_value(&Value::DateTime("d".into())).unwrap(), Value::String("d".into()));
    }
}
