#!/usr/bin/env bash
# The repo latency benchmark (issue 7 point 6): from a tagBuild commit to a READY repo of the build tag that
# contains the build, against createrepo_c's own time on the same repo. Builds release binaries, starts a private
# PostgreSQL (deploy/pg.sh) and a hub on a free port, one Rust kojid (rpmbuild backend) in the createrepo
# channel, imports a build of ~1,000 generated noarch packages into the tag the build tag inherits, then tags
# PROBES small builds one at a time and measures each tag → READY repo (repo.request + repo.waitRequest, no
# polling). The reference is createrepo_c run again by this script with the command kojid ran (`--update
# --skip-stat` from the previous repo's metadata, pkglist, comps) on the same repo. Writes deploy/bench/repo.txt.
#
#   deploy/bench/repo.sh                     1,000 packages, 10 probes
#   PACKAGES=200 PROBES=5 deploy/bench/repo.sh    a quick run (output to $OUT)
#
# Environment: PACKAGES, PROBES, OUT (default deploy/bench/repo.txt), CARGO_TARGET_DIR (default
# /var/tmp/koji-rs-target), KOJI_RS_VENV (the koji CLI venv, default /var/tmp/koji-rs-venv), KOJI_RS_PGBIN.
set -euo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
PACKAGES=${PACKAGES:-1000}
PROBES=${PROBES:-10}
OUT=${OUT:-$ROOT/deploy/bench/repo.txt}
VENV=${KOJI_RS_VENV:-/var/tmp/koji-rs-venv}
. deploy/bench/lib.sh

cargo build --release --bin koji-hub --bin kojid

bench_setup repo-bench
mkdir -p "$WORK/koji/repos"
ADMIN_PW=$(cat "$WORK/admin.password")
HUB=http://127.0.0.1:$HUB_PORT
bench_serve

# The builder's host user (legacy plain-text password, as Koji's own rows) in createrepo and default.
bench_psql -c "WITH u AS (INSERT INTO users (name, password, status, usertype) VALUES ('bench1', 'pw', 0, 1) RETURNING id),
            h AS (INSERT INTO host (user_id, name) SELECT id, 'bench1' FROM u RETURNING id)
       INSERT INTO host_config (host_id, arches, capacity, creator_id) SELECT id, 'x86_64', 8, 1 FROM h;
       INSERT INTO host_channels (host_id, channel_id, creator_id) SELECT h.id, c.id, 1 FROM host h, channels c
         WHERE h.name = 'bench1' AND c.name IN ('default', 'createrepo');
       SELECT pg_notify('koji_host', id::text) FROM host WHERE name = 'bench1';" >/dev/null
cat >"$WORK/kojid.conf" <<EOF
[kojid]
server = $HUB/kojihub
topurl = $HUB/kojifiles
topdir = $WORK/koji
workdir = $WORK/kojid-work
mockdir = $WORK/kojid-mock
user = bench1
password = pw
backend = rpmbuild
maxjobs = 4
minspace = 1
EOF
"$BIN/kojid" --config "$WORK/kojid.conf" >"$WORK/kojid.log" 2>&1 &
BENCH_PIDS+=($!)

cat >"$WORK/koji.conf" <<EOF
[bench]
server = $HUB/kojihub
topurl = $HUB/kojifiles
authtype = password
poll_interval = 1
EOF
koji() { "$VENV/bin/koji" --config "$WORK/koji.conf" -p bench --user kojiadmin --password "$ADMIN_PW" "$@"; }

# ---- content: one build of $PACKAGES noarch subpackages, and $PROBES small builds to tag one by one ----
mkdir -p "$WORK/rpm"
{
    printf 'Name: bulk\nVersion: 1.0\nRelease: 1\nSummary: bulk\nLicense: MIT\nBuildArch: noarch\n'
    printf '%%description\nBulk.\n'
    for i in $(seq -w 1 "$PACKAGES"); do
        printf '%%package p%s\nSummary: p%s\n%%description p%s\nP.\n' "$i" "$i" "$i"
    done
    printf '%%prep\n%%build\n%%install\nfor i in $(seq -w 1 %s); do mkdir -p %%{buildroot}/usr/share/bulk/p$i; echo $i > %%{buildroot}/usr/share/bulk/p$i/f; done\n' "$PACKAGES"
    printf '%%files\n'
    for i in $(seq -w 1 "$PACKAGES"); do printf '%%files p%s\n/usr/share/bulk/p%s\n' "$i" "$i"; done
} >"$WORK/rpm/bulk.spec"
probe_spec() {
    printf 'Name: %s\nVersion: 1.0\nRelease: 1\nSummary: probe\nLicense: MIT\nBuildArch: noarch\n%%description\nP.\n' "$1"
    printf '%%prep\n%%build\n%%install\nmkdir -p %%{buildroot}/usr/share/%s\necho x > %%{buildroot}/usr/share/%s/f\n' "$1" "$1"
    printf '%%files\n/usr/share/%s/f\n' "$1"
}
started=$(date +%s)
rpmbuild -ba --define "_topdir $WORK/rpm" "$WORK/rpm/bulk.spec" >/dev/null 2>&1
for i in $(seq -w 1 "$PROBES"); do
    probe_spec "probe$i" >"$WORK/rpm/probe$i.spec"
    rpmbuild -ba --define "_topdir $WORK/rpm" "$WORK/rpm/probe$i.spec" >/dev/null 2>&1
