//! Koji's file layout under `KojiDir` (`koji.PathInfo`): where builds, rpms, signature caches and uploads live.
//! The CLI derives the same paths from `topdir`/`topurl`, so they must match Koji's exactly.

use std::path::{Path, PathBuf};

/// The volume every path lives on unless a build was moved to another one.
pub const DEFAULT_VOLUME: &str = "DEFAULT";

pub struct PathInfo<'a> {
    top: &'a Path,
}

impl<'a> PathInfo<'a> {
    pub fn new(top: &'a Path) -> Self {
        PathInfo { top }
    }

    /// `KojiDir` itself for `DEFAULT`, `KojiDir/vol/<name>` for any other volume.
    pub fn volume_dir(&self, volume: &str) -> PathBuf {
        if volume == DEFAULT_VOLUME { self.top.to_owned() } else { self.top.join("vol").join(volume) }
    }

    /// `packages/<name>/<version>/<release>` on the build's volume.
    pub fn build_dir(&self, volume: &str, name: &str, version: &str, release: &str) -> PathBuf {
        self.volume_dir(volume).join("packages").join(name).join(version).join(release)
    }

    /// A tag's repo: `repos/<tag>/<repo id>` (`latest` beside the ids points at the newest default one).
    pub fn repo_dir(&self, tag: &str, repo: &str) -> PathBuf {
        self.top.join("repos").join(tag).join(repo)
    }

    /// Where uploads land: `work/` on the volume.
    pub fn work_dir(&self, volume: &str) -> PathBuf {
        self.volume_dir(volume).join("work")
    }
}

/// An rpm's path below its build directory: `<arch>/<n>-<v>-<r>.<arch>.rpm`.
pub fn rpm_relpath(name: &str, version: &str, release: &str, arch: &str) -> PathBuf {
    PathBuf::from(arch).join(format!("{name}-{version}-{release}.{arch}.rpm"))
}

/// The cached signature header below the build directory: `data/sigcache/<sigkey>/<rpm path>.sig`.
pub fn sighdr_relpath(rpm_relpath: &Path, sigkey: &str) -> PathBuf {
    let mut p = PathBuf::from("data/sigcache").join(sigkey).join(rpm_relpath).into_os_string();
    p.push(".sig");
    p.into()
}

/// Build logs below the build directory.
pub const BUILD_LOGS_RELDIR: &str = "data/logs";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_kojis_pathinfo() {
        let p = PathInfo::new(Path::new("/mnt/koji"));
        assert_eq!(p.build_dir("DEFAULT", "foo", "1.0", "1").to_str(), Some("/mnt/koji/packages/foo/1.0/1"));
        assert_eq!(p.build_dir("fast", "foo", "1.0", "1").to_str(), Some("/mnt/koji/vol/fast/packages/foo/1.0/1"));
        let rpm = rpm_relpath("foo", "1.0", "1", "noarch");
        assert_eq!(rpm.to_str(), Some("noarch/foo-1.0-1.noarch.rpm"));
        assert_eq!(sighdr_relpath(&rpm, "").to_str(), Some("data/sigcache/noarch/foo-1.0-1.noarch.rpm.sig"));
        assert_eq!(p.work_dir("DEFAULT").to_str(), Some("/mnt/koji/work"));
    }
}
