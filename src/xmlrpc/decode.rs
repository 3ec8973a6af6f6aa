//! Streaming XML-RPC decoder (`<methodCall>` on the hub side, `<methodResponse>` on the
//! client side).
//!
//! The decoder is event driven on top of `quick_xml` and keeps an explicit stack of open
//! elements, so hostile nesting cannot overflow the Rust stack; array/struct nesting is
//! additionally capped by [`Limits::max_depth`] because dropping a `Value` recurses.

use std::borrow::Cow;
use std::fmt;
use std::num::IntErrorKind;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use quick_xml::Reader;
use quick_xml::events::Event;

use super::value::{Struct, Value};

/// A decoded `<methodCall>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodCall {
    pub method: String,
    pub params: Vec<Value>,
}

/// Resource limits applied while decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum nesting depth of array/struct values (each `<array>` or `<struct>` is one
    /// level). Keep this modest: dropping or printing a `Value` recurses once per level.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_depth: 64 }
    }
}

/// An XML-RPC fault (`<fault>` in a `<methodResponse>`).
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub code: i32,
    pub message: String,
}

impl Fault {
    pub fn new(code: i32, message: impl Into<String>) -> Self {
        Fault { code, message: message.into() }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<Fault {}: {:?}>", self.code, self.message)
    }
}

impl std::error::Error for Fault {}

/// Why a document could not be decoded. The messages are short and never contain more
/// than a small, truncated excerpt of the input.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("body is not valid UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
    #[error("unsupported document encoding '{0}' (only UTF-8 is accepted)")]
    UnsupportedEncoding(String),
    #[error("invalid XML at byte {pos}: {msg}")]
    Xml { pos: u64, msg: String },
    #[error("DTD is not allowed")]
    Dtd,
    #[error("invalid character U+{0:04X} in text")]
    InvalidChar(u32),
    #[error("undefined entity &{0};")]
    UndefinedEntity(String),
    #[error("invalid character reference &{0};")]
    InvalidCharRef(String),
    #[error("empty document: no root element")]
    NoRoot,
    #[error("text before the root element")]
    TextBeforeRoot,
    #[error("expected root element <{expected}>, found <{found}>")]
    WrongRoot { expected: &'static str, found: String },
    #[error("unexpected element <{element}> in <{parent}>")]
    UnexpectedElement { element: String, parent: &'static str },
    #[error("unexpected text in <{parent}>")]
    UnexpectedText { parent: &'static str },
    #[error("text mixed with an element in <value>")]
    MixedContent,
    #[error("more than one element in <value> (second is <{0}>)")]
    MultipleValues(String),
    #[error("missing <{element}> in <{parent}>")]
    Missing { element: &'static str, parent: &'static str },
    #[error("duplicate <{element}> in <{parent}>")]
    Duplicate { element: &'static str, parent: &'static str },
    #[error("invalid <{tag}> value: '{text}'")]
    InvalidValue { tag: &'static str, text: String },
    #[error("<{tag}> value out of range: '{text}'")]
    OutOfRange { tag: &'static str, text: String },
    #[error("invalid <base64> value: {0}")]
    InvalidBase64(String),
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    #[error("unexpected end of document inside <{0}>")]
    UnexpectedEof(&'static str),
    #[error("unexpected content after </{0}>")]
    TrailingContent(&'static str),
    #[error("a response must contain exactly one <param>, found {0}")]
    ResponseParamCount(usize),
    #[error("invalid <fault>: {0}")]
    InvalidFault(&'static str),
    #[error("internal decoder error: {0}")]
    Internal(&'static str),
}

type Result<T, E = DecodeError> = std::result::Result<T, E>;

/// Decode a `<methodCall>` request body.
pub fn parse_method_call(body: &[u8], limits: Limits) -> Result<MethodCall> {
    match parse_document(body, limits, RootKind::Call)? {
        Parsed::Call(call) => Ok(call),
        Parsed::Response(_) => Err(DecodeError::Internal("call parsed as response")),
    }
}

/// Client side (used by the builder daemon and tests): `Ok(Ok(value))` for `<params>`,
/// `Ok(Err(fault))` for `<fault>`.
pub fn parse_method_response(body: &[u8], limits: Limits) -> Result<Result<Value, Fault>> {
    match parse_document(body, limits, RootKind::Response)? {
        Parsed::Response(r) => Ok(r),
        Parsed::Call(_) => Err(DecodeError::Internal("response parsed as call")),
    }
}

// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum RootKind {
    Call,
    Response,
}

impl RootKind {
    fn tag(self) -> &'static str {
        match self {
            RootKind::Call => "methodCall",
            RootKind::Response => "methodResponse",
        }
    }
}

enum Parsed {
    Call(MethodCall),
    Response(Result<Value, Fault>),
}

#[derive(Clone, Copy)]
enum Scalar {
    Int(&'static str),
    Bool,
    Double,
    Str,
    Base64,
    DateTime,
    Nil,
}

impl Scalar {
    fn tag(self) -> &'static str {
        match self {
            Scalar::Int(tag) => tag,
            Scalar::Bool => "boolean",
            Scalar::Double => "double",
            Scalar::Str => "string",
            Scalar::Base64 => "base64",
            Scalar::DateTime => "dateTime.iso8601",
            Scalar::Nil => "nil",
        }
    }
}

enum ResponseBody {
    Params(Vec<Value>),
    Fault(Value),
}

/// One open element.
enum Frame<'a> {
    MethodCall {
        name: Option<String>,
        params: Option<Vec<Value>>,
    },
    MethodName {
        text: Cow<'a, str>,
    },
    Params {
        items: Vec<Value>,
    },
    Param {
        value: Option<Value>,
    },
    MethodResponse {
        body: Option<ResponseBody>,
    },
    Fault {
        value: Option<Value>,
    },
    /// `had_child` is set once a typed child element has been opened.
    Value {
        text: Cow<'a, str>,
        child: Option<Value>,
        had_child: bool,
    },
    Scalar {
        kind: Scalar,
        text: Cow<'a, str>,
    },
    Array {
        items: Option<Vec<Value>>,
    },
    Data {
        items: Vec<Value>,
    },
    Struct {
        members: Struct,
    },
    Member {
        name: Option<String>,
        value: Option<Value>,
    },
    Name {
        text: Cow<'a, str>,
    },
}

impl Frame<'_> {
    fn tag(&self) -> &'static str {
        match self {
            Frame::MethodCall { .. } => "methodCall",
            Frame::MethodName { .. } => "methodName",
            Frame::Params { .. } => "params",
            Frame::Param { .. } => "param",
            Frame::MethodResponse { .. } => "methodResponse",
            Frame::Fault { .. } => "fault",
            Frame::Value { .. } => "value",
            Frame::Scalar { kind, .. } => kind.tag(),
            Frame::Array { .. } => "array",
            Frame::Data { .. } => "data",
            Frame::Struct { .. } => "struct",
            Frame::Member { .. } => "member",
            Frame::Name { .. } => "name",
        }
    }
}

/// What a closed element hands to its parent.
enum Done {
    Value(Value),
    Values(Vec<Value>),
    Text(String),
    Member(String, Value),
    FaultValue(Value),
}

struct Parser<'a> {
    stack: Vec<Frame<'a>>,
    depth: usize,
    max_depth: usize,
    root: RootKind,
    result: Option<Parsed>,
}

fn parse_document(body: &[u8], limits: Limits, root: RootKind) -> Result<Parsed> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    let (body, offset) = match body.strip_prefix(BOM) {
        Some(rest) => (rest, BOM.len()),
        None => (body, 0),
    };
    let text = std::str::from_utf8(body).map_err(|e| DecodeError::NotUtf8(e.valid_up_to() + offset))?;
    let mut reader = Reader::from_str(text);
    let mut parser =
        Parser { stack: Vec::with_capacity(16), depth: 0, max_depth: limits.max_depth, root, result: None };
    let mut first = true;
    loop {
        let event = reader.read_event().map_err(|e| DecodeError::Xml {
            pos: reader.error_position() + offset as u64,
            msg: snippet(&e.to_string(), 160),
        })?;
        match event {
            Event::Start(e) => parser.open(e.local_name().as_ref())?,
            Event::Empty(e) => {
                parser.open(e.local_name().as_ref())?;
                parser.close()?;
            }
            Event::End(_) => parser.close()?,
            Event::Text(t) => parser.text_cow(t.xml10_content())?,
            // Any CDATA section outside the root element is malformed, even an empty one.
            Event::CData(_) if parser.stack.is_empty() => return Err(parser.outside_root()),
            Event::CData(c) => parser.text_cow(c.xml10_content())?,
            Event::GeneralRef(r) => {
                let c = resolve_reference(&r)?;
                let mut buf = [0u8; 4];
                parser.text(c.encode_utf8(&mut buf), None)?;
            }
            Event::Comment(_) | Event::PI(_) => {}
            Event::Decl(d) => {
                if !first {
                    return Err(DecodeError::Xml {
                        pos: reader.buffer_position() + offset as u64,
                        msg: "XML declaration is not at the start of the document".into(),
                    });
                }
                if let Some(Ok(enc)) = d.encoding() {
                    let ok = ["utf-8", "utf8", "us-ascii", "ascii"].iter().any(|x| enc.eq_ignore_ascii_case(x));
                    if !ok {
                        return Err(DecodeError::UnsupportedEncoding(snippet(&enc, 40)));
                    }
                }
            }
            Event::DocType(_) => return Err(DecodeError::Dtd),
            Event::Eof => break,
        }
        first = false;
    }
    if let Some(top) = parser.stack.last() {
        return Err(DecodeError::UnexpectedEof(top.tag()));
    }
    parser.result.ok_or(DecodeError::NoRoot)
}

fn resolve_reference(r: &quick_xml::events::BytesRef<'_>) -> Result<char> {
    let name: &str = r;
    Ok(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ if r.is_char_ref() => match r.resolve_char_ref() {
            Ok(Some(c)) if is_xml_char(c) => c,
            _ => return Err(DecodeError::InvalidCharRef(snippet(name, 16))),
        },
        _ => return Err(DecodeError::UndefinedEntity(snippet(name, 40))),
    })
}

