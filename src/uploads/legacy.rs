//! Koji's older upload call, `uploadFile`: base64 chunks inside XML-RPC, each with its size and checksum,
//! appended or written at an offset; offset -1 marks the last chunk, after which the whole file's size and
//! checksum are checked. Clients use it when fast upload is off (kojid `use_fast_upload = False`).

use super::{Hasher, upload_path};
use crate::fault::{KojiError, KojiResult};
use crate::files::{blocking, io_error};
use crate::rpc::CallCtx;
use base64::Engine;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;

/// One `uploadFile` call, decoded.
pub struct Chunk {
    pub path: String,
    pub name: String,
    pub size: Option<i64>,
    /// `(type, hex digest)`; a bare string is an md5 digest (the legacy `md5sum` argument).
    pub checksum: Option<(String, String)>,
    pub offset: i64,
    /// Base64 of the chunk.
    pub data: String,
    pub volume: Option<String>,
}

fn digest(kind: &str, data: &[u8]) -> KojiResult<String> {
    let mut h = Hasher::new(kind)?.ok_or_else(|| KojiError::generic(format!("Unsupported verify type: {kind}")))?;
    h.update(data);
    Ok(h.hexdigest())
}

/// Koji's `uploadFile`: false when a chunk (or, at the end, the file) does not match its size or checksum.
pub async fn upload_file(ctx: &CallCtx, c: Chunk) -> KojiResult<bool> {
    ctx.require_login()?;
    let contents = base64::engine::general_purpose::STANDARD
        .decode(c.data.trim())
        .map_err(|e| KojiError::generic(format!("invalid base64 data: {e}")))?;
    if c.offset != -1 {
        if c.size.is_some_and(|s| s != contents.len() as i64) {
            return Ok(false);
        }
        if let Some((kind, want)) = &c.checksum
            && *want != digest(kind, &contents)?
        {
            return Ok(false);
        }
    }
    let file = upload_path(ctx, &c.path, &c.name, true, c.volume.as_deref()).await?;
    blocking(move || {
        match std::fs::symlink_metadata(&file) {
            Ok(st) if !st.file_type().is_file() => {
                return Err(KojiError::generic(format!("destination not a file: {}", file.display())));
            }
            // Logs may be uploaded again from the start, for live log viewing.
            Ok(_) if c.offset == 0 && !c.name.ends_with(".log") => {
                return Err(KojiError::generic(format!("file already exists: {}", file.display())));
            }
            _ => {}
        }
        let io = |e| io_error(&file, e);
        let mut fd = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o666)
            .open(&file)
            .map_err(io)?;
        fd.try_lock().map_err(|_| KojiError::Lock(format!("upload in progress: {}", file.display())))?;
        if c.offset == 0 || (c.offset == -1 && c.size == Some(contents.len() as i64)) {
            fd.set_len(0).map_err(io)?;
        }
        match c.offset {
            -1 => fd.seek(SeekFrom::End(0)),
            o => fd.seek(SeekFrom::Start(
                u64::try_from(o).map_err(|_| KojiError::generic(format!("Invalid upload offset: {o}")))?,
            )),
        }
        .map_err(io)?;
        fd.write_all(&contents).map_err(io)?;
        if c.offset != -1 {
            return Ok(true);
        }
        if let Some(size) = c.size {
            fd.set_len(u64::try_from(size).unwrap_or_default()).map_err(io)?;
        }
        if let Some((kind, want)) = &c.checksum {
            let mut whole = vec![];
            fd.seek(SeekFrom::Start(0)).and_then(|_| fd.read_to_end(&mut whole)).map_err(io)?;
            return Ok(*want == digest(kind, &whole)?);
        }
        Ok(true)
    })
    .await
}
