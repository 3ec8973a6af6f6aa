//! Koji's upload protocol: raw chunks POSTed with `Content-Type: application/octet-stream` (`handle_upload`),
//! finished with `checkUpload`. Files land in `KojiDir/work/<reldir>/<name>`; a directory belongs to the user
//! who first uploaded into it (`.user`), and `tasks/<n>/<task_id>/…` only to the host running that task.
//!
//! A chunk names its offset, so a retried chunk rewrites the same bytes: uploads are resumable and idempotent.
//! Each chunk's checksum goes back to the client, which compares it with its own.

pub mod legacy;

use crate::fault::{KojiError, KojiResult};
use crate::files::{blocking, io_error};
use crate::lookup;
use crate::pathinfo::{DEFAULT_VOLUME, PathInfo};
use crate::rpc::CallCtx;
use crate::rpc::args::InfoRef;
use crate::xmlrpc::{Struct, Value};
use md5::{Digest, Md5};
use sha2::Sha256;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Koji's `get_verify_class`: the checksums a client may ask for.
enum Hasher {
    Md5(Md5),
    Adler32(adler2::Adler32),
    Sha256(Sha256),
}

impl Hasher {
    fn new(kind: &str) -> KojiResult<Option<Hasher>> {
        Ok(match kind {
            "" => None,
            "md5" => Some(Hasher::Md5(Md5::new())),
            "adler32" => Some(Hasher::Adler32(adler2::Adler32::new())),
            "sha256" => Some(Hasher::Sha256(Sha256::new())),
            other => return Err(KojiError::generic(format!("Unsupported verify type: {other}"))),
        })
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Md5(h) => h.update(data),
            Hasher::Adler32(h) => h.write_slice(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// `adler32` as `"%08x"`, the others as their hex digest, as Koji's client computes them.
    fn hexdigest(self) -> String {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        match self {
            Hasher::Md5(h) => hex(&h.finalize()),
            Hasher::Adler32(h) => format!("{:08x}", h.checksum()),
            Hasher::Sha256(h) => hex(&h.finalize()),
        }
    }
}

/// Python's `os.path.normpath` for a relative path; `None` for an absolute one, which Koji refuses.
pub fn normpath(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = vec![];
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    Some(if parts.is_empty() { ".".into() } else { parts.join("/") })
}

/// The task of a `tasks/<n>/<task_id>/…` upload directory.
fn task_of(reldir: &str) -> Option<i32> {
    let rel = normpath(reldir)?;
    let mut parts = rel.split('/');
    (parts.next() == Some("tasks")).then_some(())?;
    parts.nth(1)?.parse().ok()
}

/// Koji's `get_upload_path`: checks the names, and when `create`, makes the directory and claims it for the
/// uploader (or, under `tasks/`, checks that the calling host runs the task).
pub async fn upload_path(
    ctx: &CallCtx,
    reldir: &str,
    name: &str,
    create: bool,
    volume: Option<&str>,
) -> KojiResult<PathBuf> {
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(KojiError::generic(format!("Invalid upload filename: {name}")));
    }
    let invalid_dir = || KojiError::generic(format!("Invalid upload directory: {reldir}"));
    let rel = normpath(reldir).filter(|r| !r.starts_with("..")).ok_or_else(invalid_dir)?;
    let volume = volume.unwrap_or(DEFAULT_VOLUME);
    let db = ctx.db().await?;
    // The DEFAULT volume always exists (it is seeded); only other names cost a lookup, not every chunk.
    if volume != DEFAULT_VOLUME && lookup::id_of(&db, "volume", &InfoRef::Name(volume.to_owned())).await?.is_none() {
        return Err(KojiError::generic(format!("No such entry in table volume: {volume}")));
    }
    let parts: Vec<&str> = rel.split('/').collect();
    let task_dir = create && parts[0] == "tasks";
    if task_dir {
        let invalid_task_dir = || KojiError::generic(format!("Invalid task upload directory: {reldir}"));
        let task_id: i32 = parts.get(2).and_then(|p| p.parse().ok()).ok_or_else(invalid_task_dir)?;
        assert_task_host(ctx, &db, task_id).await?;
    }
    let dir = PathInfo::new(&ctx.hub.config.koji_dir).work_dir(volume).join(&rel);
    let file = dir.join(name);
    if !create {
        return Ok(file);
    }
    let user_id = ctx.require_login()?.user_id;
    let shown = reldir.to_owned();
    blocking(move || {
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        if task_dir {
            return Ok(file);
        }
        let owner_file = dir.join(".user");
        match std::fs::read_to_string(&owner_file) {
            Ok(owner) if owner.trim().parse::<i32>().ok() == Some(user_id) => {}
            Ok(_) => return Err(KojiError::generic(format!("Invalid upload directory, not owner: {shown}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::write(&owner_file, user_id.to_string()).map_err(|e| io_error(&owner_file, e))?
            }
            Err(e) => return Err(io_error(&owner_file, e)),
        }
        Ok(file)
    })
    .await
}

/// Only the host that has the task open may write into its directory (Koji's `Host().verify()` and
/// `Task.assertHost`).
async fn assert_task_host(ctx: &CallCtx, db: &impl deadpool_postgres::GenericClient, task_id: i32) -> KojiResult<()> {
    let user_id = ctx.require_login()?.user_id;
    let host = crate::db::tasks::host_of_user(db, user_id)
        .await?
        .ok_or_else(|| KojiError::Auth(format!("User {user_id} is not a host")))?;
    crate::tasks::host_side::assert_host(db, host, task_id).await?;
    Ok(())
}

/// The query string of an upload chunk.
struct UploadParams {
    filename: String,
    filepath: String,
    fileverify: String,
    offset: i64,
    overwrite: bool,
    volume: Option<String>,
}

impl UploadParams {
    fn from_query(query: &str) -> KojiResult<UploadParams> {
        let mut p = UploadParams {
            filename: String::new(),
            filepath: String::new(),
            fileverify: String::new(),
            offset: 0,
            overwrite: false,
            volume: None,
        };
        let mut have_name = false;
        for (key, value) in form_urlencoded(query)? {
            match key.as_str() {
                "filename" => {
                    p.filename = value;
                    have_name = true;
                }
                "filepath" => p.filepath = value,
                "fileverify" => p.fileverify = value,
                "offset" => {
                    p.offset =
                        value.parse().map_err(|_| KojiError::generic(format!("Invalid upload offset: {value}")))?
                }
                "overwrite" => p.overwrite = !value.is_empty(),
                "volume" => p.volume = Some(value),
                _ => {}
            }
        }
        if !have_name {
            return Err(KojiError::generic("upload request without filename"));
        }
        Ok(p)
    }
}

/// `key=value&…` with `+` and `%XX` decoded; a malformed pair is an error, as Koji's `strict_parsing`.
fn form_urlencoded(query: &str) -> KojiResult<Vec<(String, String)>> {
    fn decode(s: &str) -> Option<String> {
        let bytes = s.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            decode(k)
                .zip(decode(v))
                .filter(|_| pair.contains('='))
                .ok_or_else(|| KojiError::generic(format!("bad query field: {pair:?}")))
        })
        .collect()
}

/// One chunk being received: the locked destination file, where the chunk starts, and its running checksum.
pub struct Upload {
    path: PathBuf,
    file: Option<File>,
    offset: i64,
    overwrite: bool,
    size: u64,
    verify: String,
    hasher: Option<Hasher>,
    /// The task whose log this is (a chunk of a `.log` into `tasks/<n>/<task_id>/`), for the live log tails;
    /// rpms and other results are not tailed, so they announce nothing.
    pub task: Option<i32>,
}

impl Upload {
    /// Koji's `handle_upload` up to the data: login, the query string, destination checks, the exclusive lock
    /// and the offset.
    pub async fn start(ctx: &CallCtx, query: &str) -> KojiResult<Upload> {
        if ctx.session().is_none() {
            return Err(KojiError::not_allowed("you must be logged-in to upload a file"));
        }
        let p = UploadParams::from_query(query)?;
        let hasher = Hasher::new(&p.fileverify)?;
        let path = upload_path(ctx, &p.filepath, &p.filename, true, p.volume.as_deref()).await?;
        let (offset, overwrite) = (p.offset, p.overwrite);
        let (file, offset) = blocking({
            let path = path.clone();
            move || open_for_chunk(&path, offset, overwrite)
        })
        .await?;
        let task = task_of(&p.filepath).filter(|_| p.filename.ends_with(".log"));
        Ok(Upload { path, file: Some(file), offset, overwrite, size: 0, verify: p.fileverify, hasher, task })
    }

    pub async fn write(&mut self, chunk: Vec<u8>) -> KojiResult<()> {
        if let Some(h) = self.hasher.as_mut() {
            h.update(&chunk);
        }
        self.size += chunk.len() as u64;
        let mut file = self.file.take().expect("the file stays open until finish");
        let path = self.path.clone();
        self.file = Some(
            blocking(move || {
                file.write_all(&chunk).map_err(|e| io_error(&path, e))?;
                Ok(file)
            })
            .await?,
        );
        Ok(())
    }

    /// Checks the length (unless overwriting) and answers `{size, fileverify, offset[, hexdigest]}`.
    pub async fn finish(mut self) -> KojiResult<Struct> {
        let mut file = self.file.take().expect("the file stays open until finish");
        let (path, overwrite, expected) = (self.path.clone(), self.overwrite, self.offset as u64 + self.size);
        blocking(move || {
            let len = file.seek(SeekFrom::End(0)).map_err(|e| io_error(&path, e))?;
            if !overwrite && len != expected {
                return Err(KojiError::generic(format!(
                    "Incorrect upload length for {} - Expected {expected}, actual {len}",
                    path.display()
                )));
            }
            Ok(())
        })
        .await?;
        let mut out = Struct::new();
        out.insert("size".into(), Value::Int(self.size as i64));
        out.insert("fileverify".into(), Value::String(self.verify));
        out.insert("offset".into(), Value::Int(self.offset));
        if let Some(h) = self.hasher {
            out.insert("hexdigest".into(), Value::String(h.hexdigest()));
        }
        Ok(out)
    }
}

/// Opens (creating) and exclusively locks the destination, positioned for the chunk: `-1` appends, `overwrite`
/// truncates at the offset, otherwise the chunk overwrites in place (a retry rewrites the same bytes).
fn open_for_chunk(path: &Path, offset: i64, overwrite: bool) -> KojiResult<(File, i64)> {
    match std::fs::symlink_metadata(path) {
        Ok(st) if st.file_type().is_symlink() => {
            return Err(KojiError::generic(format!("destination is a symlink: {}", path.display())));
        }
        Ok(st) if !st.file_type().is_file() => {
            return Err(KojiError::generic(format!("destination not a file: {}", path.display())));
        }
        Ok(_) if offset == 0 && !overwrite => {
            return Err(KojiError::generic(format!("upload path exists: {}", path.display())));
        }
        _ => {}
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o666)
        .open(path)
        .map_err(|e| io_error(path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(KojiError::Lock(format!("upload in progress: {}", path.display())));
        }
        Err(TryLockError::Error(e)) => return Err(io_error(path, e)),
    }
    let offset = match offset {
        -1 => file.seek(SeekFrom::End(0)).map_err(|e| io_error(path, e))? as i64,
        o if o < 0 => return Err(KojiError::generic(format!("Invalid upload offset: {o}"))),
        o => {
            if overwrite {
                file.set_len(o as u64).map_err(|e| io_error(path, e))?;
            }
            file.seek(SeekFrom::Start(o as u64)).map_err(|e| io_error(path, e))?;
            o
        }
    };
    Ok((file, offset))
}

/// `checkUpload`: size and mtime of an uploaded file (None if absent), with the checksum of the whole file (or
/// of its last `tail` bytes) when `verify` is given.
pub async fn check_upload(
    ctx: &CallCtx,
    reldir: &str,
    name: &str,
    verify: Option<String>,
    tail: Option<i64>,
    volume: Option<&str>,
) -> KojiResult<Option<Struct>> {
    let path = upload_path(ctx, reldir, name, false, volume).await?;
    let hasher = verify.as_deref().map(Hasher::new).transpose()?.flatten();
    if tail.is_some_and(|t| t < 0) {
        return Err(KojiError::generic(format!("Invalid tail value: {}", tail.unwrap_or_default())));
    }
    blocking(move || {
        let mut file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, e)),
        };
        match file.try_lock_shared() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(KojiError::Lock(format!("upload in progress: {}", path.display())));
            }
            Err(TryLockError::Error(e)) => return Err(io_error(&path, e)),
        }
        let st = file.metadata().map_err(|e| io_error(&path, e))?;
        if !st.is_file() {
            return Err(KojiError::generic(format!("Not a regular file: {}", path.display())));
        }
        let mut out = Struct::new();
        out.insert("size".into(), Value::Int(st.len() as i64));
        let mtime = st.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
        out.insert("mtime".into(), Value::Double(mtime.map_or(0.0, |d| d.as_secs_f64())));
        if let Some(mut h) = hasher {
            let start = tail.map_or(0, |t| st.len().saturating_sub(t as u64));
            file.seek(SeekFrom::Start(start)).map_err(|e| io_error(&path, e))?;
            let mut buf = vec![0; 64 * 1024];
            let mut length = 0i64;
            loop {
                let n = file.read(&mut buf).map_err(|e| io_error(&path, e))?;
                if n == 0 {
                    break;
                }
                length += n as i64;
                h.update(&buf[..n]);
            }
            out.insert("sumlength".into(), Value::Int(length));
            out.insert("hexdigest".into(), Value::String(h.hexdigest()));
        }
        Ok(Some(out))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normpath_matches_python() {
        assert_eq!(normpath("cli-import/1.2.abc").as_deref(), Some("cli-import/1.2.abc"));
        assert_eq!(normpath("a//b/./c/").as_deref(), Some("a/b/c"));
        assert_eq!(normpath("a/../../x").as_deref(), Some("../x"));
        assert_eq!(normpath("a/..").as_deref(), Some("."));
        assert_eq!(normpath("/etc"), None);
    }

    #[test]
    fn task_output_directories_name_their_task() {
        assert_eq!(task_of("tasks/1234/51234"), Some(51234));
        assert_eq!(task_of("./tasks/1234/51234/sub"), Some(51234));
        assert_eq!(task_of("cli-import/1.2.ab"), None);
        assert_eq!(task_of("tasks/1234"), None);
    }

    #[test]
    fn checksums_are_the_clients() {
        let mut h = Hasher::new("adler32").unwrap().unwrap();
        h.update(b"Wikipedia");
        assert_eq!(h.hexdigest(), "11e60398");
        let mut h = Hasher::new("md5").unwrap().unwrap();
        h.update(b"");
        assert_eq!(h.hexdigest(), "d41d8cd98f00b204e9800998ecf8427e");
        assert!(Hasher::new("").unwrap().is_none());
        assert!(Hasher::new("crc").is_err());
    }

    #[test]
    fn query_strings_decode() {
        let p = UploadParams::from_query(
            "filename=foo-1-1.src.rpm&filepath=cli-import%2F1.2.ab&fileverify=adler32&offset=1048576&overwrite=1",
        )
        .unwrap();
        assert_eq!(p.filename, "foo-1-1.src.rpm");
        assert_eq!(p.filepath, "cli-import/1.2.ab");
        assert_eq!(p.offset, 1048576);
        assert!(p.overwrite);
        assert!(UploadParams::from_query("filepath=x").is_err());
        assert!(UploadParams::from_query("filename=a&offset=x").is_err());
    }
}
