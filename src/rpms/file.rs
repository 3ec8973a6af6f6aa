//! Reading rpm files as Koji's import does (`koji.get_rpm_header`, `get_header_fields`, `rip_rpm_sighdr`):
//! the header fields that go into `rpminfo`, the signature header that goes into `rpmsigs`, and arbitrary header
//! fields for `getRPMHeaders`.

use crate::fault::{KojiError, KojiResult};
use crate::xmlrpc::{Struct, Value};
use md5::{Digest, Md5};
use num_traits::FromPrimitive;
use rpm::{IndexData, IndexSignatureTag, IndexTag, PackageMetadata};
use std::collections::HashMap;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::OnceLock;

/// The lead every rpm starts with; the signature header follows it.
const LEAD_SIZE: u64 = 96;

/// What an import records about an rpm file.
#[derive(Debug, Clone)]
pub struct RpmFile {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<i32>,
    /// `src` for a source rpm, whose header names the build host's arch (or `noarch`) instead.
    pub arch: String,
    pub is_source: bool,
    /// `SOURCERPM` of a binary rpm: the file name of the SRPM it was built from.
    pub sourcerpm: Option<String>,
    pub buildtime: i64,
    /// Hex of `RPMSIGTAG_MD5` (header + payload): what Koji calls `payloadhash`.
    pub sigmd5: String,
    /// The raw signature header, exactly as Koji rips it (padded to 8 bytes).
    pub sighdr: Vec<u8>,
    /// The id of the key that signed the rpm, `""` for an unsigned one (Koji's `rpmsigs.sigkey`).
    pub sigkey: String,
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> KojiError {
    KojiError::generic(format!("error reading package header of {}: {e}", path.display()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn md5_hex(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

fn metadata(path: &Path, file: &mut std::fs::File) -> KojiResult<PackageMetadata> {
    PackageMetadata::parse(&mut BufReader::new(&mut *file)).map_err(|e| unreadable(path, e))
}

impl RpmFile {
    pub fn read(path: &Path) -> KojiResult<RpmFile> {
        let mut file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
        let meta = metadata(path, &mut file)?;
        let h = &meta.header;
        let text = |tag: IndexTag| h.get_entry_data_as_string(tag).map(str::to_owned).map_err(|e| unreadable(path, e));
        let is_source = meta.is_source_package();
        let sig = &meta.signature;
        let sigmd5 = sig
            .get_entry_data_as_binary(IndexSignatureTag::RPMSIGTAG_MD5)
            .map(hex)
            .map_err(|_| unreadable(path, "no SIGMD5 in the signature header"))?;
        let sigkey = [
            IndexSignatureTag::RPMSIGTAG_GPG,
            IndexSignatureTag::RPMSIGTAG_PGP,
            IndexSignatureTag::RPMSIGTAG_DSA,
            IndexSignatureTag::RPMSIGTAG_RSA,
        ]
        .into_iter()
        .find_map(|t| sig.get_entry_data_as_binary(t).ok())
        .map(|packet| signature_key_id(packet).ok_or_else(|| unreadable(path, "unreadable OpenPGP signature")))
        .transpose()?
        .unwrap_or_default();
        let header_start = meta.get_package_segment_offsets().header;
        let mut sighdr = vec![0; usize::try_from(header_start - LEAD_SIZE).map_err(|e| unreadable(path, e))?];
        file.seek(SeekFrom::Start(LEAD_SIZE))
            .and_then(|_| file.read_exact(&mut sighdr))
            .map_err(|e| unreadable(path, e))?;
        Ok(RpmFile {
            name: text(IndexTag::RPMTAG_NAME)?,
            version: text(IndexTag::RPMTAG_VERSION)?,
            release: text(IndexTag::RPMTAG_RELEASE)?,
            epoch: meta.get_epoch().ok().and_then(|e| i32::try_from(e).ok()),
            arch: if is_source { "src".into() } else { text(IndexTag::RPMTAG_ARCH)? },
            is_source,
            sourcerpm: if is_source { None } else { Some(text(IndexTag::RPMTAG_SOURCERPM)?) },
            buildtime: meta.get_build_time().map_err(|e| unreadable(path, e))? as i64,
            sigmd5,
            sighdr,
            sigkey,
        })
    }

    pub fn nvr(&self) -> String {
        format!("{}-{}-{}", self.name, self.version, self.release)
    }

    /// The only file name Koji accepts for it: `N-V-R.A.rpm`.
    pub fn filename(&self) -> String {
        format!("{}.{}.rpm", self.nvr(), self.arch)
    }
}

/// Koji's `get_sigpacket_key_id`: the signing key id (hex) of an OpenPGP signature packet, v3 or v4.
fn signature_key_id(packet: &[u8]) -> Option<String> {
    let body = packet_body(packet)?;
    let key_id = match *body.first()? {
        3 => body.get(11..15)?.to_vec(),
        4 => {
            let hashed_len = usize::from(u16::from_be_bytes([*body.get(4)?, *body.get(5)?]));
            let hashed = body.get(6..6 + hashed_len)?;
            let off = 6 + hashed_len;
            let unhashed_len = usize::from(u16::from_be_bytes([*body.get(off)?, *body.get(off + 1)?]));
            let unhashed = body.get(off + 2..off + 2 + unhashed_len)?;
            let mut ids = issuer_subpackets(hashed)?;
            ids.extend(issuer_subpackets(unhashed)?);
            match ids.as_slice() {
                [one] if one.len() >= 4 => one[one.len() - 4..].to_vec(),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(hex(&key_id))
}

/// The body of a signature packet (tag 2), old or new packet format.
fn packet_body(p: &[u8]) -> Option<&[u8]> {
    let b0 = *p.first()?;
    if b0 & 0x80 == 0 {
        return None;
    }
    let (tag, length, offset) = if b0 & 0x40 != 0 {
        let b1 = usize::from(*p.get(1)?);
        let (length, offset) = match b1 {
            0..=191 => (b1, 2),
            192..=223 => (((b1 - 192) << 8) + usize::from(*p.get(2)?) + 192, 3),
            255 => (u32::from_be_bytes(p.get(2..6)?.try_into().ok()?) as usize, 6),
            _ => return None,
        };
        (b0 & 0x3f, length, offset)
    } else {
        let (length, offset) = match b0 & 0x03 {
            0 => (usize::from(*p.get(1)?), 2),
            1 => (usize::from(u16::from_be_bytes(p.get(1..3)?.try_into().ok()?)), 3),
            2 => (u32::from_be_bytes(p.get(1..5)?.try_into().ok()?) as usize, 5),
            _ => return None,
        };
        ((b0 >> 2) & 0x0f, length, offset)
    };
    (tag == 2 && p.len() == offset + length).then(|| &p[offset..])
}

/// The issuer key ids (subpacket type 16) among v4 signature subpackets.
fn issuer_subpackets(mut subs: &[u8]) -> Option<Vec<&[u8]>> {
    let mut ids = vec![];
    while !subs.is_empty() {
        let b0 = usize::from(subs[0]);
        let (length, off) = match b0 {
            0..=191 => (b0, 1),
            192..=254 => (((b0 - 192) << 8) + usize::from(*subs.get(1)?) + 192, 2),
            _ => (u32::from_be_bytes(subs.get(1..5)?.try_into().ok()?) as usize, 5),
        };
        if *subs.get(off)? == 16 {
            ids.push(subs.get(off + 1..off + length)?);
        }
        subs = subs.get(off + length..)?;
    }
    Some(ids)
}

/// A header tag's name as `rpm -q --qf` and Koji spell it, lower case (`license`, `sourcerpm`).
fn tag_name(tag: IndexTag) -> String {
    let name = tag.to_string();
    name.strip_prefix("RPMTAG_").unwrap_or(&name).to_lowercase()
}

/// The tag number of a header field name (case-insensitive); None for a name rpm does not know.
fn tag_by_name(name: &str) -> Option<u32> {
    static TAGS: OnceLock<HashMap<String, u32>> = OnceLock::new();
    // Every main-header tag number lies below 10000.
    let tags =
        TAGS.get_or_init(|| (0..10_000).filter_map(IndexTag::from_u32).map(|t| (tag_name(t), t as u32)).collect());
    tags.get(&name.to_lowercase()).copied()
}

/// `getRPMHeaders`: the named header fields (case-insensitive, e.g. `license`), or every field when `names` is
/// None. A field the header lacks comes back as nil; a name rpm does not know is Koji's GenericError.
pub fn header_fields(path: &Path, names: Option<&[String]>) -> KojiResult<Struct> {
    let mut file = std::fs::File::open(path).map_err(|e| unreadable(path, e))?;
    let header = metadata(path, &mut file)?.header;
    let Some(names) = names else {
        let entries = header.get_all_entries().map_err(|e| unreadable(path, e))?;
        return Ok(entries
            .into_iter()
            .filter_map(|(tag, data)| IndexTag::from_u32(tag).map(|t| (tag_name(t), header_value(data))))
            .collect());
    };
    let mut out = Struct::new();
    for name in names {
        let tag = tag_by_name(name)
            .ok_or_else(|| KojiError::generic(format!("No such rpm header field: {}", name.to_uppercase())))?;
        out.insert(name.clone(), header.entry(tag).map(header_value).unwrap_or(Value::Nil));
    }
    Ok(out)
}

/// Header data as rpm's Python bindings return it: one value as a scalar, several as a list.
fn header_value(data: IndexData) -> Value {
    fn one_or_many<T: Into<Value>>(items: Vec<T>) -> Value {
        let mut values: Vec<Value> = items.into_iter().map(Into::into).collect();
        if values.len() == 1 { values.remove(0) } else { Value::Array(values) }
    }
    match data {
        IndexData::Null => Value::Nil,
        IndexData::Char(v) | IndexData::Int8(v) => one_or_many(v.into_iter().map(i64::from).collect()),
        IndexData::Int16(v) => one_or_many(v.into_iter().map(i64::from).collect()),
        IndexData::Int32(v) => one_or_many(v.into_iter().map(i64::from).collect()),
        IndexData::Int64(v) => one_or_many(v.into_iter().map(|x| x as i64).collect()),
        IndexData::StringTag(s) => Value::String(s),
        IndexData::I18NString(v) => v.into_iter().next().map(Value::String).unwrap_or(Value::Nil),
        IndexData::StringArray(v) => Value::Array(v.into_iter().map(Value::String).collect()),
        IndexData::Bin(b) => Value::String(hex(&b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_of_a_v4_signature_packet() {
        // A new-format tag 2 packet: version 4, type, pubkey/hash algos, no hashed subpackets, then an
        // unhashed issuer subpacket (type 16) carrying the 8-byte key id.
        let mut body = vec![4, 0, 1, 8, 0, 0];
        body.extend([0, 10, 9, 16, 1, 2, 3, 4, 0xde, 0xad, 0xbe, 0xef]);
        body.extend([0xaa, 0xbb]);
        let mut packet = vec![0xc2, u8::try_from(body.len()).unwrap()];
        packet.extend(&body);
        assert_eq!(signature_key_id(&packet).as_deref(), Some("deadbeef"));
        // An old-format packet with a v3 signature: the key id sits at bytes 7..15 of the body.
        let v3 = [3, 5, 0, 0, 0, 0, 0, 1, 2, 3, 4, 0xca, 0xfe, 0xba, 0xbe, 1, 8, 0, 0];
        let mut old = vec![0x88, u8::try_from(v3.len()).unwrap()];
        old.extend(v3);
        assert_eq!(signature_key_id(&old).as_deref(), Some("cafebabe"));
        assert_eq!(signature_key_id(&[0xc2, 5, 4]), None);
    }

    #[test]
    fn header_names_are_rpms() {
        assert_eq!(tag_by_name("License"), Some(IndexTag::RPMTAG_LICENSE as u32));
        assert_eq!(tag_by_name("sourcerpm"), Some(IndexTag::RPMTAG_SOURCERPM as u32));
        assert_eq!(tag_by_name("nosuchfield"), None);
    }

    #[test]
    fn header_values_follow_the_python_bindings() {
        assert_eq!(header_value(IndexData::Int32(vec![7])), Value::Int(7));
        assert_eq!(header_value(IndexData::Int32(vec![1, 2])), Value::Array(vec![Value::Int(1), Value::Int(2)]));
        assert_eq!(header_value(IndexData::I18NString(vec!["MIT".into()])), Value::from("MIT"));
    }
}