/// XML 1.0 `Char` production (Rust `char`s are never surrogates).
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The first character of `s` that XML 1.0 does not allow (C0 controls other than tab,
/// newline and CR; U+FFFE; U+FFFF).
fn find_invalid_char(s: &str) -> Option<char> {
    let bytes = s.as_bytes();
    let pos = bytes.iter().enumerate().position(|(i, &b)| {
        (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || (b == 0xEF && bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)))
    })?;
    s[pos..].chars().next()
}

fn is_xml_ws(s: &str) -> bool {
    s.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
}

fn trim_xml_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\n', '\r'])
}

/// At most `max` characters of `s`, control characters escaped, `…` appended if cut.
fn snippet(s: &str, max: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max) + 3);
    for (n, c) in s.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn append<'a>(buf: &mut Cow<'a, str>, s: &str, borrowed: Option<&'a str>) {
    if buf.is_empty()
        && let Some(b) = borrowed
    {
        *buf = Cow::Borrowed(b);
        return;
    }
    buf.to_mut().push_str(s);
}

fn unexpected(element: &str, parent: &'static str) -> DecodeError {
    DecodeError::UnexpectedElement { element: snippet(element, 40), parent }
}

fn duplicate(element: &'static str, parent: &'static str) -> DecodeError {
    DecodeError::Duplicate { element, parent }
}

