//! Which arches a build is built for (Koji's `BuildTask.getArchList`, spec §2), with the hub's `canon_arch`.

use super::task::TaskError;
pub use crate::repos::init::canon_arch;

/// The arch-relevant fields of an SRPM header.
#[derive(Debug, Default, Clone)]
pub struct SrpmArches {
    pub buildarchs: Vec<String>,
    pub exclusivearch: Vec<String>,
    pub excludearch: Vec<String>,
}

/// Koji's `getArchList`: the tag's arches (plus the package's `extra_arches`), replaced by the spec's
/// `BuildArch`, filtered by `ExclusiveArch`/`ExcludeArch`, noarch kept when the spec asks for it, or a scratch
/// build's `arch_override`; only arches the tag can build survive.
pub fn arch_list(
    tag_arches: &str,
    extra_arches: &str,
    srpm: &SrpmArches,
    arch_override: Option<&str>,
) -> Result<Vec<String>, TaskError> {
    let tag: Vec<String> = tag_arches.split_whitespace().map(canon_arch).collect();
    if tag.is_empty() {
        return Err(TaskError::build("No arches specified for tag"));
    }
    let mut archlist: Vec<String> =
        format!("{tag_arches} {extra_arches}").split_whitespace().map(str::to_owned).collect();
    if !srpm.buildarchs.is_empty() {
        archlist = srpm.buildarchs.clone();
    }
    if !srpm.exclusivearch.is_empty() {
        archlist.retain(|a| srpm.exclusivearch.contains(a));
    }
    if !srpm.excludearch.is_empty() {
        archlist.retain(|a| !srpm.excludearch.contains(a));
    }
    let noarch = "noarch".to_owned();
    if !srpm.excludearch.contains(&noarch)
        && (srpm.buildarchs.contains(&noarch) || srpm.exclusivearch.contains(&noarch))
        && !archlist.contains(&noarch)
    {
        archlist.push(noarch);
    }
    if let Some(o) = arch_override {
        archlist = o.split_whitespace().map(str::to_owned).collect();
    }
    let mut out: Vec<String> = Vec::new();
    for a in archlist {
        if (a == "noarch" || tag.contains(&canon_arch(&a))) && !out.contains(&a) {
            out.push(a);
        }
    }
    if out.is_empty() {
        return Err(TaskError::build("No matching arches were found"));
    }
    Ok(out)
}

/// Koji's `find_arch` for a buildroot: a concrete arch as is; for noarch the first host arch the tag also has.
pub fn buildroot_arch(arch: &str, host_arches: &str, tag_arches: &str) -> Result<String, TaskError> {
    if arch != "noarch" {
        return Ok(canon_arch(arch));
    }
    let tag: Vec<String> = tag_arches.split_whitespace().map(canon_arch).collect();
    host_arches
        .split_whitespace()
        .map(canon_arch)
        .find(|a| tag.contains(a))
        .ok_or_else(|| TaskError::build(format!("No arch list for this host: {host_arches} (tag arches {tag_arches})")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn srpm(b: &[&str], inc: &[&str], exc: &[&str]) -> SrpmArches {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        SrpmArches { buildarchs: v(b), exclusivearch: v(inc), excludearch: v(exc) }
    }

    #[test]
    fn kojis_arch_rules() {
        assert_eq!(arch_list("x86_64 i686", "", &srpm(&[], &[], &[]), None).unwrap(), ["x86_64", "i686"]);
        assert_eq!(arch_list("x86_64 aarch64", "", &srpm(&["noarch"], &[], &[]), None).unwrap(), ["noarch"]);
        assert_eq!(arch_list("x86_64 aarch64", "", &srpm(&[], &["aarch64"], &[]), None).unwrap(), ["aarch64"]);
        assert_eq!(arch_list("x86_64 aarch64", "", &srpm(&[], &[], &["aarch64"]), None).unwrap(), ["x86_64"]);
        assert_eq!(arch_list("x86_64", "s390x", &srpm(&[], &[], &[]), None).unwrap(), ["x86_64"]);
        assert_eq!(arch_list("x86_64 ppc64le", "", &srpm(&[], &[], &[]), Some("ppc64le")).unwrap(), ["ppc64le"]);
        let err = arch_list("x86_64", "", &srpm(&[], &["s390x"], &[]), None).unwrap_err();
        assert_eq!(err.to_string(), "No matching arches were found");
        assert!(arch_list("", "", &srpm(&[], &[], &[]), None).is_err());
        assert_eq!(canon_arch("i686"), "i386");
        assert_eq!(buildroot_arch("noarch", "aarch64 x86_64", "x86_64").unwrap(), "x86_64");
        assert_eq!(buildroot_arch("i686", "x86_64", "x86_64").unwrap(), "i386");
        assert!(buildroot_arch("noarch", "s390x", "x86_64").is_err());
    }
}
