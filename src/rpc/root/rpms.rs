//! Rpm methods: decode, call `crate::rpms`, encode.

use crate::db::query::QueryOpts;
use crate::fault::KojiResult;
use crate::rpc::CallCtx;
use crate::rpc::args::Flag;
use crate::rpc::registry::Registry;
use crate::rpms::{self, RpmFilter, RpmRef};
use crate::xmlrpc::{Struct, Value};
use serde::Deserialize;

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct ListRpms {
    #[serde(flatten)]
    filter: RpmFilter,
    queryOpts: Option<QueryOpts>,
}

#[derive(Deserialize)]
struct GetRpm {
    rpminfo: RpmRef,
    strict: Flag,
    multi: Flag,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct QuerySigs {
    rpm_id: Option<RpmRef>,
    sigkey: Option<String>,
    queryOpts: Option<QueryOpts>,
}

#[derive(Deserialize)]
#[allow(non_snake_case)]
struct GetHeaders {
    rpmID: Option<RpmRef>,
    taskID: Option<i32>,
    filepath: Option<String>,
    headers: Option<Vec<String>>,
    strict: Flag,
}

async fn list_rpms(ctx: CallCtx, a: ListRpms) -> KojiResult<Value> {
    rpms::list_rpms(&ctx.db().await?, a.filter, &a.queryOpts.unwrap_or_default()).await
}

async fn get_rpm(ctx: CallCtx, a: GetRpm) -> KojiResult<Value> {
    rpms::get_rpm(&ctx.db().await?, &a.rpminfo, a.strict.0, a.multi.0).await
}

async fn query_rpm_sigs(ctx: CallCtx, a: QuerySigs) -> KojiResult<Value> {
    rpms::query_rpm_sigs(&ctx.db().await?, a.rpm_id, a.sigkey, &a.queryOpts.unwrap_or_default()).await
}

async fn get_rpm_headers(ctx: CallCtx, a: GetHeaders) -> KojiResult<Struct> {
    rpms::rpm_headers(&ctx, a.rpmID, a.taskID, a.filepath, a.headers, a.strict.0).await
}

pub fn register(r: &mut Registry) {
    r.add(
        "listRPMs",
        "buildID=None, buildrootID=None, imageID=None, componentBuildrootID=None, hostID=None, arches=None, \
         queryOpts=None, draft=None",
        "Rpms of a build, built in or installed into a buildroot, in an image, or built on a host.",
        list_rpms,
    );
    r.add(
        "getRPM",
        "rpminfo, strict=False, multi=False",
        "An rpm by id, N-V-R.A[@location] or struct; None (or an error if strict) when there is none.",
        get_rpm,
    );
    r.add(
        "queryRPMSigs",
        "rpm_id=None, sigkey=None, queryOpts=None",
        "Signatures of rpms: [{rpm_id, sigkey, sighash}].",
        query_rpm_sigs,
    );
    r.add(
        "getRPMHeaders",
        "rpmID=None, taskID=None, filepath=None, headers=None, strict=False",
        "Header fields of an rpm file, by rpm id or task output path.",
        get_rpm_headers,
    );
}
