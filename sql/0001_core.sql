-- koji-rs: core schema, shape-compatible with the Koji 1.36 hub database.
--
-- Every table, column, type, default, constraint and index below carries the
-- name Koji uses, so the koji-rs hub can run against a database created by
-- Koji itself (and Koji's own upgrade scripts keep working against ours).
-- Only the few indexes in the final section are koji-rs additions; they are
-- prefixed "kojirs_" so they are easy to tell apart.  See sql/README.md.
--
-- Conventions worth knowing before reading on:
--
--  * Surrogate keys are SERIAL, not IDENTITY: the hub allocates ids ahead of
--    the INSERT with nextval('<table>_id_seq') (task, build, rpminfo, repo,
--    repo_queue, archiveinfo, buildroot, host, users, sessions, package, tag,
--    channels, ...), so the implicit sequence names are part of the contract.
--
--  * "Versioned" tables keep their full history.  A row is current while
--    active = TRUE; it is retired by setting revoke_event, revoker_id and
--    active = NULL (never FALSE).  An edit is revoke-old + insert-new.  Because
--    NULLs are distinct in a UNIQUE constraint, UNIQUE (..., active) only bites
--    on current rows: history may repeat, the present may not.  The state at
--    event E is: create_event <= E AND (revoke_event IS NULL OR E < revoke_event).
--    The five bookkeeping columns and the active_revoke_sane CHECK are repeated
--    verbatim in every versioned table.
--
--  * Small integer enums (task.state, build.state, repo.state, users.usertype,
--    sessions.authtype, ...) are plain INTEGER columns; the values live in
--    koji/__init__.py (see shared/spec/koji-api.md section 5).
--
-- Seed rows (permissions, channels, btypes, archive types, volume 0, external
-- repo 0, locks) are in 0002_seed.sql.
--
-- This file must be executed as one script (simple-query protocol / psql -f);
-- the function bodies contain semicolons, so do not split it on ';'.


-- ===========================================================================
-- 1. Events: the global clock
-- ===========================================================================

-- One row per logical change.  Event ids, not timestamps, order history, so a
-- clock that steps backwards cannot reorder it.  The hub takes one event per
-- transaction (SELECT get_event()) and stamps every versioned write with it.
CREATE TABLE events (
    id      SERIAL NOT NULL PRIMARY KEY,
    time    TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);

-- Allocate a new event and return its id.  Used as the column DEFAULT of every
-- create_event / update_event column, and called directly by the hub.
CREATE FUNCTION get_event() RETURNS INTEGER AS $$
    INSERT INTO events (time) VALUES (clock_timestamp());
    SELECT currval('events_id_seq')::INTEGER;
$$ LANGUAGE SQL;

-- Event id -> timestamp, for ad-hoc queries that want to skip the join.
CREATE FUNCTION get_event_time(INTEGER) RETURNS TIMESTAMPTZ AS $$
    SELECT time FROM events WHERE id = $1;
$$ LANGUAGE SQL;

-- Optional human labels for a few events (kept apart: almost all events have none).
CREATE TABLE event_labels (
    event_id    INTEGER NOT NULL REFERENCES events(id),
    label       VARCHAR(255) UNIQUE NOT NULL
);


-- ===========================================================================
-- 2. Users, authentication, permissions
-- ===========================================================================

-- Users, build hosts (usertype 1) and groups (usertype 2) all live here.
-- status: 0 normal, 1 blocked.
CREATE TABLE users (
    id          SERIAL NOT NULL PRIMARY KEY,
    name        VARCHAR(255) UNIQUE NOT NULL,
    password    VARCHAR(255),
    status      INTEGER NOT NULL,
    usertype    INTEGER NOT NULL
);

-- Kerberos principals mapped to a user (a user may have several).
CREATE TABLE user_krb_principals (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    krb_principal   VARCHAR(255) NOT NULL UNIQUE,
    PRIMARY KEY (user_id, krb_principal)
);

-- Named permissions.  The seeded ones have fixed ids (0002_seed.sql); others
-- are created on demand (grant-permission --new).
CREATE TABLE permissions (
    id          SERIAL NOT NULL PRIMARY KEY,
    name        VARCHAR(50) UNIQUE NOT NULL,
    description TEXT
);

-- Versioned: which user (or group) holds which permission.
CREATE TABLE user_perms (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    perm_id         INTEGER NOT NULL REFERENCES permissions(id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, perm_id),
    UNIQUE (user_id, perm_id, active)
);

-- Versioned: group membership.  group_id points at a users row with usertype 2.
CREATE TABLE user_groups (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    group_id        INTEGER NOT NULL REFERENCES users(id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, user_id, group_id),
    UNIQUE (user_id, group_id, active)
);

-- Login sessions.  A subsession points at its top-level session through
-- "master" (always the top, never an intermediate one); expiring the master
-- expires its subsessions.  "exclusive" is TRUE or NULL, never FALSE, so that
-- UNIQUE (user_id, exclusive) allows at most one exclusive session per user
-- (build hosts hold one).  authtype: 0 password, 1 kerberos, 2 ssl, 3 gssapi.
CREATE TABLE sessions (
    id          SERIAL NOT NULL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    expired     BOOLEAN NOT NULL DEFAULT FALSE,
    master      INTEGER REFERENCES sessions(id),
    key         VARCHAR(255),
    authtype    INTEGER,
    hostip      VARCHAR(255),
    callnum     INTEGER,
    start_time  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    update_time TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    exclusive   BOOLEAN CHECK (exclusive),
    closed      BOOLEAN NOT NULL DEFAULT FALSE,
    renew_time  TIMESTAMPTZ,
    CONSTRAINT no_exclusive_subsessions CHECK (
        master IS NULL OR "exclusive" IS NULL),
    CONSTRAINT no_closed_exclusive CHECK (
        closed IS FALSE OR "exclusive" IS NULL),
    UNIQUE (user_id, exclusive)
);
CREATE INDEX sessions_master ON sessions(master);
CREATE INDEX sessions_active_and_recent ON sessions(expired, master, update_time)
    WHERE (expired = FALSE AND master IS NULL);
CREATE INDEX sessions_expired ON sessions(expired);


-- ===========================================================================
-- 3. Channels and build hosts
-- ===========================================================================

-- A channel is a pool of hosts.  Every task is created in one channel and
-- only hosts subscribed to it may run it.
CREATE TABLE channels (
    id          SERIAL NOT NULL PRIMARY KEY,
    name        VARCHAR(128) UNIQUE NOT NULL,
    description TEXT,
    enabled     BOOLEAN NOT NULL DEFAULT 'true',
    comment     TEXT
);

-- Live, unversioned host state, rewritten on every builder check-in
-- (host.updateHost).  Each host also has a users row (usertype 1).
-- task_load: summed weight of the host's open tasks.  ready: the host is
-- polling and willing to take work; the scheduler clears it when update_time
-- gets too old.
CREATE TABLE host (
    id          SERIAL NOT NULL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    name        VARCHAR(128) UNIQUE NOT NULL,
    update_time TIMESTAMPTZ,
    task_load   FLOAT CHECK (NOT task_load < 0) NOT NULL DEFAULT 0.0,
    ready       BOOLEAN NOT NULL DEFAULT 'false'
);

-- Versioned, admin-edited host settings.  arches: space separated list.
-- capacity: how much task weight the host accepts.
CREATE TABLE host_config (
    host_id         INTEGER NOT NULL REFERENCES host(id),
    arches          TEXT,
    capacity        FLOAT CHECK (capacity > 1) NOT NULL DEFAULT 2.0,
    description     TEXT,
    comment         TEXT,
    enabled         BOOLEAN NOT NULL DEFAULT 'true',
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id),
    UNIQUE (host_id, active)
);
CREATE INDEX host_config_by_active_and_enabled ON host_config(active, enabled);

