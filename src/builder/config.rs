//! `kojid.conf`: Koji's INI file with a `[kojid]` section, Koji's key names and defaults, plus the keys of the
//! Rust builder (`backend`, `host_provides`, `push_*`). Option names are case-insensitive as in ConfigParser;
//! booleans take `yes/no/true/false/on/off/1/0`.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which buildroot backend runs builds (see `builder::buildroot`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Koji's production path: a mock chroot per buildroot.
    Mock,
    /// No chroot: `rpmbuild` on the host in a per-task temporary topdir (dev machines, CI).
    Rpmbuild,
}

#[derive(Debug, Clone)]
pub struct KojidConfig {
    /// The hub's XML-RPC URL.
    pub server: String,
    /// Where builders read KojiDir over HTTP (`/kojifiles`).
    pub topurl: String,
    /// KojiDir on this machine (read-only is enough); only `newRepo`/`createrepo` need it.
    pub topdir: PathBuf,
    /// Per-task scratch space: `<workdir>/tasks/<id % 10000>/<id>`.
    pub workdir: PathBuf,
    pub user: Option<String>,
    pub password: Option<String>,
    pub cert: Option<PathBuf>,
    pub serverca: Option<PathBuf>,
    pub mockdir: PathBuf,
    pub mockuser: String,
    /// Koji's `host:repository[:use_common[:source_cmd]]` entries, whitespace separated; `!` denies.
    pub allowed_scms: String,
    pub maxjobs: u32,
    /// Free MB required in `mockdir` before the builder reports itself ready.
    pub minspace: u64,
    /// Kept for Koji compatibility; the push stream does not poll.
    pub sleeptime: Duration,
    pub vendor: String,
    pub packager: String,
    pub distribution: String,
    pub mockhost: String,
    pub backend: Backend,
    /// Koji's `rpmbuild_timeout`: a build step running longer is killed.
    pub rpmbuild_timeout: Duration,
    /// rpmbuild backend: BuildRequires that the host itself provides (dpkg-installed tools, which no repo
    /// lists), e.g. `gcc make`.
    pub host_provides: Vec<String>,
    /// How long the builder waits between reconnect attempts at most (backoff doubles up to this).
    pub push_reconnect_max: Duration,
    /// How long a canceled task's processes get between SIGTERM and SIGKILL.
    pub kill_grace: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum KojidConfigError {
    #[error("cannot read {0}: {1}")]
    Read(String, std::io::Error),
    #[error("{0}: {1}")]
    Syntax(String, String),
    #[error("{path}: [kojid] {key} = {value:?}: {expected}")]
    Invalid { path: String, key: String, value: String, expected: &'static str },
    #[error("{0}: [kojid] {1} is required")]
    Missing(String, &'static str),
}

struct Section<'a> {
    path: &'a str,
    entries: Vec<(String, String)>,
}

impl Section<'_> {
    fn string(&self, key: &str) -> Option<String> {
        let key = key.to_ascii_lowercase();
        self.entries.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
    }

    fn or(&self, key: &str, default: &str) -> String {
        self.string(key).unwrap_or_else(|| default.to_owned())
    }

    fn parse<T: std::str::FromStr>(
        &self,
        key: &str,
        default: T,
        expected: &'static str,
    ) -> Result<T, KojidConfigError> {
        match self.string(key) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| KojidConfigError::Invalid {
                path: self.path.into(),
                key: key.into(),
                value: v,
                expected,
            }),
        }
    }

    fn secs(&self, key: &str, default: u64) -> Result<Duration, KojidConfigError> {
        self.parse(key, default, "a number of seconds").map(Duration::from_secs)
    }
}

impl KojidConfig {
    pub fn load(path: &Path) -> Result<Self, KojidConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| KojidConfigError::Read(path.display().to_string(), e))?;
        Self::parse(&path.display().to_string(), &text)
    }

    pub fn parse(path: &str, text: &str) -> Result<Self, KojidConfigError> {
        let ini = ini::Ini::load_from_str_opt(
            text,
            ini::ParseOption { enabled_quote: false, enabled_escape: false, ..Default::default() },
        )
        .map_err(|e| KojidConfigError::Syntax(path.into(), e.to_string()))?;
        let entries = ini
            .section(Some("kojid"))
            .map(|s| s.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned())).collect())
            .unwrap_or_default();
        let s = Section { path, entries };
        let backend = match s.or("backend", "mock").as_str() {
            "mock" => Backend::Mock,
            "rpmbuild" => Backend::Rpmbuild,
            other => {
                return Err(KojidConfigError::Invalid {
                    path: path.into(),
                    key: "backend".into(),
                    value: other.into(),
                    expected: "mock or rpmbuild",
                });
            }
        };
        let topurl = s.string("topurl").ok_or(KojidConfigError::Missing(path.into(), "topurl"))?;
        Ok(KojidConfig {
            server: s.or("server", "http://localhost/kojihub"),
            topurl: topurl.trim_end_matches('/').to_owned(),
            topdir: s.or("topdir", "/mnt/koji").into(),
            workdir: s.or("workdir", "/tmp/koji").into(),
            user: s.string("user"),
            password: s.string("password"),
            cert: s.string("cert").map(PathBuf::from),
            serverca: s.string("serverca").map(PathBuf::from),
            mockdir: s.or("mockdir", "/var/lib/mock").into(),
            mockuser: s.or("mockuser", "kojibuilder"),
            allowed_scms: s.or("allowed_scms", ""),
            maxjobs: s.parse("maxjobs", 10, "a whole number")?,
            minspace: s.parse("minspace", 8192, "a number of MB")?,
            sleeptime: s.secs("sleeptime", 15)?,
            vendor: s.or("vendor", "Koji"),
            packager: s.or("packager", "Koji"),
            distribution: s.or("distribution", "Koji"),
            mockhost: s.or("mockhost", "koji-linux-gnu"),
            backend,
            rpmbuild_timeout: s.secs("rpmbuild_timeout", 86400)?,
            host_provides: s
                .or("host_provides", "")
                .split([',', ' '])
                .filter(|x| !x.is_empty())
                .map(Into::into)
                .collect(),
            push_reconnect_max: s.secs("push_reconnect_max", 30)?,
            kill_grace: s.secs("kill_grace", 5)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn koji_keys_and_defaults() {
        let c = KojidConfig::parse(
            "kojid.conf",
            "[kojid]\nServer = http://h/kojihub\ntopurl = http://h/kojifiles/\nuser = b1\npassword = pw\n\
             backend = rpmbuild\nmaxjobs = 3\nhost_provides = gcc, make\n",
        )
        .unwrap();
        assert_eq!(c.server, "http://h/kojihub");
        assert_eq!(c.topurl, "http://h/kojifiles");
        assert_eq!(c.backend, Backend::Rpmbuild);
        assert_eq!(c.maxjobs, 3);
        assert_eq!(c.host_provides, ["gcc", "make"]);
        assert_eq!(c.vendor, "Koji");
        assert_eq!(c.rpmbuild_timeout, Duration::from_secs(86400));
        assert_eq!(c.mockdir, PathBuf::from("/var/lib/mock"));
        let err = KojidConfig::parse("k", "[kojid]\ntopurl=x\nbackend = docker\n").unwrap_err();
        assert!(err.to_string().contains("mock or rpmbuild"), "{err}");
        assert!(KojidConfig::parse("k", "[kojid]\n").is_err(), "topurl is required");
    }
}
