//! Importing: `checkUpload` (the end of the upload protocol, whose chunks arrive in `rpc::http`) and
//! `importRPM`.

use crate::builds::import;
use crate::fault::KojiResult;
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
        "importRPM",
        "path, basename",
        "Import an uploaded rpm into its build (admin); a source rpm creates the build.",
        import_rpm,
    );
}
