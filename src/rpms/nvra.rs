//! `N-V-R.A` strings (Koji's `parse_NVRA`): an rpm's name, version, release and arch, optionally ending in
//! `.rpm` and followed by `@location` (an external repo). The N-V-R part splits as `lookup::parse_nvr`.

use crate::fault::{KojiError, KojiResult};
use crate::lookup::parse_nvr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nvra {
    pub name: String,
    pub version: String,
    pub release: String,
    pub arch: String,
    pub location: Option<String>,
}

impl Nvra {
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
        let (name, version, release) = parse_nvr(&nvra[..p3])?;
        Ok(Nvra { name, version, release, arch: nvra[p3 + 1..].to_owned(), location })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_rpm_suffix_location_and_epoch() {
        let n = Nvra::parse("2:python3-foo-1.0-1.fc40.x86_64.rpm@fedora").unwrap();
        assert_eq!((n.name.as_str(), n.version.as_str(), n.release.as_str()), ("python3-foo", "1.0", "1.fc40"));
        assert_eq!((n.arch.as_str(), n.location.as_deref()), ("x86_64", Some("fedora")));
        assert_eq!(Nvra::parse("foo-1.0-1.src").unwrap().arch, "src");
    }

    #[test]
    fn malformed_strings_get_kojis_message() {
        assert_eq!(Nvra::parse("foo-1-1").unwrap_err(), KojiError::generic("invalid format: foo-1-1"));
        assert_eq!(Nvra::parse("foo-1-1.").unwrap_err(), KojiError::generic("invalid format: foo-1-1."));
        assert_eq!(Nvra::parse("foo.x86_64").unwrap_err(), KojiError::generic("invalid format: foo"));
    }
}