-- Versioned: host <-> channel subscriptions.
CREATE TABLE host_channels (
    host_id         INTEGER NOT NULL REFERENCES host(id),
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, host_id, channel_id),
    UNIQUE (host_id, channel_id, active)
);


-- ===========================================================================
-- 4. Tasks
-- ===========================================================================

-- Every unit of work (build, buildArch, newRepo, createrepo, tagBuild, ...).
-- request/result hold XML-RPC encoded params / return value.  host_id is the
-- assignee and doubles as the task lock.  parent is NULL for top-level tasks;
-- label names a child within its parent so a re-run parent re-attaches to its
-- existing children instead of spawning duplicates (hence UNIQUE(parent,label),
-- which also serves as the index on parent).  state: 0 FREE, 1 OPEN, 2 CLOSED,
-- 3 CANCELED, 4 ASSIGNED, 5 FAILED.  priority: lower is more urgent.
-- weight: share of a host's capacity the task uses.
CREATE TABLE task (
    id              SERIAL NOT NULL PRIMARY KEY,
    state           INTEGER,
    create_time     TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    start_time      TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    channel_id      INTEGER NOT NULL REFERENCES channels(id),
    host_id         INTEGER REFERENCES host (id),
    parent          INTEGER REFERENCES task (id),
    label           VARCHAR(255),
    waiting         BOOLEAN,
    awaited         BOOLEAN,
    owner           INTEGER REFERENCES users(id) NOT NULL,
    method          TEXT,
    request         TEXT,
    result          TEXT,
    eta             INTEGER,
    arch            VARCHAR(16) NOT NULL,
    priority        INTEGER,
    weight          FLOAT CHECK (NOT weight < 0) NOT NULL DEFAULT 1.0,
    CONSTRAINT parent_label_sane CHECK (
        parent IS NOT NULL OR label IS NULL),
    UNIQUE (parent, label)
);
CREATE INDEX task_by_state ON task (state);
CREATE INDEX task_by_host ON task (host_id);
CREATE INDEX task_by_no_parent_state_method ON task(parent, state, method)
    WHERE parent IS NULL;


-- ===========================================================================
-- 5. Storage volumes, build types, content generators
-- ===========================================================================

