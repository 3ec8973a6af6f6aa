//! Real rpms for the tests, built with Debian's `rpmbuild` from a spec the test writes.

use super::TempDir;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The rpms of one `rpmbuild -ba` run: the SRPM, a noarch and an arch-specific binary rpm.
pub struct Package {
    _dir: TempDir,
    pub srpm: PathBuf,
    pub noarch: PathBuf,
    pub binary: PathBuf,
    pub arch: String,
}

/// Builds `name-1.0-<release>` (epoch 2) with a noarch `-data` subpackage and an arch-specific main package.
pub fn build_package(name: &str, release: &str) -> Package {
    build_package_as(name, release, "koji-rs test package")
}

/// `build_package` with a chosen summary, to make a different package of the same N-V-R.
pub fn build_package_as(name: &str, release: &str, summary: &str) -> Package {
    let dir = TempDir::new("rpmbuild");
    let spec = dir.path().join(format!("{name}.spec"));
    std::fs::write(
        &spec,
        format!(
            "Name: {name}\nVersion: 1.0\nRelease: {release}\nEpoch: 2\nSummary: {summary}\nLicense: MIT\n\
             %description\nTest.\n\
             %package data\nSummary: data\nBuildArch: noarch\n%description data\nData.\n\
             %prep\n%build\n%install\n\
             mkdir -p %{{buildroot}}/usr/bin %{{buildroot}}/usr/share/{name}\n\
             printf '#!/bin/sh\\necho hello\\n' > %{{buildroot}}/usr/bin/{name}\n\
             chmod 755 %{{buildroot}}/usr/bin/{name}\n\
             echo data > %{{buildroot}}/usr/share/{name}/data.txt\n\
             %files\n/usr/bin/{name}\n%files data\n/usr/share/{name}/data.txt\n"
        ),
    )
    .unwrap();
    let out = Command::new("rpmbuild")
        .args(["-ba", "--define"])
        .arg(format!("_topdir {}", dir.path().display()))
        .arg(&spec)
        .output()
        .expect("run rpmbuild");
    assert!(out.status.success(), "rpmbuild failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let srpm = dir.path().join(format!("SRPMS/{name}-1.0-{release}.src.rpm"));
    let noarch = dir.path().join(format!("RPMS/noarch/{name}-data-1.0-{release}.noarch.rpm"));
    let arch_dir = std::fs::read_dir(dir.path().join("RPMS"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .find(|a| a != "noarch")
        .expect("an arch-specific rpm");
    let binary = dir.path().join(format!("RPMS/{arch_dir}/{name}-1.0-{release}.{arch_dir}.rpm"));
    for p in [&srpm, &noarch, &binary] {
        assert!(p.exists(), "{} missing", p.display());
    }
    Package { _dir: dir, srpm, noarch, binary, arch: arch_dir }
}

/// `rpm -qp --qf FORMAT`, the reference the hub's header reading is compared with.
pub fn rpm_query(path: &Path, format: &str) -> String {
    let out = Command::new("rpm").args(["-qp", "--qf", format]).arg(path).output().expect("run rpm");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}
