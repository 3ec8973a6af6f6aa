//! Koji's fast upload from the builder (`ClientSession.fastUpload`, `koji/daemon.py:incremental_upload`):
//! raw chunks of at most 1 MiB POSTed at their offset with `fileverify=adler32`, each answer's checksum
//! compared with our own, a failed chunk sent again (the hub rewrites a chunk at its offset, so retries are
//! harmless), and `checkUpload` at the end must report the whole size.
//!
//! Logs are uploaded while they grow ([`LogStreamer`]): every second the new bytes of each watched file go
//! up in 64 KiB chunks, so `koji watch-logs` sees a running build.

use super::hub_client::{HubClient, HubError};
use crate::xmlrpc::Value;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CHUNK: usize = 1 << 20;
pub const LOG_CHUNK: usize = 64 << 10;
const TRIES: u32 = 5;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {0}: {1}")]
    Io(String, std::io::Error),
    #[error("upload of {0} failed: {1}")]
    Hub(String, HubError),
    #[error("upload of {name} failed: {what}")]
    Verify { name: String, what: String },
}

/// `%` escapes for a query value (`application/x-www-form-urlencoded`).
fn quote(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn adler32_hex(data: &[u8]) -> String {
    let mut h = adler2::Adler32::new();
    h.write_slice(data);
    format!("{:08x}", h.checksum())
}

/// Sends one chunk at `offset` of `reldir/name` (relative to the hub's `work/`), retrying transport
/// failures and checksum mismatches.
pub async fn upload_chunk(
    hub: &HubClient,
    reldir: &str,
    name: &str,
    offset: u64,
    chunk: &[u8],
) -> Result<(), UploadError> {
    let query =
        format!("filename={}&filepath={}&fileverify=adler32&offset={offset}&overwrite=1", quote(name), quote(reldir));
    let digest = adler32_hex(chunk);
    let mut last = None;
    for attempt in 0..TRIES {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1 << attempt.min(3))).await;
        }
        match hub.raw_upload(&query, chunk.to_vec()).await {
            Ok(answer) => {
                let got = answer.as_struct().and_then(|s| s.get("hexdigest")).and_then(Value::as_str);
                if got == Some(digest.as_str()) {
                    return Ok(());
                }
                last = Some(UploadError::Verify {
                    name: name.into(),
                    what: format!("adler32 {got:?} from the hub, {digest} here at offset {offset}"),
                });
            }
            Err(e @ HubError::Fault(_)) => return Err(UploadError::Hub(name.into(), e)),
            Err(e) => last = Some(UploadError::Hub(name.into(), e)),
        }
    }
    Err(last.expect("at least one try"))
}

/// Uploads a whole file as `reldir/name` and checks the result with `checkUpload`.
pub async fn upload_file(hub: &HubClient, local: &Path, reldir: &str, name: &str) -> Result<(), UploadError> {
    let io = |e| UploadError::Io(local.display().to_string(), e);
    let mut file = std::fs::File::open(local).map_err(io)?;
    let mut offset = 0u64;
    let mut buf = vec![0; CHUNK];
    loop {
        let n = read_full(&mut file, &mut buf).map_err(io)?;
        if n == 0 && offset > 0 {
            break;
        }
        upload_chunk(hub, reldir, name, offset, &buf[..n]).await?;
        offset += n as u64;
        if n < CHUNK {
            break;
        }
    }
    let check = hub
        .call("checkUpload", vec![reldir.into(), name.into()])
        .await
        .map_err(|e| UploadError::Hub(name.into(), e))?;
    let size = check.as_struct().and_then(|s| s.get("size")).and_then(Value::as_i64);
    if size != Some(offset as i64) {
        return Err(UploadError::Verify { name: name.into(), what: format!("hub has {size:?} bytes, sent {offset}") });
    }
    Ok(())
}

fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Where one watched log stands: the file it was (inode), and how much of it is uploaded (`None` before the
/// first upload, so an empty log is sent once).
#[derive(Default)]
struct Progress {
    inode: u64,
    sent: Option<u64>,
}

/// Uploads watched log files incrementally while a build runs (Koji's `BuildRootLogs`): call
/// [`LogStreamer::flush`] periodically and once at the end. A file that shrank or was replaced is sent again
/// from 0.
pub struct LogStreamer {
    hub: Arc<HubClient>,
    reldir: String,
    /// Local file → name on the hub.
    files: Mutex<Vec<(PathBuf, String)>>,
    progress: tokio::sync::Mutex<HashMap<PathBuf, Progress>>,
}

impl LogStreamer {
    pub fn new(hub: Arc<HubClient>, reldir: String) -> Arc<Self> {
        Arc::new(LogStreamer { hub, reldir, files: Mutex::new(Vec::new()), progress: Default::default() })
    }

    /// Watches `path` (it may not exist yet), uploaded as `name`.
    pub fn watch(&self, path: PathBuf, name: &str) {
        let mut files = self.files.lock().unwrap();
        if !files.iter().any(|(p, _)| *p == path) {
            files.push((path, name.to_owned()));
        }
    }

    /// The names of the watched files that exist (what a task returns in its `logs`).
    pub fn names(&self) -> Vec<String> {
        self.files.lock().unwrap().iter().filter(|(p, _)| p.exists()).map(|(_, n)| n.clone()).collect()
    }

    /// Sends what each watched file gained since the last flush.
    pub async fn flush(&self) -> Result<(), UploadError> {
        let files = self.files.lock().unwrap().clone();
        let mut progress = self.progress.lock().await;
        for (path, name) in files {
            let Ok(meta) = std::fs::metadata(&path) else { continue };
            let p = progress.entry(path.clone()).or_default();
            let inode = std::os::unix::fs::MetadataExt::ino(&meta);
            if inode != p.inode || p.sent.is_some_and(|s| meta.len() < s) {
                *p = Progress { inode, sent: None };
            }
            if p.sent == Some(meta.len()) {
                continue;
            }
            let io = |e| UploadError::Io(path.display().to_string(), e);
            let mut file = std::fs::File::open(&path).map_err(io)?;
            let mut sent = p.sent.unwrap_or(0);
            file.seek(SeekFrom::Start(sent)).map_err(io)?;
            let mut buf = vec![0; LOG_CHUNK];
            loop {
                let n = read_full(&mut file, &mut buf).map_err(io)?;
                if n == 0 && p.sent.is_some() {
                    break;
                }
                upload_chunk(&self.hub, &self.reldir, &name, sent, &buf[..n]).await?;
                sent += n as u64;
                p.sent = Some(sent);
                if n < LOG_CHUNK {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Flushes every second until `stop` resolves, then once more.
    pub async fn run_until<F: std::future::Future>(self: &Arc<Self>, stop: F) -> F::Output {
        let me = self.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if let Err(e) = me.flush().await {
                    tracing::warn!(error = %e, "log upload failed");
                }
            }
        });
        let out = stop.await;
        ticker.abort();
        let _ = ticker.await;
        if let Err(e) = self.flush().await {
            tracing::warn!(error = %e, "log upload failed");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_and_checksums_are_kojis() {
        assert_eq!(quote("tasks/1/1001/build log.txt"), "tasks/1/1001/build%20log.txt");
        assert_eq!(adler32_hex(b""), "00000001");
        assert_eq!(adler32_hex(b"Wikipedia"), "11e60398");
    }
}
