//! Filesystem work under `KojiDir`, run off the async workers.

use crate::fault::{KojiError, KojiResult};
use std::path::{Path, PathBuf};

/// Runs blocking file work on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> KojiResult<T> + Send + 'static) -> KojiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| KojiError::Internal(format!("file worker failed: {e}")))?
}

/// An i/o failure: logged with its path, reported to the client as a GenericError.
pub fn io_error(path: &Path, e: std::io::Error) -> KojiError {
    tracing::error!(path = %path.display(), error = %e, "file operation failed");
    KojiError::generic(format!("i/o error on {}: {e}", path.display()))
}

/// Koji's `move_and_symlink`: moves `src` to `dst` (creating `dst`'s directory) and leaves a relative symlink
/// at `src` pointing to the new place, so paths handed out earlier (upload dirs, task output) keep working.
pub fn move_and_symlink(src: &Path, dst: &Path) -> KojiResult<()> {
    let dir = dst.parent().expect("destination has a directory");
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
    std::fs::rename(src, dst).map_err(|e| io_error(src, e))?;
    let link = relative_path(dst, src.parent().expect("source has a directory"));
    std::os::unix::fs::symlink(&link, src).map_err(|e| io_error(src, e))
}

/// Undoes `move_and_symlink` (when what followed it failed).
pub fn unmove(src: &Path, dst: &Path) {
    let _ = std::fs::remove_file(src);
    if let Err(e) = std::fs::rename(dst, src) {
        tracing::error!(src = %src.display(), dst = %dst.display(), error = %e, "cannot move a file back");
    }
}

/// What an import moves, for Koji's wording of its errors.
#[derive(Clone, Copy)]
pub enum Imported {
    /// An rpm or other archive file (`_import_archive_file`).
    Archive,
    /// A build log (`import_build_log`).
    Log,
}

impl Imported {
    fn error(self, path: &Path, problem: &str) -> KojiError {
        let path = path.display();
        KojiError::generic(match self {
            Imported::Archive => format!("Error importing archive file, {path} {problem}"),
            Imported::Log => format!("Error importing build log. {path} {problem}."),
        })
    }
}

/// What one import has put in place so far, so a failure later on (another file, the commit) can undo it all:
/// files moved (with their symlinks back) and files written.
#[derive(Default)]
pub struct Placed {
    moved: Vec<(PathBuf, PathBuf)>,
    written: Vec<PathBuf>,
}

impl Placed {
    /// `move_and_symlink` for an import: `src` must be a regular file and `dst` must not exist yet.
    pub fn move_new(&mut self, src: &Path, dst: &Path, kind: Imported) -> KojiResult<()> {
        if dst.exists() {
            return Err(kind.error(dst, "already exists"));
        }
        let st = std::fs::symlink_metadata(src).map_err(|e| io_error(src, e))?;
        if !st.file_type().is_file() {
            return Err(kind.error(src, "is not a regular file"));
        }
        move_and_symlink(src, dst)?;
        self.moved.push((src.to_owned(), dst.to_owned()));
        Ok(())
    }

    /// Writes a new file (creating its directory).
    pub fn write(&mut self, path: &Path, data: &[u8]) -> KojiResult<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        std::fs::write(path, data).map_err(|e| io_error(path, e))?;
        self.written.push(path.to_owned());
        Ok(())
    }

    /// Puts everything back, newest first.
    pub fn undo(self) {
        for path in self.written.iter().rev() {
            let _ = std::fs::remove_file(path);
        }
        for (src, dst) in self.moved.iter().rev() {
            unmove(src, dst);
        }
    }
}

/// `path` relative to the directory `base` (both absolute), like Python's `os.path.relpath`.
fn relative_path(path: &Path, base: &Path) -> PathBuf {
    let (p, b): (Vec<_>, Vec<_>) = (path.components().collect(), base.components().collect());
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        let r = relative_path(Path::new("/k/packages/foo/1/1/src/foo.rpm"), Path::new("/k/work/cli-import/x"));
        assert_eq!(r, PathBuf::from("../../../packages/foo/1/1/src/foo.rpm"));
    }

    #[test]
    fn moves_and_links_back() {
        let dir = std::env::temp_dir().join(format!("koji-rs-files-test-{}", std::process::id()));
        let src = dir.join("work/up/a.rpm");
        let dst = dir.join("packages/a/1/1/noarch/a.rpm");
        std::fs::create_dir_all(src.parent().unwrap()).unwrap();
        std::fs::write(&src, b"data").unwrap();
        move_and_symlink(&src, &dst).unwrap();
        assert_eq!(std::fs::read(&dst).unwrap(), b"data");
        assert!(std::fs::symlink_metadata(&src).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&src).unwrap(), b"data");
        unmove(&src, &dst);
        assert!(!dst.exists());
        assert_eq!(std::fs::read(&src).unwrap(), b"data");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
