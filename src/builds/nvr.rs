//! Koji's N-V-R and N-V-R.A strings (`koji.parse_NVR`, `koji.parse_NVRA`).
//!
//! The split is from the right: release after the last `-`, version after the one before, and everything left
//! is the name (which may itself contain `-`, and may carry an `epoch:` prefix). Koji answers a malformed string
//! with `GenericError("invalid format: …")`, which the CLI prints as is.

use crate::fault::{KojiError, KojiResult};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvr {
    pub name: String,
    pub version: String,
    pub release: String,
    /// The `E:` prefix of the name, when given (`parse_NVR` keeps it apart).
    pub epoch: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvra {
    pub nvr: Nvr,
    pub arch: String,
    /// The `@location` suffix naming an external repo.
    pub location: Option<String>,
}

impl Nvr {
    pub fn parse(text: &str) -> KojiResult<Nvr> {
        let invalid = || KojiError::generic(format!("invalid format: {text}"));
        let p2 = text.rfind('-').filter(|&p| p + 1 < text.len()).ok_or_else(invalid)?;
        let p1 = text[..p2].rfind('-').filter(|&p| p + 1 < p2).ok_or_else(invalid)?;
        let full_name = &text[..p1];
        let (epoch, name) = match full_name.split_once(':') {
            Some((e, n)) => (Some(e.to_owned()), n),
            None => (None, full_name),
        };
        Ok(Nvr {
            name: name.to_owned(),
            version: text[p1 + 1..p2].to_owned(),
            release: text[p2 + 1..].to_owned(),
            epoch,
        })
    }
}

impl fmt::Display for Nvr {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}-{}-{}", self.name, self.version, self.release)
    }
}

impl Nvra {
    /// `N-V-R.A`, optionally ending in `.rpm` and/or followed by `@location`.
    pub fn parse(text: &str) -> KojiResult<Nvra> {
        let (nvra, location) = match text.split_once('@') {
            Some((n, l)) => (n, Some(l.to_owned())),
            None => (text, None),
        };
        let nvra = nvra.strip_suffix(".rpm").unwrap_or(nvra);
        let p3 = nvra
            .rfind('.')
            .filter(|&p| p + 1 < nvra.len())
            .ok_or_else(|| KojiError::generic(format!("invalid format: {nvra}")))?;
        Ok(Nvra { nvr: Nvr::parse(&nvra[..p3])?, arch: nvra[p3 + 1..].to_owned(), location })
    }
}

impl fmt::Display for Nvra {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}.{}", self.nvr, self.arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_from_the_right() {
        let n = Nvr::parse("python3-foo-bar-1.2.3-4.fc40").unwrap();
        assert_eq!((n.name.as_str(), n.version.as_str(), n.release.as_str()), ("python3-foo-bar", "1.2.3", "4.fc40"));
        assert_eq!(n.epoch, None);
        assert_eq!(n.to_string(), "python3-foo-bar-1.2.3-4.fc40");
        let n = Nvr::parse("2:foo-1-1").unwrap();
        assert_eq!((n.epoch.as_deref(), n.name.as_str()), (Some("2"), "foo"));
    }

    #[test]
    fn malformed_strings_get_kojis_message() {
        for bad in ["foo", "foo-1", "foo-1-", "foo--1", "-"] {
            assert_eq!(Nvr::parse(bad).unwrap_err(), KojiError::generic(format!("invalid format: {bad}")), "{bad}");
        }
        assert_eq!(Nvra::parse("foo-1-1").unwrap_err(), KojiError::generic("invalid format: foo-1-1"));
        assert_eq!(Nvra::parse("foo-1-1.").unwrap_err(), KojiError::generic("invalid format: foo-1-1."));
    }

    #[test]
    fn nvra_takes_rpm_suffix_and_location() {
        let n = Nvra::parse("foo-1.0-1.x86_64.rpm@fedora").unwrap();
        assert_eq!(n.arch, "x86_64");
        assert_eq!(n.location.as_deref(), Some("fedora"));
        assert_eq!(n.to_string(), "foo-1.0-1.x86_64");
        assert!(Nvra::parse("foo-1.0-1.src").unwrap().arch == "src");
    }
}