done
koji add-tag dist >/dev/null
koji add-tag dist-build --parent dist --arches x86_64 >/dev/null
koji add-group dist-build build >/dev/null
koji add-group-pkg dist-build build bash >/dev/null
koji add-pkg dist bulk $(for i in $(seq -w 1 "$PROBES"); do echo "probe$i"; done) --owner kojiadmin >/dev/null
koji import "$WORK"/rpm/SRPMS/*.src.rpm "$WORK"/rpm/RPMS/noarch/*.rpm >/dev/null
koji add-target dist-target dist-build dist >/dev/null
koji call tagBuildBypass dist bulk-1.0-1 >/dev/null
prepared=$(( $(date +%s) - started ))

# ---- the measurement ----
TMP_OUT=$WORK/out.txt
{
    echo "\$ deploy/bench/repo.sh      ($(date -u +%F), $(nproc) cores, release build; PACKAGES=$PACKAGES PROBES=$PROBES)"
    echo "setup (rpmbuild, import of $(( PACKAGES + PROBES + 2 )) rpms, first tagging): ${prepared}s"
    KOJI_URL=$HUB/kojihub TOPDIR=$WORK/koji PROBES=$PROBES "$VENV/bin/python" - <<'PY'
import glob, os, shutil, statistics, subprocess, tempfile, time
import koji

hub = os.environ['KOJI_URL']
top = os.environ['TOPDIR']
s = koji.ClientSession(hub)
anon = koji.ClientSession(hub)
pw = open(os.path.join(os.path.dirname(top), 'admin.password')).read()
s.opts.update({'user': 'kojiadmin', 'password': pw})
s.login()


def ready_repo(min_event):
    """repo.request, then the koji-rs long poll until the request is fulfilled."""
    while True:
        check = s.repo.request('dist-build', min_event=min_event)
        if check['repo']:
            return check['repo']
        check = s.repo.waitRequest(check['request']['id'], timeout=120)
        if check['repo']:
            return check['repo']


def primary_names(repo_id):
    path = glob.glob('%s/repos/dist-build/%s/x86_64/repodata/*-primary.xml.gz' % (top, repo_id))[0]
    xml = subprocess.run(['zcat', path], capture_output=True, text=True).stdout
    return xml.count('<package '), xml


def createrepo_time(repo_id, old_id):
    """createrepo_c as kojid ran it for this repo: --update from the previous repo's metadata."""
    repodir = '%s/repos/dist-build/%s' % (top, repo_id)
    work = tempfile.mkdtemp()
    out = os.path.join(work, 'repo')
    os.makedirs(out)
    cmd = ['/usr/bin/createrepo_c', '--error-exit-val', '-vd', '-o', out,
           '-i', '%s/x86_64/pkglist' % repodir, '-g', '%s/groups/comps.xml' % repodir]
    if old_id:
        shutil.copytree('%s/repos/dist-build/%s/x86_64/repodata' % (top, old_id), os.path.join(out, 'repodata'))
        for f in glob.glob(os.path.join(out, 'repodata', '*pkgorigins*')):
            os.remove(f)
        cmd += ['--update', '--skip-stat']
    cmd.append('%s/x86_64' % repodir)
    t = time.time()
    subprocess.run(cmd, check=True, capture_output=True)
    elapsed = time.time() - t
    shutil.rmtree(work)
    return elapsed


# Warm-up: the repo with the bulk build (a full createrepo, no --update).
t = time.time()
first = ready_repo(s.tagLastChangeEvent('dist-build'))
n, _ = primary_names(first['id'])
print('first repo %d: %d packages, %.2fs after the bulk tagging' % (first['id'], n, time.time() - t))
old = first['id']
rows = []
for i in range(1, int(os.environ['PROBES']) + 1):
    nvr = 'probe%s-1.0-1' % str(i).zfill(len(os.environ['PROBES']))
    time.sleep(1)  # let the previous regen's follow-up pass settle
    t0 = time.time()
    s.tagBuildBypass('dist', nvr)
    t_commit = time.time()
    event = s.tagLastChangeEvent('dist-build')
    repo = ready_repo(event)
    t1 = time.time()
    n, xml = primary_names(repo['id'])
    assert '<name>%s</name>' % nvr.rsplit('-', 2)[0] in xml, 'repo %s lacks %s' % (repo['id'], nvr)
    own = createrepo_time(repo['id'], old)
    rows.append((nvr, repo['id'], n, t1 - t_commit, own))
    print('%-16s repo %4d  %5d pkgs  tag→READY %.3fs  createrepo_c %.3fs  coordination %+.3fs'
          % (nvr, repo['id'], n, t1 - t_commit, own, (t1 - t_commit) - own), flush=True)
    old = repo['id']
lat = statistics.median(r[3] for r in rows)
own = statistics.median(r[4] for r in rows)
print()
print('p50 tagBuild commit → READY repo containing the build: %.3fs' % lat)
print('p50 createrepo_c on the same repo (same command):       %.3fs' % own)
print('p50 coordination (difference):                         %+.3fs' % (lat - own))
print('target (issue 7): p50 <= createrepo_c + 1 s: %s' % ('MET' if lat <= own + 1.0 else 'MISSED'))
PY
} | tee "$TMP_OUT"
cp "$TMP_OUT" "$OUT"
