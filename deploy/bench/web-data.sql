-- Generated farm history for the web UI's benchmark and tests: hosts in channels, packagers, packages, task
-- trees (a top-level `build` with two `buildArch` children) and builds made by them.
--
--   psql -v tasks=100000 -v builds=10000 -v hosts=100 -f web-data.sql
--
-- Needs a migrated database with a first user (the admin, id 1, who creates the host configs). Task trees are
-- CLOSED but for every 25th (FAILED) and the newest 20 (OPEN parent, children OPEN and FREE), so the running
-- lists and the queue are not empty. Builds are COMPLETE and belong to the oldest build tasks.
\set ON_ERROR_STOP on
BEGIN;

INSERT INTO users (name, password, status, usertype)
SELECT 'packager' || i, NULL, 0, 0 FROM generate_series(1, 50) i;

WITH u AS (
    INSERT INTO users (name, password, status, usertype)
    SELECT 'builder' || i, 'pw', 0, 1 FROM generate_series(1, :hosts) i RETURNING id, name
)
INSERT INTO host (user_id, name, ready, task_load, update_time)
SELECT id, name, true, 0, now() FROM u;
INSERT INTO host_config (host_id, arches, capacity, creator_id)
SELECT id, CASE WHEN id % 4 = 0 THEN 'aarch64' ELSE 'x86_64 i686' END, 4.0 + id % 3, 1
FROM host WHERE name LIKE 'builder%';
INSERT INTO host_channels (host_id, channel_id, creator_id)
SELECT h.id, c.id, 1 FROM host h JOIN channels c ON c.name = 'default' OR (c.name = 'createrepo' AND h.id % 10 = 0)
WHERE h.name LIKE 'builder%';

INSERT INTO package (name) SELECT 'pkg' || i FROM generate_series(1, greatest(:builds / 5, 1)) i;

CREATE TEMP TABLE gen_parent AS
SELECT i, (SELECT count(*) FROM package) AS npkg, :tasks / 3 AS n FROM generate_series(1, :tasks / 3) i;

-- Ids are laid out as a hub hands them out: each parent followed by its two children.
CREATE TEMP TABLE gen_tree AS
SELECT i, (SELECT coalesce(max(id), 0) FROM task) + 3 * (i - 1) + 1 AS id FROM gen_parent;
INSERT INTO task (id, state, create_time, start_time, completion_time, channel_id, host_id, owner, method, request,
                  result, arch, priority, weight)
SELECT g.id, CASE WHEN p.i > n - 20 THEN 1 WHEN p.i % 25 = 0 THEN 5 ELSE 2 END,
       now() - (n - p.i) * interval '1 minute',
       now() - (n - p.i) * interval '1 minute' + interval '5 seconds',
       CASE WHEN p.i > n - 20 THEN NULL ELSE now() - (n - p.i) * interval '1 minute' + interval '20 minutes' END,
       (SELECT id FROM channels WHERE name = 'default'),
       (SELECT min(id) FROM host WHERE name LIKE 'builder%') + p.i % :hosts,
       (SELECT min(id) FROM users WHERE name LIKE 'packager%') + p.i % 50,
       'build',
       '<?xml version=''1.0''?><methodCall><methodName>build</methodName><params><param><value><string>'
           || 'git+https://src.example.org/rpms/pkg' || (1 + p.i % npkg) || '.git#' || md5(p.i::text)
           || '</string></value></param><param><value><string>f40-candidate</string></value></param>'
           || '</params></methodCall>',
       CASE WHEN p.i > n - 20 THEN NULL WHEN p.i % 25 = 0 THEN
           '<?xml version=''1.0''?><methodResponse><fault><value><struct><member><name>faultCode</name>'
           || '<value><int>1005</int></value></member><member><name>faultString</name><value><string>'
           || 'BuildError: error building package (arch x86_64), mock exited with status 1'
           || '</string></value></member></struct></value></fault></methodResponse>'
       ELSE '<?xml version=''1.0''?><methodResponse><params><param><value><nil/></value></param></params>'
           || '</methodResponse>' END,
       'noarch', 20, 0.2
FROM gen_parent p JOIN gen_tree g USING (i);

INSERT INTO task (id, state, create_time, start_time, completion_time, channel_id, host_id, parent, owner, method,
                  request, result, arch, priority, weight)
SELECT p.id + a.k, CASE WHEN p.state = 1 THEN (CASE WHEN a.k = 1 THEN 1 ELSE 0 END) ELSE p.state END,
       p.create_time + interval '10 seconds', p.start_time + interval '10 seconds',
       p.completion_time - interval '1 minute', p.channel_id,
       CASE WHEN p.state = 1 AND a.k = 2 THEN NULL ELSE p.host_id END,
       p.id, p.owner, 'buildArch',
       '<?xml version=''1.0''?><methodCall><methodName>buildArch</methodName><params><param><value><string>'
           || 'tasks/' || p.id || '/pkg.src.rpm</string></value></param><param><value><int>1</int></value></param>'
           || '<param><value><string>' || a.arch || '</string></value></param></params></methodCall>',
       p.result, a.arch, 19, 1.5
FROM gen_tree g JOIN task p ON p.id = g.id
CROSS JOIN (VALUES (1, 'x86_64'), (2, 'aarch64')) AS a (k, arch);
SELECT setval('task_id_seq', (SELECT max(id) FROM task));

-- Builds of the oldest CLOSED build tasks, spread over the packages.
INSERT INTO build (volume_id, pkg_id, version, release, epoch, state, task_id, owner, start_time, completion_time)
SELECT 0, (SELECT min(id) FROM package) + (g.i - 1) % np.n, '1.' || ((g.i - 1) / np.n), '1.fc40', NULL, 1, g.id,
       t.owner, t.start_time, t.completion_time
FROM gen_tree g JOIN task t ON t.id = g.id, (SELECT count(*) AS n FROM package) np
WHERE t.state = 2 ORDER BY g.i LIMIT :builds;

COMMIT;
ANALYZE task; ANALYZE build; ANALYZE package; ANALYZE users; ANALYZE host; ANALYZE host_config; ANALYZE host_channels;