impl<'a> Parser<'a> {
    fn open(&mut self, name: &str) -> Result<()> {
        let frame = match self.stack.last_mut() {
            None => {
                if self.result.is_some() {
                    return Err(DecodeError::TrailingContent(self.root.tag()));
                }
                match (self.root, name) {
                    (RootKind::Call, "methodCall") => Frame::MethodCall { name: None, params: None },
                    (RootKind::Response, "methodResponse") => Frame::MethodResponse { body: None },
                    _ => {
                        return Err(DecodeError::WrongRoot { expected: self.root.tag(), found: snippet(name, 40) });
                    }
                }
            }
            Some(top) => child_frame(top, name)?,
        };
        if matches!(frame, Frame::Array { .. } | Frame::Struct { .. }) {
            if self.depth >= self.max_depth {
                return Err(DecodeError::TooDeep(self.max_depth));
            }
            self.depth += 1;
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        let frame = self.stack.pop().ok_or(DecodeError::Internal("close without open element"))?;
        let done = match frame {
            Frame::MethodCall { name, params } => {
                let method = name.ok_or(DecodeError::Missing { element: "methodName", parent: "methodCall" })?;
                self.result = Some(Parsed::Call(MethodCall { method, params: params.unwrap_or_default() }));
                return Ok(());
            }
            Frame::MethodResponse { body } => {
                let result = match body {
                    None => {
                        return Err(DecodeError::Missing { element: "params", parent: "methodResponse" });
                    }
                    Some(ResponseBody::Params(mut items)) => {
                        if items.len() != 1 {
                            return Err(DecodeError::ResponseParamCount(items.len()));
                        }
                        Ok(items.pop().unwrap_or_default())
                    }
                    Some(ResponseBody::Fault(v)) => Err(fault_from_value(v)?),
                };
                self.result = Some(Parsed::Response(result));
                return Ok(());
            }
            Frame::MethodName { text } => Done::Text(text.into_owned()),
            Frame::Params { items } => Done::Values(items),
            Frame::Param { value } => {
                Done::Value(value.ok_or(DecodeError::Missing { element: "value", parent: "param" })?)
            }
            Frame::Fault { value } => {
                Done::FaultValue(value.ok_or(DecodeError::Missing { element: "value", parent: "fault" })?)
            }
            Frame::Value { text, child, .. } => match child {
                Some(v) => Done::Value(v),
                None => Done::Value(Value::String(text.into_owned())),
            },
            Frame::Scalar { kind, text } => Done::Value(scalar_value(kind, text)?),
            Frame::Array { items } => {
                self.depth -= 1;
                Done::Value(Value::Array(items.unwrap_or_default()))
            }
            Frame::Data { items } => Done::Values(items),
            Frame::Struct { members } => {
                self.depth -= 1;
                Done::Value(Value::Struct(members))
            }
            Frame::Member { name, value } => {
                let name = name.ok_or(DecodeError::Missing { element: "name", parent: "member" })?;
                let value = value.ok_or(DecodeError::Missing { element: "value", parent: "member" })?;
                Done::Member(name, value)
            }
            Frame::Name { text } => Done::Text(text.into_owned()),
        };
        let parent = self.stack.last_mut().ok_or(DecodeError::Internal("element closed without parent"))?;
        match (parent, done) {
            (Frame::MethodCall { name, .. }, Done::Text(t)) => *name = Some(t),
            (Frame::MethodCall { params, .. }, Done::Values(v)) => *params = Some(v),
            (Frame::Params { items }, Done::Value(v)) => items.push(v),
            (Frame::Param { value }, Done::Value(v)) => *value = Some(v),
            (Frame::MethodResponse { body }, Done::Values(v)) => *body = Some(ResponseBody::Params(v)),
            (Frame::MethodResponse { body }, Done::FaultValue(v)) => *body = Some(ResponseBody::Fault(v)),
            (Frame::Fault { value }, Done::Value(v)) => *value = Some(v),
            (Frame::Value { child, .. }, Done::Value(v)) => *child = Some(v),
            (Frame::Array { items }, Done::Values(v)) => *items = Some(v),
            (Frame::Data { items }, Done::Value(v)) => items.push(v),
            (Frame::Struct { members }, Done::Member(k, v)) => {
                members.insert(k, v);
            }
            (Frame::Member { name, .. }, Done::Text(t)) => *name = Some(t),
            (Frame::Member { value, .. }, Done::Value(v)) => *value = Some(v),
            _ => {
                return Err(DecodeError::Internal("element closed into the wrong parent"));
            }
        }
        Ok(())
    }

    fn text_cow(&mut self, text: Cow<'a, str>) -> Result<()> {
        match text {
            Cow::Borrowed(b) => self.text(b, Some(b)),
            Cow::Owned(o) => self.text(&o, None),
        }
    }

    /// Character data `s`; `borrowed` is the same text when it lives as long as the input.
    fn text(&mut self, s: &str, borrowed: Option<&'a str>) -> Result<()> {
        if s.is_empty() {
            return Ok(());
        }
        if let Some(c) = find_invalid_char(s) {
            return Err(DecodeError::InvalidChar(c as u32));
        }
        match self.stack.last_mut() {
            Some(Frame::Value { text, had_child, .. }) => {
                if *had_child {
                    if !is_xml_ws(s) {
                        return Err(DecodeError::MixedContent);
                    }
                } else {
                    append(text, s, borrowed);
                }
            }
            Some(Frame::Scalar { text, .. } | Frame::Name { text } | Frame::MethodName { text }) => {
                append(text, s, borrowed);
            }
            Some(other) => {
                if !is_xml_ws(s) {
                    return Err(DecodeError::UnexpectedText { parent: other.tag() });
                }
            }
            None => {
                if !is_xml_ws(s) {
                    return Err(self.outside_root());
                }
            }
        }
        Ok(())
    }

    /// The error for content outside the root element.
    fn outside_root(&self) -> DecodeError {
        match self.result {
            Some(_) => DecodeError::TrailingContent(self.root.tag()),
            None => DecodeError::TextBeforeRoot,
        }
    }
}

/// The frame for element `name` opened inside `top`, after checking it is allowed there.
fn child_frame<'a>(top: &mut Frame<'a>, name: &str) -> Result<Frame<'a>> {
    let parent = top.tag();
    Ok(match top {
        Frame::MethodCall { name: method, params } => match name {
            "methodName" if method.is_some() => return Err(duplicate("methodName", parent)),
            "methodName" => Frame::MethodName { text: Cow::Borrowed("") },
            "params" if params.is_some() => return Err(duplicate("params", parent)),
            "params" => Frame::Params { items: Vec::new() },
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Params { .. } => match name {
            "param" => Frame::Param { value: None },
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Param { value } | Frame::Fault { value } => match name {
            "value" if value.is_some() => return Err(duplicate("value", parent)),
            "value" => new_value(),
            _ => return Err(unexpected(name, parent)),
        },
        Frame::MethodResponse { body } => match (name, &body) {
            ("params", None) => Frame::Params { items: Vec::new() },
            ("fault", None) => Frame::Fault { value: None },
            ("params", Some(ResponseBody::Params(_))) => return Err(duplicate("params", parent)),
            ("fault", Some(ResponseBody::Fault(_))) => return Err(duplicate("fault", parent)),
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Value { text, had_child, .. } => {
            if *had_child {
                return Err(DecodeError::MultipleValues(snippet(name, 40)));
            }
            if !is_xml_ws(text) {
                return Err(DecodeError::MixedContent);
            }
            let frame = match name {
                "int" => scalar(Scalar::Int("int")),
                "i4" => scalar(Scalar::Int("i4")),
                "i8" => scalar(Scalar::Int("i8")),
                "boolean" => scalar(Scalar::Bool),
                "double" => scalar(Scalar::Double),
                "string" => scalar(Scalar::Str),
                "base64" => scalar(Scalar::Base64),
                "dateTime.iso8601" => scalar(Scalar::DateTime),
                "nil" => scalar(Scalar::Nil),
                "array" => Frame::Array { items: None },
                "struct" => Frame::Struct { members: Struct::new() },
                _ => return Err(unexpected(name, parent)),
            };
            *had_child = true;
            *text = Cow::Borrowed("");
            frame
        }
        Frame::Array { items } => match name {
            "data" if items.is_some() => return Err(duplicate("data", parent)),
            "data" => Frame::Data { items: Vec::new() },
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Data { .. } => match name {
            "value" => new_value(),
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Struct { .. } => match name {
            "member" => Frame::Member { name: None, value: None },
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Member { name: member_name, value } => match name {
            "name" if member_name.is_some() => return Err(duplicate("name", parent)),
            "name" => Frame::Name { text: Cow::Borrowed("") },
            "value" if member_name.is_none() => {
                return Err(DecodeError::Missing { element: "name", parent });
            }
            "value" if value.is_some() => return Err(duplicate("value", parent)),
            "value" => new_value(),
            _ => return Err(unexpected(name, parent)),
        },
        Frame::Scalar { .. } | Frame::Name { .. } | Frame::MethodName { .. } => {
            return Err(unexpected(name, parent));
        }
    })
}

fn new_value<'a>() -> Frame<'a> {
    Frame::Value { text: Cow::Borrowed(""), child: None, had_child: false }
}

fn scalar<'a>(kind: Scalar) -> Frame<'a> {
    Frame::Scalar { kind, text: Cow::Borrowed("") }
}

/// Python's base64 decoder accepts non-zero trailing bits; so do we. Padding is required.
const BASE64_IN: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

fn scalar_value(kind: Scalar, text: Cow<'_, str>) -> Result<Value> {
    let invalid = |text: &str| DecodeError::InvalidValue { tag: kind.tag(), text: snippet(text, 40) };
    Ok(match kind {
        Scalar::Str => Value::String(text.into_owned()),
        Scalar::Int(tag) => {
            let t = trim_xml_ws(&text);
            match t.parse::<i64>() {
                Ok(i) => Value::Int(i),
                Err(e) => match e.kind() {
                    IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => {
                        return Err(DecodeError::OutOfRange { tag, text: snippet(t, 40) });
                    }
                    _ => return Err(invalid(&text)),
                },
            }
        }
        Scalar::Bool => match trim_xml_ws(&text) {
            "0" => Value::Bool(false),
            "1" => Value::Bool(true),
            _ => return Err(invalid(&text)),
        },
        Scalar::Double => match trim_xml_ws(&text).parse::<f64>() {
            Ok(d) => Value::Double(d),
            Err(_) => return Err(invalid(&text)),
        },
        Scalar::Base64 => {
            let t = trim_xml_ws(&text);
            let decoded = if t.bytes().any(|b| b.is_ascii_whitespace()) {
                let compact: Vec<u8> = t.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
                BASE64_IN.decode(compact)
            } else {
                BASE64_IN.decode(t)
            };
            Value::Base64(decoded.map_err(|e| DecodeError::InvalidBase64(e.to_string()))?)
        }
        Scalar::DateTime => {
            let t = trim_xml_ws(&text);
            Value::DateTime(if t.len() == text.len() { text.into_owned() } else { t.to_owned() })
        }
        Scalar::Nil => {
            if !is_xml_ws(&text) {
                return Err(invalid(&text));
            }
            Value::Nil
        }
    })
}

fn fault_from_value(v: Value) -> Result<Fault> {
    let Value::Struct(mut s) = v else {
        return Err(DecodeError::InvalidFault("the fault value is not a struct"));
    };
    let code = match s.get("faultCode") {
        Some(Value::Int(i)) => i32::try_from(*i).map_err(|_| DecodeError::InvalidFault("faultCode out of range"))?,
        Some(_) => return Err(DecodeError::InvalidFault("faultCode is not an int")),
        None => return Err(DecodeError::InvalidFault("missing faultCode")),
    };
    let message = match s.remove("faultString") {
        Some(Value::String(m)) => m,
        Some(_) => return Err(DecodeError::InvalidFault("faultString is not a string")),
        None => return Err(DecodeError::InvalidFault("missing faultString")),
    };
    Ok(Fault { code, message })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(body: &str) -> MethodCall {
        match parse_method_call(body.as_bytes(), Limits::default()) {
            Ok(c) => c,
            Err(e) => panic!("decode failed: {e}\nbody: {body}"),
        }
    }

    fn call_err(body: &str) -> DecodeError {
        match parse_method_call(body.as_bytes(), Limits::default()) {
            Ok(c) => panic!("expected an error, got {c:?}\nbody: {body}"),
            Err(e) => e,
        }
    }

    /// The single param of `<methodCall><methodName>m</methodName>` with `value_xml` inside.
    fn param(value_xml: &str) -> Value {
        let c = call(&format!(
            "<methodCall><methodName>m</methodName><params><param>{value_xml}</param></params></methodCall>"
        ));
        assert_eq!(c.params.len(), 1);
        c.params.into_iter().next().unwrap()
    }

    fn param_err(value_xml: &str) -> DecodeError {
        call_err(&format!(
            "<methodCall><methodName>m</methodName><params><param>{value_xml}</param></params></methodCall>"
        ))
    }

    use crate::xmlrpc::test_struct as st;

    #[test]
    fn ssllogin_request_from_spec() {
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>sslLogin</methodName>\n<params>\n\
            <param>\n<value><struct>\n<member>\n<name>proxyuser</name>\n<value><nil/></value></member>\n\
            <member>\n<name>__starstar</name>\n<value><boolean>1</boolean></value>\n</member>\n\
            </struct></value>\n</param>\n</params>\n</methodCall>\n";
        let c = call(body);
        assert_eq!(c.method, "sslLogin");
        assert_eq!(c.params, vec![st(&[("proxyuser", Value::Nil), ("__starstar", Value::Bool(true))])]);
    }

    #[test]
    fn no_arg_call_from_spec() {
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>getAPIVersion</methodName>\n<params>\n\
            </params>\n</methodCall>\n";
        assert_eq!(call(body), MethodCall { method: "getAPIVersion".into(), params: vec![] });
        let c = call("<methodCall><methodName>x</methodName><params/></methodCall>");
        assert!(c.params.is_empty());
        let c = call("<methodCall><methodName>x</methodName></methodCall>");
        assert!(c.params.is_empty());
    }

    #[test]
    fn gettag_with_kwargs_from_spec() {
        let body = "<methodCall><methodName>getTag</methodName><params>\n\
            <param><value><string>f40-build</string></value></param>\n\
            <param><value><struct>\n\
            <member><name>strict</name><value><boolean>1</boolean></value></member>\n\
            <member><name>__starstar</name><value><boolean>1</boolean></value></member>\n\
            </struct></value></param>\n</params></methodCall>";
        let c = call(body);
        assert_eq!(c.method, "getTag");
        assert_eq!(
            c.params,
            vec![
                Value::String("f40-build".into()),
                st(&[("strict", Value::Bool(true)), ("__starstar", Value::Bool(true))]),
            ]
        );
    }

    #[test]
    fn multicall_request_from_spec() {
        // multiCall[[{"methodName":"cancelTask","params":[1000]},{"methodName":"cancelTask","params":[9999]},
        //   {"methodName":"cancelBuild","params":["rpm-basic-2.3.4-5.el9",{"strict":true,"__starstar":true}]}]]
        let body = "<?xml version='1.0'?>\n<methodCall>\n<methodName>multiCall</methodName>\n<params>\n<param>\n\
            <value><array><data>\n\
            <value><struct>\n<member>\n<name>methodName</name>\n<value><string>cancelTask</string></value>\n</member>\n\
            <member>\n<name>params</name>\n<value><array><data>\n<value><int>1000</int></value>\n</data></array></value>\n\
            </member>\n</struct></value>\n\
            <value><struct>\n<member>\n<name>methodName</name>\n<value><string>cancelTask</string></value>\n</member>\n\
            <member>\n<name>params</name>\n<value><array><data>\n<value><int>9999</int></value>\n</data></array></value>\n\
            </member>\n</struct></value>\n\
            <value><struct>\n<member>\n<name>methodName</name>\n<value><string>cancelBuild</string></value>\n</member>\n\
            <member>\n<name>params</name>\n<value><array><data>\n<value><string>rpm-basic-2.3.4-5.el9</string></value>\n\
            <value><struct>\n<member>\n<name>strict</name>\n<value><boolean>1</boolean></value>\n</member>\n\
            <member>\n<name>__starstar</name>\n<value><boolean>1</boolean></value>\n</member>\n</struct></value>\n\
            </data></array></value>\n</member>\n</struct></value>\n\
            </data></array></value>\n</param>\n</params>\n</methodCall>\n";
        let c = call(body);
        assert_eq!(c.method, "multiCall");
        let entry = |m: &str, params: Vec<Value>| {
            st(&[("methodName", Value::String(m.into())), ("params", Value::Array(params))])
        };
        assert_eq!(
            c.params,
            vec![Value::Array(vec![
                entry("cancelTask", vec![Value::Int(1000)]),
                entry("cancelTask", vec![Value::Int(9999)]),
                entry(
                    "cancelBuild",
                    vec![
                        Value::String("rpm-basic-2.3.4-5.el9".into()),
                        st(&[("strict", Value::Bool(true)), ("__starstar", Value::Bool(true))]),
                    ]
                ),
            ])]
        );
    }

    #[test]
    fn scalar_types() {
        assert_eq!(param("<value><int>42</int></value>"), Value::Int(42));
        assert_eq!(param("<value><i4>-7</i4></value>"), Value::Int(-7));
        assert_eq!(param("<value><i8>5000000000</i8></value>"), Value::Int(5_000_000_000));
        assert_eq!(param("<value><int>5000000000</int></value>"), Value::Int(5_000_000_000));
        assert_eq!(param("<value><i8>-9223372036854775808</i8></value>"), Value::Int(i64::MIN));
        assert_eq!(param("<value><int> \n 12 \t</int></value>"), Value::Int(12));
        assert_eq!(param("<value><int>+3</int></value>"), Value::Int(3));
        assert_eq!(param("<value><boolean>0</boolean></value>"), Value::Bool(false));
        assert_eq!(param("<value><boolean>1</boolean></value>"), Value::Bool(true));
        assert_eq!(param("<value><double>4.0</double></value>"), Value::Double(4.0));
        assert_eq!(param("<value><double>4</double></value>"), Value::Double(4.0));
        assert_eq!(param("<value><double>-1.5e-3</double></value>"), Value::Double(-0.0015));
        match param("<value><double>nan</double></value>") {
            Value::Double(d) => assert!(d.is_nan()),
            other => panic!("{other:?}"),
        }
        assert_eq!(param("<value><double>-inf</double></value>"), Value::Double(f64::NEG_INFINITY));
        assert_eq!(param("<value><string>hello world</string></value>"), Value::String("hello world".into()));
        assert_eq!(param("<value><string> padded </string></value>"), Value::String(" padded ".into()));
        assert_eq!(param("<value>bare text</value>"), Value::String("bare text".into()));
        assert_eq!(param("<value>  </value>"), Value::String("  ".into()));
        assert_eq!(param("<value><base64>aGVsbG8=</base64></value>"), Value::Base64(b"hello".to_vec()));
        assert_eq!(
            param("<value><dateTime.iso8601>20250102T03:04:05</dateTime.iso8601></value>"),
            Value::DateTime("20250102T03:04:05".into())
        );
        assert_eq!(
            param("<value><dateTime.iso8601> 20250102T03:04:05\n</dateTime.iso8601></value>"),
            Value::DateTime("20250102T03:04:05".into())
        );
    }

    #[test]
    fn empty_values() {
        assert_eq!(param("<value/>"), Value::String(String::new()));
        assert_eq!(param("<value></value>"), Value::String(String::new()));
        assert_eq!(param("<value><string/></value>"), Value::String(String::new()));
        assert_eq!(param("<value><string></string></value>"), Value::String(String::new()));
        assert_eq!(param("<value><base64/></value>"), Value::Base64(vec![]));
        assert_eq!(param("<value><array><data/></array></value>"), Value::Array(vec![]));
        assert_eq!(param("<value><array><data></data></array></value>"), Value::Array(vec![]));
        assert_eq!(param("<value><array/></value>"), Value::Array(vec![]));
        assert_eq!(param("<value><struct/></value>"), Value::Struct(Struct::new()));
        assert_eq!(param("<value><struct>\n</struct></value>"), Value::Struct(Struct::new()));
        assert_eq!(param("<value><nil/></value>"), Value::Nil);
        assert_eq!(param("<value><nil></nil></value>"), Value::Nil);
        let c = call("<methodCall><methodName/></methodCall>");
        assert_eq!(c.method, "");
    }

    #[test]
    fn namespace_prefixes_are_stripped() {
        assert_eq!(param("<value><ex:nil/></value>"), Value::Nil);
        assert_eq!(param("<value><ex:i8>8589934592</ex:i8></value>"), Value::Int(1 << 33));
        let c = call(
            "<ns:methodCall xmlns:ns='x'><ns:methodName>a</ns:methodName><ns:params><ns:param>\
             <ns:value><ex:nil/></ns:value></ns:param></ns:params></ns:methodCall>",
        );
        assert_eq!(c, MethodCall { method: "a".into(), params: vec![Value::Nil] });
    }

    #[test]
    fn base64_with_whitespace() {
        let body = "<value><base64>\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\n\
                    OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiYw==\n</base64></value>";
        let expected: Vec<u8> = (0u8..100).collect();
        assert_eq!(param(body), Value::Base64(expected));
        assert_eq!(param("<value><base64> aGVs\r\n bG8= </base64></value>"), Value::Base64(b"hello".to_vec()));
    }

    #[test]
    fn nested_arrays_and_structs() {
        let v = param(
            "<value><struct>\
               <member><name>a</name><value><array><data>\
                 <value><int>1</int></value>\
                 <value><struct><member><name>deep</name><value><array><data><value>x</value></data></array></value></member></struct></value>\
                 <value><nil/></value>\
               </data></array></value></member>\
               <member><name>b</name><value><struct></struct></value></member>\
             </struct></value>",
        );
        let expected = st(&[
            (
                "a",
                Value::Array(vec![
                    Value::Int(1),
                    st(&[("deep", Value::Array(vec![Value::String("x".into())]))]),
                    Value::Nil,
                ]),
            ),
            ("b", Value::Struct(Struct::new())),
        ]);
        assert_eq!(v, expected);
    }

    #[test]
    fn entities_and_char_refs_are_unescaped() {
        assert_eq!(
            param("<value><string>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#65;&#x42;&#13;</string></value>"),
            Value::String("<a> & \"b\" 'c' AB\r".into())
        );
        assert_eq!(param("<value>x&amp;y</value>"), Value::String("x&y".into()));
        assert_eq!(
            param(
                "<value><struct><member><name>a&lt;b&amp;c</name><value><int>1</int></value></member></struct></value>"
            ),
            st(&[("a<b&c", Value::Int(1))])
        );
        let c = call("<methodCall><methodName>get&#84;ag</methodName></methodCall>");
        assert_eq!(c.method, "getTag");
        // CDATA is character data too, and CR LF is normalised like any XML parser does.
        assert_eq!(param("<value><string><![CDATA[<raw> & ]]>x</string></value>"), Value::String("<raw> & x".into()));
        assert_eq!(param("<value><string>a\r\nb</string></value>"), Value::String("a\nb".into()));
        assert_eq!(
            param("<value><string>caf\u{e9} \u{1F600}</string></value>"),
            Value::String("caf\u{e9} \u{1F600}".into())
        );
    }

    #[test]
    fn comments_pis_and_whitespace_are_ignored() {
        let c = call(
            "\u{FEFF}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- c0 -->\n<methodCall>\n  <!-- c1 -->\n\
             <methodName>echo</methodName>\n  <params>\n <param> <!-- c2 --> <value> <int>1</int> </value> </param>\n\
             </params>\n</methodCall>\n<!-- trailing comment -->\n  \n",
        );
        assert_eq!(c, MethodCall { method: "echo".into(), params: vec![Value::Int(1)] });
        assert_eq!(param("<value>a<!-- x -->b</value>"), Value::String("ab".into()));
        assert_eq!(param("<value><string>a<!-- x -->b</string></value>"), Value::String("ab".into()));
    }

    #[test]
    fn duplicate_member_names_last_wins() {
        assert_eq!(
            param(
                "<value><struct><member><name>a</name><value><int>1</int></value></member>\
                 <member><name>a</name><value><int>2</int></value></member></struct></value>"
            ),
            st(&[("a", Value::Int(2))])
        );
    }

    // ---- rejects -------------------------------------------------------------------------

    #[test]
    fn rejects_malformed_xml() {
        let e = call_err("<methodCall><methodName>x</methodName></methodCall");
        assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
        assert!(e.to_string().starts_with("invalid XML at byte "), "{e}");
        let e = call_err("<methodCall><methodName>x</methodName><params></methodCall>");
        assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
        let e = call_err("<methodCall><methodName>x</methodName>");
        assert!(matches!(e, DecodeError::Xml { .. } | DecodeError::UnexpectedEof("methodCall")), "{e:?}");
        let e = call_err("<methodCall><methodName>a & b</methodName></methodCall>");
        assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
    }

    #[test]
    fn rejects_empty_and_non_xml() {
        assert!(matches!(call_err(""), DecodeError::NoRoot));
        assert!(matches!(call_err("  \n"), DecodeError::NoRoot));
        assert!(matches!(call_err("<?xml version='1.0'?>"), DecodeError::NoRoot));
        let e = call_err("hello");
        assert!(matches!(e, DecodeError::TextBeforeRoot), "{e:?}");
        assert_eq!(e.to_string(), "text before the root element");
    }

    #[test]
    fn rejects_dtd_and_undefined_entities() {
        let e = call_err(
            "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol \"lol\">]><methodCall><methodName>&lol;</methodName></methodCall>",
        );
        assert!(matches!(e, DecodeError::Dtd), "{e:?}");
        assert_eq!(e.to_string(), "DTD is not allowed");
        let e = call_err("<methodCall><methodName>&lol;</methodName></methodCall>");
        assert!(matches!(&e, DecodeError::UndefinedEntity(n) if n == "lol"), "{e:?}");
        assert_eq!(e.to_string(), "undefined entity &lol;");
        let e = param_err("<value><string>&#1;</string></value>");
        assert!(matches!(&e, DecodeError::InvalidCharRef(n) if n == "#1"), "{e:?}");
        let e = param_err("<value><string>&#0;</string></value>");
        assert!(matches!(e, DecodeError::InvalidCharRef(_)), "{e:?}");
        let e = param_err("<value><string>&#xD800;</string></value>");
        assert!(matches!(e, DecodeError::InvalidCharRef(_)), "{e:?}");
    }

    #[test]
    fn rejects_wrong_root() {
        let e = call_err("<methodResponse><params/></methodResponse>");
        assert!(matches!(&e, DecodeError::WrongRoot { expected: "methodCall", found } if found == "methodResponse"));
        assert_eq!(e.to_string(), "expected root element <methodCall>, found <methodResponse>");
        let e = parse_method_response(b"<methodCall><methodName>x</methodName></methodCall>", Limits::default())
            .unwrap_err();
        assert!(matches!(e, DecodeError::WrongRoot { expected: "methodResponse", .. }), "{e:?}");
    }

    #[test]
    fn rejects_missing_method_name() {
        let e = call_err("<methodCall><params/></methodCall>");
        assert!(matches!(e, DecodeError::Missing { element: "methodName", parent: "methodCall" }), "{e:?}");
        assert!(e.to_string().starts_with("missing <methodName>"), "{e}");
        let e = call_err("<methodCall/>");
        assert!(matches!(e, DecodeError::Missing { element: "methodName", .. }), "{e:?}");
    }

    #[test]
    fn rejects_duplicates() {
        let e = call_err("<methodCall><methodName>a</methodName><methodName>b</methodName></methodCall>");
        assert!(matches!(e, DecodeError::Duplicate { element: "methodName", parent: "methodCall" }), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName><params/><params/></methodCall>");
        assert!(matches!(e, DecodeError::Duplicate { element: "params", .. }), "{e:?}");
        let e = param_err("<value>1</value><value>2</value>");
        assert!(matches!(e, DecodeError::Duplicate { element: "value", parent: "param" }), "{e:?}");
        let e = param_err("<value><array><data/><data/></array></value>");
        assert!(matches!(e, DecodeError::Duplicate { element: "data", parent: "array" }), "{e:?}");
        let e =
            param_err("<value><struct><member><name>a</name><name>b</name><value>1</value></member></struct></value>");
        assert!(matches!(e, DecodeError::Duplicate { element: "name", parent: "member" }), "{e:?}");
        let e = param_err(
            "<value><struct><member><name>a</name><value>1</value><value>2</value></member></struct></value>",
        );
        assert!(matches!(e, DecodeError::Duplicate { element: "value", parent: "member" }), "{e:?}");
    }

    #[test]
    fn rejects_unknown_elements() {
        let e = param_err("<value><foo>1</foo></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { element, parent: "value" } if element == "foo"));
        assert_eq!(e.to_string(), "unexpected element <foo> in <value>");
        let e = call_err("<methodCall><methodName>a</methodName><bogus/></methodCall>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { element, parent: "methodCall" } if element == "bogus"));
        let e = call_err("<methodCall><methodName>a<b/></methodName></methodCall>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { element, parent: "methodName" } if element == "b"));
        let e = param_err("<value><int><int>1</int></int></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "int", .. }), "{e:?}");
        let e = param_err("<value><array><value>1</value></array></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "array", .. }), "{e:?}");
        let e = param_err("<value><struct><value>1</value></struct></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "struct", .. }), "{e:?}");
        let e = param_err("<value><array><data><int>1</int></data></array></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "data", .. }), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName><params><value>1</value></params></methodCall>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "params", .. }), "{e:?}");
        let e = param_err("<value><struct><member><name>a</name><foo/></member></struct></value>");
        assert!(matches!(&e, DecodeError::UnexpectedElement { parent: "member", .. }), "{e:?}");
        // A huge element name is truncated in the message.
        let long = "x".repeat(10_000);
        let e = param_err(&format!("<value><{long}/></value>"));
        assert!(e.to_string().len() < 200, "{e}");
    }

    #[test]
    fn rejects_value_with_two_children() {
        let e = param_err("<value><int>1</int><int>2</int></value>");
        assert!(matches!(&e, DecodeError::MultipleValues(n) if n == "int"), "{e:?}");
        let e = param_err("<value><string>a</string> <nil/></value>");
        assert!(matches!(e, DecodeError::MultipleValues(_)), "{e:?}");
    }

    #[test]
    fn rejects_text_next_to_element_in_value() {
        let e = param_err("<value>abc<int>1</int></value>");
        assert!(matches!(e, DecodeError::MixedContent), "{e:?}");
        assert_eq!(e.to_string(), "text mixed with an element in <value>");
        let e = param_err("<value><int>1</int>abc</value>");
        assert!(matches!(e, DecodeError::MixedContent), "{e:?}");
        let e = param_err("<value><int>1</int>&amp;</value>");
        assert!(matches!(e, DecodeError::MixedContent), "{e:?}");
        let e = param_err("<value>&#65;<int>1</int></value>");
        assert!(matches!(e, DecodeError::MixedContent), "{e:?}");
    }

    #[test]
    fn rejects_text_in_structural_elements() {
        let e = call_err("<methodCall>junk<methodName>a</methodName></methodCall>");
        assert!(matches!(e, DecodeError::UnexpectedText { parent: "methodCall" }), "{e:?}");
        let e = param_err("x<value>1</value>");
        assert!(matches!(e, DecodeError::UnexpectedText { parent: "param" }), "{e:?}");
        let e = param_err("<value><array><data>x</data></array></value>");
        assert!(matches!(e, DecodeError::UnexpectedText { parent: "data" }), "{e:?}");
        let e = param_err("<value><struct>x</struct></value>");
        assert!(matches!(e, DecodeError::UnexpectedText { parent: "struct" }), "{e:?}");
        let e = param_err("<value><nil>x</nil></value>");
        assert!(matches!(e, DecodeError::InvalidValue { tag: "nil", .. }), "{e:?}");
    }

    #[test]
    fn rejects_trailing_garbage() {
        let e = call_err("<methodCall><methodName>a</methodName></methodCall>garbage");
        assert!(matches!(e, DecodeError::TrailingContent("methodCall")), "{e:?}");
        assert_eq!(e.to_string(), "unexpected content after </methodCall>");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall><methodCall/>");
        assert!(matches!(e, DecodeError::TrailingContent("methodCall")), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall>&amp;");
        assert!(matches!(e, DecodeError::TrailingContent("methodCall")), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall><!DOCTYPE x>");
        assert!(matches!(e, DecodeError::Dtd), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall><![CDATA[]]>");
        assert!(matches!(e, DecodeError::TrailingContent("methodCall")), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall></x>");
        assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
        let e = call_err("<methodCall><methodName>a</methodName></methodCall><?xml version='1.0'?>");
        assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
    }

    #[test]
    fn rejects_bad_integers() {
        let e = param_err("<value><int>x</int></value>");
        assert!(matches!(&e, DecodeError::InvalidValue { tag: "int", text } if text == "x"), "{e:?}");
        assert_eq!(e.to_string(), "invalid <int> value: 'x'");
        let e = param_err("<value><i4>12a</i4></value>");
        assert_eq!(e.to_string(), "invalid <i4> value: '12a'");
        let e = param_err("<value><int></int></value>");
        assert_eq!(e.to_string(), "invalid <int> value: ''");
        let e = param_err("<value><int>1.5</int></value>");
        assert!(matches!(e, DecodeError::InvalidValue { tag: "int", .. }), "{e:?}");
        let e = param_err("<value><i8>9223372036854775808</i8></value>");
        assert!(matches!(&e, DecodeError::OutOfRange { tag: "i8", text } if text == "9223372036854775808"));
        assert_eq!(e.to_string(), "<i8> value out of range: '9223372036854775808'");
        let e = param_err("<value><int>-99999999999999999999999</int></value>");
        assert!(matches!(e, DecodeError::OutOfRange { tag: "int", .. }), "{e:?}");
        // Long garbage is truncated in the message.
        let e = param_err(&format!("<value><int>{}</int></value>", "z".repeat(5000)));
        assert!(e.to_string().len() < 100, "{e}");
    }

    #[test]
    fn rejects_bad_booleans_and_doubles() {
        for bad in ["2", "true", "", "yes", "01"] {
            let e = param_err(&format!("<value><boolean>{bad}</boolean></value>"));
            assert!(matches!(&e, DecodeError::InvalidValue { tag: "boolean", text } if text == bad), "{e:?}");
        }
        let e = param_err("<value><double>1.2.3</double></value>");
        assert_eq!(e.to_string(), "invalid <double> value: '1.2.3'");
        let e = param_err("<value><double/></value>");
        assert!(matches!(e, DecodeError::InvalidValue { tag: "double", .. }), "{e:?}");
    }

    #[test]
    fn rejects_bad_base64() {
        let e = param_err("<value><base64>!!!!</base64></value>");
        assert!(matches!(e, DecodeError::InvalidBase64(_)), "{e:?}");
        assert!(e.to_string().starts_with("invalid <base64> value: "), "{e}");
        let e = param_err("<value><base64>aGVsbG8</base64></value>");
        assert!(matches!(e, DecodeError::InvalidBase64(_)), "{e:?}");
    }

    #[test]
    fn rejects_incomplete_members() {
        let e = param_err("<value><struct><member><value>1</value></member></struct></value>");
        assert!(matches!(e, DecodeError::Missing { element: "name", parent: "member" }), "{e:?}");
        let e = param_err("<value><struct><member><name>a</name></member></struct></value>");
        assert!(matches!(e, DecodeError::Missing { element: "value", parent: "member" }), "{e:?}");
        assert_eq!(e.to_string(), "missing <value> in <member>");
        let e = param_err("");
        assert!(matches!(e, DecodeError::Missing { element: "value", parent: "param" }), "{e:?}");
    }

    #[test]
    fn rejects_raw_control_characters() {
        let e = param_err("<value><string>a\u{1}b</string></value>");
        assert!(matches!(e, DecodeError::InvalidChar(1)), "{e:?}");
        assert_eq!(e.to_string(), "invalid character U+0001 in text");
        let e = param_err("<value>\u{0}</value>");
        assert!(matches!(e, DecodeError::InvalidChar(0)), "{e:?}");
        let e = param_err("<value><string>\u{FFFF}</string></value>");
        assert!(matches!(e, DecodeError::InvalidChar(0xFFFF)), "{e:?}");
        let e = param_err("<value><string><![CDATA[\u{1b}]]></string></value>");
        assert!(matches!(e, DecodeError::InvalidChar(0x1b)), "{e:?}");
        // Tab, newline, CR and U+FFFD are fine.
        assert_eq!(param("<value>\t\n\u{FFFD}</value>"), Value::String("\t\n\u{FFFD}".into()));
    }

    #[test]
    fn rejects_non_utf8() {
        let mut body = b"<methodCall><methodName>".to_vec();
        body.extend_from_slice(&[0xff, 0xfe]);
        body.extend_from_slice(b"</methodName></methodCall>");
        let e = parse_method_call(&body, Limits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::NotUtf8(24)), "{e:?}");
        let e =
            call_err("<?xml version='1.0' encoding='ISO-8859-1'?><methodCall><methodName>a</methodName></methodCall>");
        assert!(matches!(&e, DecodeError::UnsupportedEncoding(enc) if enc == "ISO-8859-1"), "{e:?}");
    }

    #[test]
    fn depth_limit() {
        fn nested(levels: usize) -> String {
            let mut s = String::new();
            for _ in 0..levels {
                s.push_str("<value><array><data>");
            }
            s.push_str("<value><int>1</int></value>");
            for _ in 0..levels {
                s.push_str("</data></array></value>");
            }
            s
        }
        // Exactly 64 levels is fine.
        let mut v = &param(&nested(64));
        let mut levels = 0;
        while let Value::Array(a) = v {
            levels += 1;
            v = &a[0];
        }
        assert_eq!(levels, 64);
        assert_eq!(v, &Value::Int(1));
        // 65 is not.
        let e = param_err(&nested(65));
        assert!(matches!(e, DecodeError::TooDeep(64)), "{e:?}");
        assert_eq!(e.to_string(), "nesting deeper than 64 levels");
        // Structs count too, and a custom limit is honoured.
        let body = "<methodCall><methodName>m</methodName><params><param><value><struct><member><name>a</name>\
                    <value><array><data><value><struct/></value></data></array></value></member></struct></value>\
                    </param></params></methodCall>";
        assert!(parse_method_call(body.as_bytes(), Limits { max_depth: 3 }).is_ok());
        let e = parse_method_call(body.as_bytes(), Limits { max_depth: 2 }).unwrap_err();
        assert!(matches!(e, DecodeError::TooDeep(2)), "{e:?}");
    }

    #[test]
    fn depth_100000_fails_fast_without_overflow() {
        let levels = 100_000;
        let mut s = String::from("<methodCall><methodName>m</methodName><params><param>");
        for _ in 0..levels {
            s.push_str("<value><array><data>");
        }
        s.push_str("<value><int>1</int></value>");
        for _ in 0..levels {
            s.push_str("</data></array></value>");
        }
        s.push_str("</param></params></methodCall>");
        let started = std::time::Instant::now();
        let e = parse_method_call(s.as_bytes(), Limits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::TooDeep(64)), "{e:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // Unclosed deep nesting (never reaching the end) fails the same way.
        let s = "<methodCall><methodName>m</methodName><params><param>".to_string()
            + &"<value><struct><member><name>a</name>".repeat(levels);
        let e = parse_method_call(s.as_bytes(), Limits::default()).unwrap_err();
        assert!(matches!(e, DecodeError::TooDeep(64)), "{e:?}");
    }

    #[test]
    fn errors_never_echo_the_body() {
        let big = "A".repeat(100_000);
        let bodies = [
            format!("<methodCall><methodName>{big}</methodName><oops>{big}</oops></methodCall>"),
            format!("<methodCall><methodName>{big}</methodName></methodCall>{big}"),
            format!("<methodCall><methodName>{big}</methodName><{big}>"),
            format!("<methodCall><methodName>{big}</methodName></{big}>"),
            format!(
                "<methodCall><methodName>a</methodName><params><param><value><double>{big}</double></value></param></params></methodCall>"
            ),
            format!(
                "<methodCall><methodName>a</methodName><params><param><value><base64>{big}!</base64></value></param></params></methodCall>"
            ),
        ];
        for body in &bodies {
            let e = call_err(body);
            assert!(e.to_string().len() < 300, "message too long for {e:?}");
        }
    }

    // ---- responses -----------------------------------------------------------------------

    #[test]
    fn response_value_and_fault() {
        let body = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><int>1</int></value>\n\
                    </param>\n</params>\n</methodResponse>\n";
        assert_eq!(parse_method_response(body.as_bytes(), Limits::default()).unwrap(), Ok(Value::Int(1)));

        let body = "<methodResponse><params><param><value><struct>\n\
            <member><name>session-id</name><value><int>4242</int></value></member>\n\
            <member><name>session-key</name><value><string>1-AbCdEfGhIjKlMnOpQrS</string></value></member>\n\
            <member><name>header-auth</name><value><boolean>1</boolean></value></member>\n\
            </struct></value></param></params></methodResponse>";
        assert_eq!(
            parse_method_response(body.as_bytes(), Limits::default()).unwrap(),
            Ok(st(&[
                ("session-id", Value::Int(4242)),
                ("session-key", Value::String("1-AbCdEfGhIjKlMnOpQrS".into())),
                ("header-auth", Value::Bool(true)),
            ]))
        );

        let body = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n\
            <name>faultCode</name>\n<value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n\
            <value><string>test error</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n";
        assert_eq!(
            parse_method_response(body.as_bytes(), Limits::default()).unwrap(),
            Err(Fault { code: 1000, message: "test error".into() })
        );
        let f = Fault::new(1002, "no");
        assert_eq!(f.to_string(), "<Fault 1002: \"no\">");
    }

    #[test]
    fn response_rejects() {
        let parse = |b: &str| parse_method_response(b.as_bytes(), Limits::default());
        let e = parse("<methodResponse><params></params></methodResponse>").unwrap_err();
        assert!(matches!(e, DecodeError::ResponseParamCount(0)), "{e:?}");
        let e = parse("<methodResponse><params><param><value>1</value></param><param><value>2</value></param></params></methodResponse>")
            .unwrap_err();
        assert!(matches!(e, DecodeError::ResponseParamCount(2)), "{e:?}");
        let e = parse("<methodResponse></methodResponse>").unwrap_err();
        assert!(matches!(e, DecodeError::Missing { element: "params", parent: "methodResponse" }), "{e:?}");
        let e = parse("<methodResponse><fault><value><int>1</int></value></fault></methodResponse>").unwrap_err();
        assert!(matches!(e, DecodeError::InvalidFault(_)), "{e:?}");
        let e = parse(
            "<methodResponse><fault><value><struct><member><name>faultCode</name><value>x</value></member>\
             <member><name>faultString</name><value>y</value></member></struct></value></fault></methodResponse>",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "invalid <fault>: faultCode is not an int");
        let e = parse(
            "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member>\
             </struct></value></fault></methodResponse>",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "invalid <fault>: missing faultString");
        let e = parse("<methodResponse><params><param><value>1</value></param></params><fault/></methodResponse>")
            .unwrap_err();
        assert!(matches!(e, DecodeError::UnexpectedElement { parent: "methodResponse", .. }), "{e:?}");
    }

    // ---- robustness ----------------------------------------------------------------------

    /// A tiny deterministic mutation fuzzer (the real one is `fuzz/`): mutated documents must
    /// never panic, and whatever decodes must survive an encode/decode round trip.
    #[test]
    fn mutated_documents_never_panic_and_round_trip() {
        use crate::xmlrpc::encode::{encode_call, encode_response};
        let seeds: Vec<String> = vec![
            encode_call(
                "multiCall",
                &[Value::Array(vec![
                    st(&[("methodName", Value::String("getTag".into())), ("params", Value::Array(vec![Value::Int(1)]))]),
                    st(&[("k<&>", Value::Base64(vec![1, 2, 3])), ("d", Value::DateTime("20250102T03:04:05".into()))]),
                ])],
            ),
            encode_call("echo", &[Value::Nil, Value::Bool(true), Value::Int(1 << 40), Value::Double(-2.5), Value::String("a\r\nb".into())]),
            encode_response(&Value::Array(vec![Value::Struct(Struct::new()), Value::Array(vec![])])),
            "<methodCall><methodName>x</methodName><params><param><value>t</value></param><param><value/></param></params></methodCall>".into(),
        ];
        const SNIPPETS: &[&str] = &[
            "<value>",
            "</value>",
            "<array><data>",
            "</data></array>",
            "<struct>",
            "</struct>",
            "<member>",
            "<name>",
            "</name>",
            "&#13;",
            "&amp;",
            "&#x1F600;",
            "&bogus;",
            "<nil/>",
            "<ex:nil/>",
            "<![CDATA[",
            "]]>",
            "<!--",
            "-->",
            "<?xml version='1.0'?>",
            "<!DOCTYPE x>",
            "\u{FFFF}",
            "<i8>99999999999</i8>",
            "<int>",
            "</int>",
            "<base64>",
            "<data/>",
            "<value/>",
            "</methodCall>",
            "<param>",
            "\u{0}",
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut decoded = 0;
        for i in 0..20_000 {
            let mut doc = seeds[i % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + rand(2) {
                let len = doc.len().max(1);
                match rand(5) {
                    0 => {
                        let at = rand(len).min(doc.len().saturating_sub(1));
                        if let Some(b) = doc.get_mut(at) {
                            const BYTES: &[u8] = b"<>/&;#x01 \n\"'=?!-[]";
                            *b = BYTES[rand(BYTES.len())];
                        }
                    }
                    1 => {
                        let at = rand(len).min(doc.len());
                        let end = (at + rand(16)).min(doc.len());
                        doc.drain(at..end);
                    }
                    2 => {
                        let at = rand(len).min(doc.len());
                        let snippet = SNIPPETS[rand(SNIPPETS.len())].as_bytes();
                        doc.splice(at..at, snippet.iter().copied());
                    }
                    3 => {
                        let at = rand(len).min(doc.len());
                        let end = (at + rand(40)).min(doc.len());
                        let copy = doc[at..end].to_vec();
                        doc.splice(at..at, copy);
                    }
                    _ => doc.truncate(rand(len)),
                }
            }
            if let Ok(call) = parse_method_call(&doc, Limits::default()) {
                decoded += 1;
                let again = encode_call(&call.method, &call.params);
                let reparsed = parse_method_call(again.as_bytes(), Limits::default())
                    .unwrap_or_else(|e| panic!("re-encoded call does not decode: {e}\n{again}"));
                if !again.contains("NaN") {
                    assert_eq!(reparsed, call);
                }
            }
            if let Ok(Ok(v)) = parse_method_response(&doc, Limits::default()) {
                let again = encode_response(&v);
                let reparsed = parse_method_response(again.as_bytes(), Limits::default()).unwrap();
                if !again.contains("NaN") {
                    assert_eq!(reparsed, Ok(v));
                }
            }
        }
        // Sanity: the mutations are not so aggressive that nothing decodes.
        assert!(decoded > 300, "only {decoded} mutated documents decoded");
    }
}
