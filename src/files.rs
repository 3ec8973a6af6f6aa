//! Filesystem work under `KojiDir`, run off the async workers.

use crate::fault::{KojiError, KojiResult};
use std::path::Path;

/// Runs blocking file work on tokio's blocking pool.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> KojiResult<T> + Send + 'static) -> KojiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| KojiError::Internal(format!("file worker failed: {e}")))?
}

/// An i/o failure: logged with its path, reported to the client as a GenericError.
pub fn io_error(path: &Path, e: std::io::Error) -> KojiError {
    tracing::error!(path = %path.display(), error = %e, "file operation failed");
    KojiError::generic(format!("i/o error on {}: {e}", path.display()))
}