-- Storage volumes for build output.  Volume 0 'DEFAULT' is <topdir> itself;
-- others live under <topdir>/vol/<name>.
CREATE TABLE volume (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

-- External systems allowed to import builds (CGImport).
CREATE TABLE content_generator (
    id      SERIAL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

-- Versioned: users allowed to import on behalf of a content generator.
CREATE TABLE cg_users (
    cg_id           INTEGER NOT NULL REFERENCES content_generator (id),
    user_id         INTEGER NOT NULL REFERENCES users (id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, cg_id, user_id),
    UNIQUE (cg_id, user_id, active)
);

-- Build types (rpm, maven, win, image, plus any added with addBType).
CREATE TABLE btype (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);


-- ===========================================================================
-- 6. Packages and builds
-- ===========================================================================

-- A package is a source package name, independent of any build of it.
CREATE TABLE package (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

-- One row per N-V-R (the SRPM level).  Epoch is stored but not part of the
-- uniqueness.  state: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED;
-- completion_time is NULL exactly while BUILDING.  task_id may point at a
-- task that has since been deleted.  Draft builds carry ',draft_<id>' at the
-- end of their release and lose the draft flag when promoted.  extra is JSON
-- text.  UNIQUE (id, draft) exists only so rpminfo can reference (id, draft).
CREATE TABLE build (
    id              SERIAL NOT NULL PRIMARY KEY,
    volume_id       INTEGER NOT NULL REFERENCES volume (id),
    pkg_id          INTEGER NOT NULL REFERENCES package (id) DEFERRABLE,
    version         TEXT NOT NULL,
    release         TEXT NOT NULL,
    epoch           INTEGER,
    draft           BOOLEAN NOT NULL DEFAULT 'false',
    source          TEXT,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    start_time      TIMESTAMPTZ,
    completion_time TIMESTAMPTZ,
    promotion_time  TIMESTAMPTZ,
    state           INTEGER NOT NULL,
    task_id         INTEGER REFERENCES task (id),
    owner           INTEGER NOT NULL REFERENCES users (id),
    promoter        INTEGER REFERENCES users (id),
    cg_id           INTEGER REFERENCES content_generator(id),
    extra           TEXT,
    CONSTRAINT build_pkg_ver_rel UNIQUE (pkg_id, version, release),
    CONSTRAINT draft_for_rpminfo UNIQUE (id, draft),
    CONSTRAINT completion_sane CHECK (
        (state = 0 AND completion_time IS NULL)
        OR (state <> 0 AND completion_time IS NOT NULL)),
    CONSTRAINT promotion_sane CHECK (
        NOT draft OR (promotion_time IS NULL AND promoter IS NULL)),
    CONSTRAINT draft_release_sane CHECK (
        NOT draft OR release ~ ('^.*,draft_' || id::TEXT || '$'))
);
CREATE INDEX build_by_pkg_id ON build (pkg_id);
CREATE INDEX build_completion ON build(completion_time);

-- Which build types a build has (a build may have several).
CREATE TABLE build_types (
    build_id    INTEGER NOT NULL REFERENCES build(id),
    btype_id    INTEGER NOT NULL REFERENCES btype(id),
    PRIMARY KEY (build_id, btype_id)
);

-- Reservation tokens for content-generator builds (CGInitBuild -> CGImport).
CREATE TABLE build_reservations (
    build_id    INTEGER NOT NULL REFERENCES build(id),
    token       VARCHAR(64),
    created     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (build_id)
);
CREATE INDEX build_reservations_created ON build_reservations(created);

-- Type-specific build details.
CREATE TABLE maven_builds (
    build_id    INTEGER NOT NULL PRIMARY KEY REFERENCES build(id),
    group_id    TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version     TEXT NOT NULL
);

CREATE TABLE win_builds (
    build_id    INTEGER NOT NULL PRIMARY KEY REFERENCES build(id),
    platform    TEXT NOT NULL
);

CREATE TABLE image_builds (
    build_id    INTEGER NOT NULL PRIMARY KEY REFERENCES build(id)
);


-- ===========================================================================
-- 7. Tags, inheritance, targets, package lists, tagged builds
-- ===========================================================================

-- A tag "exists" only while it has an active tag_config row.
CREATE TABLE tag (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

-- Versioned tag settings.  perm_id: permission needed to tag into it (NULL:
-- none beyond policy).  arches: space separated (NULL: inherit).
CREATE TABLE tag_config (
    tag_id              INTEGER NOT NULL REFERENCES tag(id),
    arches              TEXT,
    perm_id             INTEGER REFERENCES permissions(id),
    locked              BOOLEAN NOT NULL DEFAULT 'false',
    maven_support       BOOLEAN NOT NULL DEFAULT FALSE,
    maven_include_all   BOOLEAN NOT NULL DEFAULT FALSE,
    create_event        INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event        INTEGER REFERENCES events(id),
    creator_id          INTEGER NOT NULL REFERENCES users(id),
    revoker_id          INTEGER REFERENCES users(id),
    active              BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id),
    UNIQUE (tag_id, active)
);

-- Versioned key/value tag options; value is JSON text, NULL = key blocked.
CREATE TABLE tag_extra (
    tag_id          INTEGER NOT NULL REFERENCES tag(id),
    key             TEXT NOT NULL,
    value           TEXT,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, key),
    UNIQUE (tag_id, key, active)
);

-- Versioned parent links.  Lower priority is walked first and is unique per
-- tag; a parent may appear once per tag.  maxdepth/intransitive/noconfig and
-- pkg_filter (regex) shape the inheritance walk.
CREATE TABLE tag_inheritance (
    tag_id          INTEGER NOT NULL REFERENCES tag(id),
    parent_id       INTEGER NOT NULL REFERENCES tag(id),
    priority        INTEGER NOT NULL,
    maxdepth        INTEGER,
    intransitive    BOOLEAN NOT NULL DEFAULT 'false',
    noconfig        BOOLEAN NOT NULL DEFAULT 'false',
    pkg_filter      TEXT,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, parent_id, active)
);
CREATE INDEX tag_inheritance_by_parent ON tag_inheritance (parent_id);

-- Changes that affect a tag's content but are not visible in any versioned
-- table (build moved volume, rpms imported into an existing build, manual
-- bump, draft promotion).  Repo staleness checks read it.
-- update_type: 0 VOLUME_CHANGE, 1 IMPORT, 2 MANUAL, 3 DRAFT_PROMOTION.
CREATE TABLE tag_updates (
    id              SERIAL NOT NULL PRIMARY KEY,
    tag_id          INTEGER NOT NULL REFERENCES tag(id),
    update_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    updater_id      INTEGER NOT NULL REFERENCES users(id),
    update_type     INTEGER NOT NULL
);
CREATE INDEX tag_updates_by_tag ON tag_updates (tag_id);
CREATE INDEX tag_updates_by_event ON tag_updates (update_event);

-- Build targets: where to build (build_tag) and where to land (dest_tag).
CREATE TABLE build_target (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

CREATE TABLE build_target_config (
    build_target_id INTEGER NOT NULL REFERENCES build_target(id),
    build_tag       INTEGER NOT NULL REFERENCES tag(id),
    dest_tag        INTEGER NOT NULL REFERENCES tag(id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_target_id),
    UNIQUE (build_target_id, active)
);

-- Versioned build <-> tag relation: a row here means "build is tagged".
CREATE TABLE tag_listing (
    build_id        INTEGER NOT NULL REFERENCES build (id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, build_id, tag_id),
    UNIQUE (build_id, tag_id, active)
);
CREATE INDEX tag_listing_tag_id_key ON tag_listing(tag_id);

-- Versioned per-tag package list: which packages may be tagged into a tag.
-- blocked = TRUE stops the package arriving through inheritance.
CREATE TABLE tag_packages (
    package_id      INTEGER NOT NULL REFERENCES package (id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    extra_arches    TEXT,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);
CREATE INDEX tag_packages_active_tag_id ON tag_packages(active, tag_id);
CREATE INDEX tag_packages_create_event ON tag_packages(create_event);
CREATE INDEX tag_packages_revoke_event ON tag_packages(revoke_event);

-- Versioned package owner per tag (kept apart from tag_packages so an owner
-- change does not rewrite the listing).
CREATE TABLE tag_package_owners (
    package_id      INTEGER NOT NULL REFERENCES package(id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    owner           INTEGER NOT NULL REFERENCES users(id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, package_id, tag_id),
    UNIQUE (package_id, tag_id, active)
);


-- ===========================================================================
-- 8. Comps groups (per tag; become groups/comps.xml in repos and decide what
--    is installed in buildroots: 'build', 'srpm-build', ...)
-- ===========================================================================

-- Group names (the comps <id>).
CREATE TABLE groups (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    VARCHAR(50) UNIQUE NOT NULL
);

-- Versioned per-tag group definition; blocked = TRUE hides an inherited group.
CREATE TABLE group_config (
    group_id        INTEGER NOT NULL REFERENCES groups (id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    exported        BOOLEAN DEFAULT TRUE,
    display_name    TEXT NOT NULL,
    is_default      BOOLEAN,
    uservisible     BOOLEAN,
    description     TEXT,
    langonly        TEXT,
    biarchonly      BOOLEAN,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id),
    UNIQUE (group_id, tag_id, active)
);

-- Versioned group -> group requirements.
CREATE TABLE group_req_listing (
    group_id        INTEGER NOT NULL REFERENCES groups (id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    req_id          INTEGER NOT NULL REFERENCES groups (id),
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    type            VARCHAR(25),
    is_metapkg      BOOLEAN NOT NULL DEFAULT FALSE,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, req_id),
    UNIQUE (group_id, tag_id, req_id, active)
);

-- Versioned group members.  "package" is a binary rpm name, so it is free
-- text rather than a reference to the package table.
CREATE TABLE group_package_listing (
    group_id        INTEGER NOT NULL REFERENCES groups (id),
    tag_id          INTEGER NOT NULL REFERENCES tag (id),
    package         TEXT,
    blocked         BOOLEAN NOT NULL DEFAULT FALSE,
    type            VARCHAR(25) NOT NULL,
    basearchonly    BOOLEAN,
    requires        TEXT,
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event    INTEGER REFERENCES events(id),
    creator_id      INTEGER NOT NULL REFERENCES users(id),
    revoker_id      INTEGER REFERENCES users(id),
    active          BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, group_id, tag_id, package),
    UNIQUE (group_id, tag_id, package, active)
);


-- ===========================================================================
-- 9. External repos and tag repos
-- ===========================================================================

-- External yum repos merged into tag repos.  Row 0 'INTERNAL' (seeded) stands
-- for "built here": rpminfo.external_repo_id = 0 for every local rpm, which
-- keeps the N-V-R-A unique index meaningful.
CREATE TABLE external_repo (
    id      SERIAL NOT NULL PRIMARY KEY,
    name    TEXT UNIQUE NOT NULL
);

-- Versioned repo URL.
CREATE TABLE external_repo_config (
    external_repo_id    INTEGER NOT NULL REFERENCES external_repo(id),
    url                 TEXT NOT NULL,
    create_event        INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event        INTEGER REFERENCES events(id),
    creator_id          INTEGER NOT NULL REFERENCES users(id),
    revoker_id          INTEGER REFERENCES users(id),
    active              BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
);

-- Versioned data kojira records about an external repo (e.g. its
-- repomd.xml timestamp); a new version makes dependent tag repos stale.
CREATE TABLE external_repo_data (
    external_repo_id    INTEGER NOT NULL REFERENCES external_repo(id),
    data                JSONB,
    create_event        INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event        INTEGER REFERENCES events(id),
    creator_id          INTEGER NOT NULL REFERENCES users(id),
    revoker_id          INTEGER REFERENCES users(id),
    active              BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, external_repo_id),
    UNIQUE (external_repo_id, active)
);

-- Versioned tag <-> external repo links.  merge_mode: koji, simple or bare.
CREATE TABLE tag_external_repos (
    tag_id              INTEGER NOT NULL REFERENCES tag(id),
    external_repo_id    INTEGER NOT NULL REFERENCES external_repo(id),
    priority            INTEGER NOT NULL,
    merge_mode          TEXT NOT NULL DEFAULT 'koji',
    arches              TEXT,
    create_event        INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    revoke_event        INTEGER REFERENCES events(id),
    creator_id          INTEGER NOT NULL REFERENCES users(id),
    revoker_id          INTEGER REFERENCES users(id),
    active              BOOLEAN DEFAULT 'true' CHECK (active),
    CONSTRAINT active_revoke_sane CHECK (
        (active IS NULL AND revoke_event IS NOT NULL AND revoker_id IS NOT NULL)
        OR (active IS NOT NULL AND revoke_event IS NULL AND revoker_id IS NULL)),
    PRIMARY KEY (create_event, tag_id, priority),
    UNIQUE (tag_id, priority, active),
    UNIQUE (tag_id, external_repo_id, active)
);

-- Generated tag repos.  state: 0 INIT, 1 READY, 2 EXPIRED, 3 DELETED, 4 PROBLEM.
-- create_event is the event the repo content is taken *from* (may be old);
-- creation_time is when the row was made; state_time changes with state.
-- begin_event/end_event bound the event range over which the repo matches
-- its tag (end_event NULL = still current).  opts: effective repo options;
-- custom_opts: those that differ from the tag's defaults.
CREATE TABLE repo (
    id              SERIAL NOT NULL PRIMARY KEY,
    creation_time   TIMESTAMPTZ DEFAULT NOW(),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    state_time      TIMESTAMPTZ DEFAULT NOW(),
    begin_event     INTEGER REFERENCES events(id),
    end_event       INTEGER REFERENCES events(id),
    tag_id          INTEGER NOT NULL REFERENCES tag(id),
    state           INTEGER,
    dist            BOOLEAN DEFAULT 'false',
    opts            JSONB,
    custom_opts     JSONB,
    task_id         INTEGER REFERENCES task(id)
);

-- Repo requests (1.35+ "repos on demand").  The first block of columns is
-- fixed at creation; the rest tracks progress.  An active request never has
-- a repo_id: fulfilling it sets repo_id and clears active in one step.
CREATE TABLE repo_queue (
    id              SERIAL NOT NULL PRIMARY KEY,
    create_time     TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    owner           INTEGER REFERENCES users(id) NOT NULL,
    priority        INTEGER NOT NULL,
    tag_id          INTEGER NOT NULL REFERENCES tag(id),
    at_event        INTEGER REFERENCES events(id),
    min_event       INTEGER REFERENCES events(id),
    opts            JSONB NOT NULL,
    CONSTRAINT only_one_event CHECK (at_event IS NULL OR min_event IS NULL),
    update_time     TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    task_id         INTEGER REFERENCES task(id),
    tries           INTEGER NOT NULL DEFAULT 0,
    repo_id         INTEGER REFERENCES repo(id),
    CONSTRAINT active_sane CHECK (NOT active OR repo_id IS NULL)
);


-- ===========================================================================
-- 10. Buildroots
-- ===========================================================================

-- Any environment a build ran in.  br_type: 0 STANDARD (a koji mock root,
-- detailed in standard_buildroot), 1 EXTERNAL (content generators).
CREATE TABLE buildroot (
    id              SERIAL NOT NULL PRIMARY KEY,
    br_type         INTEGER NOT NULL,
    cg_id           INTEGER REFERENCES content_generator (id),
    cg_version      TEXT,
    CONSTRAINT cg_sane CHECK (
        (cg_id IS NULL AND cg_version IS NULL)
        OR (cg_id IS NOT NULL AND cg_version IS NOT NULL)),
    container_type  TEXT,
    container_arch  TEXT,
    CONSTRAINT container_sane CHECK (
        (container_type IS NULL AND container_arch IS NULL)
        OR (container_type IS NOT NULL AND container_arch IS NOT NULL)),
    host_os         TEXT,
    host_arch       TEXT,
    extra           TEXT
);

-- Koji-managed mock roots.  state: 0 INIT, 1 WAITING, 2 BUILDING, 3 EXPIRED.
-- retire_event deliberately has no foreign key (as in Koji).
CREATE TABLE standard_buildroot (
    buildroot_id    INTEGER NOT NULL PRIMARY KEY REFERENCES buildroot(id),
    host_id         INTEGER NOT NULL REFERENCES host(id),
    repo_id         INTEGER NOT NULL REFERENCES repo (id),
    task_id         INTEGER NOT NULL REFERENCES task (id),
    create_event    INTEGER NOT NULL REFERENCES events(id) DEFAULT get_event(),
    retire_event    INTEGER,
    state           INTEGER
);

-- Tool versions reported for a buildroot (content generators).
CREATE TABLE buildroot_tools_info (
    buildroot_id    INTEGER NOT NULL REFERENCES buildroot(id),
    tool            TEXT NOT NULL,
    version         TEXT NOT NULL,
    PRIMARY KEY (buildroot_id, tool)
);


-- ===========================================================================
-- 11. RPMs
-- ===========================================================================

-- Every rpm (including srpms) known to Koji, built here or seen in an
-- external repo.  Local rpms: build_id and draft set, external_repo_id = 0.
-- External rpms: build_id and draft NULL, external_repo_id <> 0.  The
-- (build_id, draft) foreign key keeps draft equal to the build's flag and
-- follows it on promotion (ON UPDATE CASCADE).  N-V-R.A is unique per
-- external repo among non-draft rpms.  payloadhash is the header SIGMD5 (hex);
-- size is the file size; buildtime is epoch seconds.
CREATE TABLE rpminfo (
    id                  SERIAL NOT NULL PRIMARY KEY,
    build_id            INTEGER,
    buildroot_id        INTEGER REFERENCES buildroot (id),
    name                TEXT NOT NULL,
    version             TEXT NOT NULL,
    release             TEXT NOT NULL,
    epoch               INTEGER,
    arch                VARCHAR(16) NOT NULL,
    draft               BOOLEAN,
    external_repo_id    INTEGER NOT NULL REFERENCES external_repo(id),
    payloadhash         TEXT NOT NULL,
    size                BIGINT NOT NULL,
    buildtime           BIGINT NOT NULL,
    metadata_only       BOOLEAN NOT NULL DEFAULT FALSE,
    extra               TEXT,
    FOREIGN KEY (build_id, draft) REFERENCES build (id, draft) ON UPDATE CASCADE,
    CONSTRAINT build_id_draft_external_repo_id_sane CHECK (
        (draft IS NULL AND build_id IS NULL AND external_repo_id <> 0)
        OR (draft IS NOT NULL AND build_id IS NOT NULL AND external_repo_id = 0))
);
CREATE INDEX rpminfo_build ON rpminfo(build_id);
CREATE UNIQUE INDEX rpminfo_unique_nvra_not_draft
    ON rpminfo(name, version, release, arch, external_repo_id)
    WHERE draft IS NOT TRUE;
CREATE INDEX rpminfo_nvra ON rpminfo(name, version, release, arch, external_repo_id);
-- Lookup by file name (getRPM('n-v-r.a.rpm') style searches).  Koji picks the
-- INCLUDE form on PostgreSQL 11+; we require 11+ anyway.
CREATE INDEX rpminfo_filename
    ON rpminfo((name || '-' || version || '-' || release || '.' || arch || '.rpm'))
    INCLUDE (id);

-- Signatures imported for an rpm; sighash is the checksum of the signature
-- header.  One signature per (rpm, key).
CREATE TABLE rpmsigs (
    rpm_id  INTEGER NOT NULL REFERENCES rpminfo (id),
    sigkey  TEXT NOT NULL,
    sighash TEXT NOT NULL,
    CONSTRAINT rpmsigs_no_resign UNIQUE (rpm_id, sigkey)
);

-- Checksums of rpm files (per signature key; sigkey '' = unsigned copy).
-- checksum_type: 0 md5, 1 sha1, 2 sha256.
CREATE TABLE rpm_checksum (
    rpm_id          INTEGER NOT NULL REFERENCES rpminfo(id),
    sigkey          TEXT NOT NULL,
    checksum        TEXT NOT NULL UNIQUE,
    checksum_type   SMALLINT NOT NULL,
    PRIMARY KEY (rpm_id, sigkey, checksum_type)
);
CREATE INDEX rpm_checksum_rpm_id ON rpm_checksum(rpm_id);

-- Rpms installed in a buildroot (is_update: pulled in as an update).
CREATE TABLE buildroot_listing (
    buildroot_id    INTEGER NOT NULL REFERENCES buildroot(id),
    rpm_id          INTEGER NOT NULL REFERENCES rpminfo(id),
    is_update       BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (buildroot_id, rpm_id)
);
CREATE INDEX buildroot_listing_rpms ON buildroot_listing(rpm_id);


-- ===========================================================================
-- 12. Archives (non-rpm build output: maven, windows, images, logs by CGs)
-- ===========================================================================

-- Known archive file types, matched by extension (space separated list).
CREATE TABLE archivetypes (
    id                  SERIAL NOT NULL PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    description         TEXT NOT NULL,
    extensions          TEXT NOT NULL,
    compression_type    TEXT
);

-- One row per archive file of a build.  btype_id should become NOT NULL in
-- a later Koji; it is nullable in 1.36.  checksum_type as in rpm_checksum.
CREATE TABLE archiveinfo (
    id              SERIAL NOT NULL PRIMARY KEY,
    type_id         INTEGER NOT NULL REFERENCES archivetypes (id),
    btype_id        INTEGER REFERENCES btype(id),
    build_id        INTEGER NOT NULL REFERENCES build (id),
    buildroot_id    INTEGER REFERENCES buildroot (id),
    filename        TEXT NOT NULL,
    size            BIGINT NOT NULL,
    checksum        TEXT NOT NULL,
    checksum_type   INTEGER NOT NULL,
    metadata_only   BOOLEAN NOT NULL DEFAULT FALSE,
    extra           TEXT
);
CREATE INDEX archiveinfo_build_idx ON archiveinfo (build_id);
CREATE INDEX archiveinfo_buildroot_idx ON archiveinfo (buildroot_id);
CREATE INDEX archiveinfo_type_idx ON archiveinfo (type_id);
CREATE INDEX archiveinfo_filename_idx ON archiveinfo(filename);

-- Type-specific archive details.
CREATE TABLE maven_archives (
    archive_id  INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    group_id    TEXT NOT NULL,
    artifact_id TEXT NOT NULL,
    version     TEXT NOT NULL
);

CREATE TABLE image_archives (
    archive_id  INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    arch        VARCHAR(16) NOT NULL
);

CREATE TABLE win_archives (
    archive_id  INTEGER NOT NULL PRIMARY KEY REFERENCES archiveinfo(id),
    relpath     TEXT NOT NULL,
    platforms   TEXT NOT NULL,
    flags       TEXT
);

-- Rpms contained in an image or other archive.
CREATE TABLE archive_rpm_components (
    archive_id  INTEGER NOT NULL REFERENCES archiveinfo(id),
    rpm_id      INTEGER NOT NULL REFERENCES rpminfo(id),
    UNIQUE (archive_id, rpm_id)
);
CREATE INDEX rpm_components_idx ON archive_rpm_components(rpm_id);

-- Archives contained in another archive.
CREATE TABLE archive_components (
    archive_id      INTEGER NOT NULL REFERENCES archiveinfo(id),
    component_id    INTEGER NOT NULL REFERENCES archiveinfo(id),
    UNIQUE (archive_id, component_id)
);
CREATE INDEX archive_components_idx ON archive_components(component_id);

-- Archives present in a buildroot (project_dep: a direct dependency of the
-- project rather than of the build tooling).
CREATE TABLE buildroot_archives (
    buildroot_id    INTEGER NOT NULL REFERENCES buildroot (id),
    archive_id      INTEGER NOT NULL REFERENCES archiveinfo (id),
    project_dep     BOOLEAN NOT NULL,
    PRIMARY KEY (buildroot_id, archive_id)
);
CREATE INDEX buildroot_archives_archive_idx ON buildroot_archives (archive_id);


-- ===========================================================================
-- 13. Build notifications (email subscriptions and opt-outs)
-- ===========================================================================

-- NULL package_id / tag_id means "any".
CREATE TABLE build_notifications (
    id          SERIAL NOT NULL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    package_id  INTEGER REFERENCES package (id),
    tag_id      INTEGER REFERENCES tag (id),
    success_only BOOLEAN NOT NULL DEFAULT FALSE,
    email       TEXT NOT NULL
);

CREATE TABLE build_notifications_block (
    id          SERIAL NOT NULL PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    package_id  INTEGER REFERENCES package (id),
    tag_id      INTEGER REFERENCES tag (id)
);


-- ===========================================================================
-- 14. Hub task scheduler (1.34+) and named locks
-- ===========================================================================

-- Assignment history.  A run is made when the scheduler assigns a task to a
-- host (older runs of the task are deactivated); create_time is the
-- assignment time that AssignTimeout is measured from.
CREATE TABLE scheduler_task_runs (
    id          SERIAL NOT NULL PRIMARY KEY,
    task_id     INTEGER REFERENCES task (id) NOT NULL,
    host_id     INTEGER REFERENCES host (id) NOT NULL,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    create_time TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
CREATE INDEX scheduler_task_runs_task ON scheduler_task_runs(task_id);
CREATE INDEX scheduler_task_runs_host ON scheduler_task_runs(host_id);
CREATE INDEX scheduler_task_runs_create_time ON scheduler_task_runs(create_time);

-- What each builder last reported about itself ({"methods": [...], "maxjobs": N}).
CREATE TABLE scheduler_host_data (
    host_id INTEGER REFERENCES host (id) PRIMARY KEY,
    data    JSONB
);

-- Scheduler bookkeeping by name (Koji uses only 'last_run_ts').
CREATE TABLE scheduler_sys_data (
    name    TEXT NOT NULL PRIMARY KEY,
    data    JSONB
);

-- Hosts that must not (soft = FALSE) or should not for a while (soft = TRUE)
-- be given a task.  Written as an upsert on (task_id, host_id).  by_host:
-- refused by the builder itself rather than decided by the hub.
CREATE TABLE scheduler_task_refusals (
    id      SERIAL NOT NULL PRIMARY KEY,
    task_id INTEGER REFERENCES task (id) NOT NULL,
    host_id INTEGER REFERENCES host (id) NOT NULL,
    by_host BOOLEAN NOT NULL,
    soft    BOOLEAN NOT NULL DEFAULT FALSE,
    msg     TEXT,
    time    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (task_id, host_id)
);

-- Scheduler decisions log (assignments, refusals, timeouts, hosts marked
-- not ready), shown by `koji scheduler-logs`.
CREATE TABLE scheduler_log_messages (
    id          SERIAL NOT NULL PRIMARY KEY,
    task_id     INTEGER REFERENCES task (id),
    host_id     INTEGER REFERENCES host (id),
    msg_time    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    msg         TEXT NOT NULL
);

-- Named cross-process locks: a lock is taken with
--   SELECT name FROM locks WHERE name = $1 FOR UPDATE [SKIP LOCKED]
-- and released at transaction end.  Rows (scheduler, repo-queue,
-- protonmsg-plugin) are seeded in 0002_seed.sql; a lock must exist to be taken.
CREATE TABLE locks (
    name    TEXT NOT NULL PRIMARY KEY
);


-- ===========================================================================
-- 15. Plugin tables
-- ===========================================================================

-- Outgoing message queue of the protonmsg hub plugin (kept for compatibility
-- with databases shared with a Koji hub running that plugin).
CREATE TABLE proton_queue (
    id          SERIAL PRIMARY KEY,
    created_ts  TIMESTAMPTZ DEFAULT NOW(),
    address     TEXT NOT NULL,
    props       JSON NOT NULL,
    body        JSON NOT NULL
);


-- ===========================================================================
-- 16. Privileges Koji grants
-- ===========================================================================

-- Koji lets any role read the main catalogue tables.
GRANT SELECT ON build, package, task, tag,
    tag_listing, tag_config, tag_inheritance, tag_packages,
    rpminfo TO PUBLIC;


-- ===========================================================================
-- 17. koji-rs additions (not in Koji's schema)
--
-- Plain secondary indexes only: they change no behaviour and can be created
-- on (or dropped from) a Koji-made database at any time.  Each serves a
-- filter of listTasks / listBuilds / listHosts or a scheduler query that
-- otherwise scans the table.
-- ===========================================================================

-- listTasks(opts={'owner': ...}), `koji list-tasks --mine`
CREATE INDEX kojirs_task_by_owner ON task (owner);
-- listTasks(opts={'channel_id': ...}); channel removal checks
CREATE INDEX kojirs_task_by_channel ON task (channel_id);
-- listTasks createdBefore/After; web "recent tasks"
CREATE INDEX kojirs_task_by_create_time ON task (create_time);

-- listBuilds(userID=...)
CREATE INDEX kojirs_build_by_owner ON build (owner);
-- listBuilds(taskID=...), getBuild by task, build lookups in taskinfo
CREATE INDEX kojirs_build_by_task ON build (task_id);
-- listBuilds(state=..., createdAfter=...): ordered scans of recent builds per state
CREATE INDEX kojirs_build_by_state_event ON build (state, create_event);

-- listHosts(channelID=...): current subscriptions of a channel
CREATE INDEX kojirs_host_channels_by_channel ON host_channels (channel_id)
    WHERE active IS NOT NULL;

-- scheduler: active runs are read on every pass (Koji scans them)
CREATE INDEX kojirs_scheduler_task_runs_active ON scheduler_task_runs (task_id)
    WHERE active;

-- listBuildroots(taskID=...), getBuildroot lookups from taskinfo
CREATE INDEX kojirs_standard_buildroot_by_task ON standard_buildroot (task_id);
