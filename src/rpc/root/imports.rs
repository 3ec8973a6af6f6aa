//! Importing: `checkUpload` (the end of the upload protocol, whose chunks arrive in `rpc::http`), the older
//! `uploadFile`, and `importRPM`.

use crate::builds::import;
use crate::fault::{KojiError, KojiResult};
use crate::rpc::CallCtx;
use crate::rpc::registry::Registry;
use crate::uploads;
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
struct CheckUpload {
    path: String,
    name: String,
    verify: Option<String>,
    tail: Option<i64>,
    volume: Option<String>,
}

#[derive(Deserialize)]
struct ImportRpm {
    path: String,
    basename: String,
}

/// Koji's `decode_int`: sizes and offsets may come as text, beyond XML-RPC's 32-bit ints.
#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrText {
    Int(i64),
    Text(String),
}

impl IntOrText {
    fn get(&self) -> KojiResult<i64> {
        match self {
            IntOrText::Int(i) => Ok(*i),
            IntOrText::Text(t) => t.trim().parse().map_err(|_| KojiError::param(format!("invalid integer: {t}"))),
        }
    }
}

#[derive(Deserialize)]
struct UploadFile {
    path: String,
    name: String,
    size: Option<IntOrText>,
    md5sum: Option<Value>,
    offset: IntOrText,
    data: String,
    volume: Option<String>,
    checksum: Option<Value>,
}

/// A checksum argument: an md5 hex digest, or `[type, digest]`.
fn checksum(v: Value) -> KojiResult<Option<(String, String)>> {
    match v {
        Value::Nil => Ok(None),
        Value::String(d) => Ok(Some(("md5".into(), d))),
        Value::Array(pair) => match pair.as_slice() {
            [Value::String(kind), Value::String(d)] => Ok(Some((kind.clone(), d.clone()))),
            _ => Err(KojiError::param("checksum must be [type, digest]")),
        },
        _ => Err(KojiError::param("checksum must be a digest or [type, digest]")),
    }
}

async fn upload_file(ctx: CallCtx, a: UploadFile) -> KojiResult<bool> {
    let chunk = uploads::legacy::Chunk {
        path: a.path,
        name: a.name,
        size: a.size.map(|s| s.get()).transpose()?,
        checksum: checksum(a.checksum.or(a.md5sum).unwrap_or(Value::Nil))?,
        offset: a.offset.get()?,
        data: a.data,
        volume: a.volume,
    };
    uploads::legacy::upload_file(&ctx, chunk).await
}

async fn check_upload(ctx: CallCtx, a: CheckUpload) -> KojiResult<Option<Struct>> {
    uploads::check_upload(&ctx, &a.path, &a.name, a.verify, a.tail, a.volume.as_deref()).await
}

async fn import_rpm(ctx: CallCtx, a: ImportRpm) -> KojiResult<Value> {
    import::import_rpm(&ctx, &a.path, &a.basename).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "checkUpload",
        "path, name, verify=None, tail=None, volume=None",
        "Size, mtime (and checksum when verify is given) of an uploaded file, or None.",
        check_upload,
    );
    r.add(
        "uploadFile",
        "path, name, size, md5sum, offset, data, volume=None, checksum=None",
        "Upload a base64 chunk (the older upload protocol; offset -1 ends the file).",
        upload_file,
    );
    r.add(
        "importRPM",
        "path, basename",
        "Import an uploaded rpm into its build (admin); a source rpm creates the build.",
        import_rpm,
    );
}
