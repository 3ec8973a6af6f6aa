# A fake builder for tests/repos.rs: logs in as a host in the createrepo channel and plays Koji's newRepo and
# createrepo tasks through the host.* calls kojid makes (repoInit, subtask, taskSetWait/taskWait,
# taskWaitResults, uploads, repoDone), running the real createrepo_c on the repo the hub wrote.
# Env: KOJI_URL/KOJI_USER/KOJI_PASSWORD; the test prepends TOPDIR (the hub's KojiDir) and FAILFILE (a file
# holding how many createrepo runs to fail next). Prints one line per step, flushed.
import json, os, shutil, subprocess, sys, tempfile, time
import koji
from koji.xmlrpcplus import dumps, Fault

s = koji.ClientSession(os.environ['KOJI_URL'], {'user': os.environ['KOJI_USER'],
                                                 'password': os.environ['KOJI_PASSWORD']})
s.login()
top = TOPDIR
failfile = FAILFILE
parents = {}  # newRepo task -> (repo_id, event_id, {arch: subtask})


def say(*a):
    print(*a, flush=True)


def result(value):
    return dumps((value,), methodresponse=1, allow_none=1)


def fail(task, msg):
    say('fail', task, msg)
    s.host.failTask(task, dumps(Fault(koji.GenericError.faultCode, msg), methodresponse=1, allow_none=1))


def take_failure():
    try:
        n = int(open(failfile).read().strip() or 0)
    except FileNotFoundError:
        return False
    if n <= 0:
        return False
    with open(failfile, 'w') as f:
        f.write(str(n - 1))
    return True


def new_repo(task):
    args, kw = koji.decode_args(*s.getTaskRequest(task['id']))
    tag = args[0]
    tinfo = s.getTag(tag['id'] if isinstance(tag, dict) else tag, strict=True)
    repo_id, event_id = s.host.repoInit(tinfo['id'], task_id=task['id'], opts=kw.get('opts'),
                                        event=kw.get('event'))
    repodir = '%s/repos/%s/%s' % (top, tinfo['name'], repo_id)
    arches = sorted(a for a in os.listdir(repodir)
                    if a != 'groups' and os.path.exists('%s/%s/pkglist' % (repodir, a)))
    subs = {}
    for arch in arches:
        subs[arch] = s.host.subtask('createrepo', [repo_id, arch, None], task['id'], arch='noarch', label=arch)
    s.host.taskSetWait(task['id'], list(subs.values()))
    parents[task['id']] = (repo_id, event_id, subs)
    say('newRepo', task['id'], 'repo', repo_id, 'event', event_id, 'arches', ','.join(arches))


def createrepo(task):
    repo_id, arch, _old = koji.decode_args(*s.getTaskRequest(task['id']))[0]
    if take_failure():
        return fail(task['id'], 'createrepo failed (injected)')
    rinfo = s.repoInfo(repo_id, strict=True)
    repodir = '%s/repos/%s/%s' % (top, rinfo['tag_name'], repo_id)
    pkglist = '%s/%s/pkglist' % (repodir, arch)
    work = tempfile.mkdtemp()
    out = os.path.join(work, 'repo')
    os.makedirs(out)
    cmd = ['createrepo_c', '--error-exit-val', '-vd', '-o', out]
    if os.path.getsize(pkglist):
        cmd += ['-i', pkglist]
    cmd += ['-g', '%s/groups/comps.xml' % repodir]
    cmd += ['%s/%s' % (repodir, arch) if os.path.getsize(pkglist) else out]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        return fail(task['id'], 'createrepo_c: %s' % run.stderr[-500:])
    uploadpath = koji.pathinfo.taskrelpath(task['id'])
    files = []
    for f in sorted(os.listdir(os.path.join(out, 'repodata'))):
        s.uploadWrapper(os.path.join(out, 'repodata', f), uploadpath)
        files.append(f)
    shutil.rmtree(work)
    s.host.closeTask(task['id'], result([uploadpath, files]))
    say('createrepo', task['id'], 'repo', repo_id, arch, len(files))


def check_parents():
    for parent, (repo_id, event_id, subs) in list(parents.items()):
        finished, unfinished = s.host.taskWait(parent)
        if unfinished:
            continue
        del parents[parent]
        try:
            by_task = dict(s.host.taskWaitResults(parent, list(subs.values())))
            data = dict((arch, by_task[t]) for arch, t in subs.items())
            s.host.repoDone(repo_id, data)
        except Exception as e:
            fail(parent, 'createrepo subtask failed: %s' % e)
            continue
        s.host.closeTask(parent, result([repo_id, event_id]))
        say('repoDone', parent, 'repo', repo_id)


say('ready')
while True:
    s.host.updateHost(0.0, True, {'maxjobs': 8})
    for task in s.host.getTasks():
        if s.host.openTask(task['id']) is None:
            continue
        try:
            if task['method'] == 'newRepo':
                new_repo(task)
            elif task['method'] == 'createrepo':
                createrepo(task)
            else:
                fail(task['id'], 'unexpected method %s' % task['method'])
        except Exception as e:
            fail(task['id'], repr(e))
    check_parents()
    time.sleep(0.1)
