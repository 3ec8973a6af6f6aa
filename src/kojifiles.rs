//! `/kojifiles/`: the files under `KojiDir`, served as Koji's Apache `Alias /kojifiles/ /mnt/koji/` does.
//! Builders read SRPMs, repos (through the `toplink` symlink) and `rpmlist.jsonl` here (kojid `topurl`), and the
//! CLI downloads builds, logs and task output. GET and HEAD, with Range and conditional requests
//! (actix-files' `NamedFile`); symlinks are followed, `..` segments refused, directories not listed.

use actix_files::NamedFile;
use actix_web::http::header::ContentEncoding;
use actix_web::{HttpRequest, HttpResponse, Responder, guard, web};
use std::path::{Component, Path, PathBuf};

use crate::rpc::Hub;

pub const PREFIX: &str = "/kojifiles";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(format!("{PREFIX}/{{tail:.*}}"))
            .route(web::route().guard(guard::Any(guard::Get()).or(guard::Head())).to(serve)),
    );
}

/// The file `tail` names below `top`, or None when the path tries to leave it.
fn resolve(top: &Path, tail: &str) -> Option<PathBuf> {
    let rel = Path::new(tail);
    rel.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)).then(|| top.join(rel))
}

async fn serve(req: HttpRequest, hub: web::Data<Hub>) -> HttpResponse {
    let tail = req.match_info().query("tail");
    let Some(path) = resolve(&hub.config.koji_dir, tail) else {
        return HttpResponse::NotFound().content_type("text/plain").body("Not Found\n");
    };
    let file = match web::block(move || NamedFile::open(path)).await {
        Ok(Ok(f)) if f.metadata().is_file() => f,
        _ => return HttpResponse::NotFound().content_type("text/plain").body("Not Found\n"),
    };
    // mime_guess maps `.rpm` to RealAudio; packages are what Apache's mime.types calls them.
    let file = if file.path().extension().is_some_and(|e| e == "rpm") {
        file.set_content_type("application/x-rpm".parse().expect("a valid MIME type"))
    } else {
        file
    };
    // rpms are compressed already, and a compressed body would break Range offsets: opt out of the
    // app-wide Compress middleware.
    file.set_content_encoding(ContentEncoding::Identity)
        .use_etag(true)
        .use_last_modified(true)
        .respond_to(&req)
        .map_into_boxed_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_below_the_top() {
        let top = Path::new("/mnt/koji");
        assert_eq!(
            resolve(top, "packages/a/1/1/noarch/a.rpm"),
            Some(PathBuf::from("/mnt/koji/packages/a/1/1/noarch/a.rpm"))
        );
        assert_eq!(resolve(top, "repos/../../etc/passwd"), None);
        assert_eq!(resolve(top, "/etc/passwd"), None);
    }
}
