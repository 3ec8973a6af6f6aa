//! XML-RPC encoder. The layout follows Python's `xmlrpc.client.Marshaller` (one value or
//! member per line), which the Koji client parses.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::value::Value;

const XML_DECL: &str = "<?xml version='1.0'?>\n";

/// A complete `<methodResponse>` document carrying `value`.
pub fn encode_response(value: &Value) -> String {
    let mut out = String::with_capacity(160);
    out.push_str(XML_DECL);
    out.push_str("<methodResponse>\n<params>\n<param>\n");
    encode_value(&mut out, value);
    out.push_str("\n</param>\n</params>\n</methodResponse>\n");
    out
}

/// A complete fault `<methodResponse>` document (`faultCode` as `<int>`, `faultString` as
/// `<string>`).
pub fn encode_fault(code: i32, message: &str) -> String {
    let mut out = String::with_capacity(280 + message.len());
    out.push_str(XML_DECL);
    out.push_str("<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n<value><int>");
    let _ = write!(out, "{code}");
    out.push_str("</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>");
    escape_into(&mut out, message);
    out.push_str("</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n");
    out
}

/// A complete `<methodCall>` document.
pub fn encode_call(method: &str, params: &[Value]) -> String {
    let mut out = String::with_capacity(128 + 64 * params.len());
    out.push_str(XML_DECL);
    out.push_str("<methodCall>\n<methodName>");
    escape_into(&mut out, method);
    out.push_str("</methodName>\n<params>\n");
    for p in params {
        out.push_str("<param>\n");
        encode_value(&mut out, p);
        out.push_str("\n</param>\n");
    }
    out.push_str("</params>\n</methodCall>\n");
    out
}

/// Append one `<value>…</value>` (no trailing newline) to `out`.
pub fn encode_value(out: &mut String, value: &Value) {
    match value {
        Value::Nil => out.push_str("<value><nil/></value>"),
        Value::Bool(b) => {
            out.push_str(if *b { "<value><boolean>1</boolean></value>" } else { "<value><boolean>0</boolean></value>" })
        }
        Value::Int(i) => {
            if i32::try_from(*i).is_ok() {
                let _ = write!(out, "<value><int>{i}</int></value>");
            } else {
                let _ = write!(out, "<value><i8>{i}</i8></value>");
            }
        }
        // `{:?}` keeps a fractional part (`4.0`) and writes NaN/inf as `NaN`/`inf`/`-inf`,
        // which Python's float() and our decoder both accept.
        Value::Double(d) => {
            let _ = write!(out, "<value><double>{d:?}</double></value>");
        }
        Value::String(s) => {
            out.push_str("<value><string>");
            escape_into(out, s);
            out.push_str("</string></value>");
        }
        Value::Base64(b) => {
            out.push_str("<value><base64>");
            STANDARD.encode_string(b, out);
            out.push_str("</base64></value>");
        }
        Value::DateTime(s) => {
            out.push_str("<value><dateTime.iso8601>");
            escape_into(out, s);
            out.push_str("</dateTime.iso8601></value>");
        }
        Value::Array(items) => {
            out.push_str("<value><array><data>\n");
            for v in items {
                encode_value(out, v);
                out.push('\n');
            }
            out.push_str("</data></array></value>");
        }
        Value::Struct(members) => {
            out.push_str("<value><struct>\n");
            for (k, v) in members {
                out.push_str("<member>\n<name>");
                escape_into(out, k);
                out.push_str("</name>\n");
                encode_value(out, v);
                out.push_str("\n</member>\n");
            }
            out.push_str("</struct></value>");
        }
    }
}

/// Append `s` XML-escaped: `&`, `<`, `>` as entities, `\r` as `&#13;` (so it is not
/// normalised away), and characters XML 1.0 cannot carry at all (C0 controls other than
/// tab/newline/CR, U+FFFE, U+FFFF) replaced by U+FFFD.
pub(crate) fn escape_into(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (replacement, len): (&str, usize) = match b {
            b'&' => ("&amp;", 1),
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'\r' => ("&#13;", 1),
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..=0x1F => ("\u{FFFD}", 1),
            // U+FFFE / U+FFFF are EF BF BE / EF BF BF in UTF-8.
            0xEF if bytes.get(i + 1) == Some(&0xBF) && matches!(bytes.get(i + 2), Some(0xBE | 0xBF)) => ("\u{FFFD}", 3),
            _ => {
                i += 1;
                continue;
            }
        };
        // All split points are ASCII bytes or the lead byte of a 3-byte sequence, so they
        // are char boundaries.
        out.push_str(&s[start..i]);
        out.push_str(replacement);
        i += len;
        start = i;
    }
    out.push_str(&s[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xmlrpc::decode::{Fault, Limits, MethodCall, parse_method_call, parse_method_response};
    use crate::xmlrpc::value::Struct;

    fn enc(v: &Value) -> String {
        let mut s = String::new();
        encode_value(&mut s, v);
        s
    }

    use crate::xmlrpc::test_struct as st;

    /// One value of every type, nested.
    fn sample() -> Value {
        Value::Array(vec![
            Value::Nil,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(i64::from(i32::MAX)),
            Value::Int(i64::from(i32::MIN)),
            Value::Int(i64::from(i32::MAX) + 1),
            Value::Int(i64::MAX),
            Value::Int(i64::MIN),
            Value::Double(4.0),
            Value::Double(-0.1),
            Value::Double(1e300),
            Value::Double(f64::INFINITY),
            Value::String(String::new()),
            Value::String("a<b>&c \"q\" 'a' \r\n\t ü \u{1F600} ]]>".into()),
            Value::Base64(vec![]),
            Value::Base64((0u8..=255).collect()),
            Value::DateTime("20250102T03:04:05".into()),
            Value::Array(vec![]),
            Value::Struct(Struct::new()),
            st(&[
                ("", Value::Int(1)),
                ("a<&>b", Value::Array(vec![st(&[("x", Value::Nil)]), Value::Array(vec![Value::Int(2)])])),
                ("__starstar", Value::Bool(true)),
            ]),
        ])
    }

    #[test]
    fn response_layout_matches_spec() {
        assert_eq!(
            encode_response(&Value::Int(1)),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><int>1</int></value>\n\
             </param>\n</params>\n</methodResponse>\n"
        );
        assert_eq!(
            encode_response(&Value::Nil),
            "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><nil/></value>\n\
             </param>\n</params>\n</methodResponse>\n"
        );
    }

    #[test]
    fn fault_layout_matches_spec() {
        assert_eq!(
            encode_fault(1000, "test error"),
            "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n\
             <value><int>1000</int></value>\n</member>\n<member>\n<name>faultString</name>\n\
             <value><string>test error</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n"
        );
        let f = encode_fault(-32700, "bad <xml> & \u{1}stuff");
        assert!(f.contains("<value><int>-32700</int></value>"), "{f}");
        assert!(f.contains("<value><string>bad &lt;xml&gt; &amp; \u{FFFD}stuff</string></value>"), "{f}");
        assert_eq!(
            parse_method_response(f.as_bytes(), Limits::default()).unwrap(),
            Err(Fault { code: -32700, message: "bad <xml> & \u{FFFD}stuff".into() })
        );
    }

    #[test]
    fn call_layout() {
        assert_eq!(
            encode_call("getTag", &[Value::String("f40-build".into())]),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>getTag</methodName>\n<params>\n<param>\n\
             <value><string>f40-build</string></value>\n</param>\n</params>\n</methodCall>\n"
        );
        assert_eq!(
            encode_call("getAPIVersion", &[]),
            "<?xml version='1.0'?>\n<methodCall>\n<methodName>getAPIVersion</methodName>\n<params>\n</params>\n\
             </methodCall>\n"
        );
    }

    #[test]
    fn scalars() {
        assert_eq!(enc(&Value::Nil), "<value><nil/></value>");
        assert_eq!(enc(&Value::Bool(true)), "<value><boolean>1</boolean></value>");
        assert_eq!(enc(&Value::Bool(false)), "<value><boolean>0</boolean></value>");
        assert_eq!(enc(&Value::Int(-5)), "<value><int>-5</int></value>");
        assert_eq!(enc(&Value::Int(2_147_483_647)), "<value><int>2147483647</int></value>");
        assert_eq!(enc(&Value::Int(-2_147_483_648)), "<value><int>-2147483648</int></value>");
        assert_eq!(enc(&Value::Int(2_147_483_648)), "<value><i8>2147483648</i8></value>");
        assert_eq!(enc(&Value::Int(-2_147_483_649)), "<value><i8>-2147483649</i8></value>");
        assert_eq!(enc(&Value::Int(5_000_000_000)), "<value><i8>5000000000</i8></value>");
        assert_eq!(enc(&Value::Double(4.0)), "<value><double>4.0</double></value>");
        assert_eq!(enc(&Value::Double(0.1)), "<value><double>0.1</double></value>");
        assert_eq!(enc(&Value::Double(1751371200.123456)), "<value><double>1751371200.123456</double></value>");
        assert_eq!(enc(&Value::Double(f64::NAN)), "<value><double>NaN</double></value>");
        assert_eq!(enc(&Value::Double(f64::NEG_INFINITY)), "<value><double>-inf</double></value>");
        assert_eq!(enc(&Value::String("x".into())), "<value><string>x</string></value>");
        assert_eq!(enc(&Value::Base64(b"hello".to_vec())), "<value><base64>aGVsbG8=</base64></value>");
        assert_eq!(
            enc(&Value::DateTime("20250102T03:04:05".into())),
            "<value><dateTime.iso8601>20250102T03:04:05</dateTime.iso8601></value>"
        );
    }

    #[test]
    fn containers_layout() {
        assert_eq!(enc(&Value::Array(vec![])), "<value><array><data>\n</data></array></value>");
        assert_eq!(
            enc(&Value::Array(vec![Value::Int(1), Value::Nil])),
            "<value><array><data>\n<value><int>1</int></value>\n<value><nil/></value>\n</data></array></value>"
        );
        assert_eq!(enc(&Value::Struct(Struct::new())), "<value><struct>\n</struct></value>");
        assert_eq!(
            enc(&st(&[("b", Value::Int(2)), ("a", Value::Bool(true))])),
            "<value><struct>\n<member>\n<name>a</name>\n<value><boolean>1</boolean></value>\n</member>\n\
             <member>\n<name>b</name>\n<value><int>2</int></value>\n</member>\n</struct></value>"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(enc(&Value::String("a<b>&c\"'".into())), "<value><string>a&lt;b&gt;&amp;c\"'</string></value>");
        assert_eq!(enc(&Value::String("x\r\ny".into())), "<value><string>x&#13;\ny</string></value>");
        assert_eq!(
            enc(&st(&[("k<&>", Value::Nil)])),
            "<value><struct>\n<member>\n<name>k&lt;&amp;&gt;</name>\n<value><nil/></value>\n</member>\n</struct></value>"
        );
        let call = encode_call("a&b", &[]);
        assert!(call.contains("<methodName>a&amp;b</methodName>"), "{call}");
    }

    #[test]
    fn invalid_xml_chars_are_replaced() {
        assert_eq!(
            enc(&Value::String("a\u{0}b\u{1}c\u{1f}d\u{7f}e\u{FFFE}f\u{FFFF}g\tok".into())),
            "<value><string>a\u{FFFD}b\u{FFFD}c\u{FFFD}d\u{7f}e\u{FFFD}f\u{FFFD}g\tok</string></value>"
        );
        assert_eq!(
            enc(&st(&[("\u{8}", Value::Nil)])),
            "<value><struct>\n<member>\n<name>\u{FFFD}</name>\n<value><nil/></value>\n</member>\n</struct></value>"
        );
        // Characters next to the replaced ones are untouched (multi-byte boundaries).
        assert_eq!(
            enc(&Value::String("\u{FFFD}\u{FFFE}\u{EFFF}".into())),
            "<value><string>\u{FFFD}\u{FFFD}\u{EFFF}</string></value>"
        );
        let v = Value::String("bell\u{7}".into());
        let doc = encode_response(&v);
        assert_eq!(
            parse_method_response(doc.as_bytes(), Limits::default()).unwrap(),
            Ok(Value::String("bell\u{FFFD}".into()))
        );
    }

    #[test]
    fn round_trip_every_type_as_call() {
        let params = vec![sample(), Value::Int(7), st(&[("strict", Value::Bool(true))])];
        let doc = encode_call("echo", &params);
        let parsed = parse_method_call(doc.as_bytes(), Limits::default()).unwrap();
        assert_eq!(parsed, MethodCall { method: "echo".into(), params });
    }

    #[test]
    fn round_trip_every_type_as_response() {
        let v = sample();
        let doc = encode_response(&v);
        assert_eq!(parse_method_response(doc.as_bytes(), Limits::default()).unwrap(), Ok(v));
        for v in sample().as_array().unwrap() {
            let doc = encode_response(v);
            assert_eq!(parse_method_response(doc.as_bytes(), Limits::default()).unwrap().as_ref(), Ok(v));
        }
    }

    #[test]
    fn round_trip_nan_and_deep_nesting() {
        let doc = encode_response(&Value::Double(f64::NAN));
        match parse_method_response(doc.as_bytes(), Limits::default()).unwrap() {
            Ok(Value::Double(d)) => assert!(d.is_nan()),
            other => panic!("{other:?}"),
        }
        let mut v = Value::Int(1);
        for i in 0..64 {
            v = if i % 2 == 0 { Value::Array(vec![v]) } else { st(&[("k", v)]) };
        }
        let doc = encode_response(&v);
        assert_eq!(parse_method_response(doc.as_bytes(), Limits::default()).unwrap(), Ok(v));
    }
}
