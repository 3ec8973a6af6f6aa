//! Issue 4 (tags, inheritance, targets, package lists) with the stock koji 1.36.1 CLI against a real hub.

mod support;

use support::cli::KojiCli;
use support::fleet::setup_with_cli;
use support::pg::DbInfo;

fn tag_id(db: &DbInfo, name: &str) -> String {
    db.psql(&format!("SELECT id FROM tag WHERE name = '{name}'")).trim().to_owned()
}

/// The tree the inheritance tests walk (child -> parent, priority, flags):
///
/// ```text
/// f40-build -> f40-updates (0), tools (5, maxdepth 0), extras (20, intransitive)
/// f40-updates -> f40 (0), extras (10, noconfig, pkg_filter ^(foo|bar)), legacy (30, intransitive)
/// f40 -> base (0)        tools -> base (0)        extras -> misc (0), base (5)
/// ```
fn build_tree(admin: &KojiCli) {
    for tag in ["base", "misc", "legacy"] {
        admin.ok(&["add-tag", tag]);
    }
    admin.ok(&["add-tag", "f40", "--parent", "base"]);
    admin.ok(&["add-tag", "tools", "--parent", "base"]);
    admin.ok(&["add-tag", "extras", "--parent", "misc"]);
    admin.ok(&["add-tag-inheritance", "extras", "base", "--priority", "5"]);
    admin.ok(&["add-tag", "f40-updates", "--parent", "f40"]);
    admin.ok(&[
        "add-tag-inheritance",
        "f40-updates",
        "extras",
        "--priority",
        "10",
        "--noconfig",
        "--pkg-filter",
        "^(foo|bar)",
    ]);
    admin.ok(&["add-tag-inheritance", "f40-updates", "legacy", "--priority", "30", "--intransitive"]);
    admin.ok(&["add-tag", "f40-build", "--parent", "f40-updates", "--arches", "x86_64 aarch64"]);
    admin.ok(&["add-tag-inheritance", "f40-build", "tools", "--priority", "5", "--maxdepth", "0"]);
    admin.ok(&["add-tag-inheritance", "f40-build", "extras", "--priority", "20", "--intransitive"]);
}

/// Lines of `out`, without trailing blanks.
fn lines(out: &str) -> Vec<&str> {
    out.lines().map(str::trim_end).collect()
}

#[test]
fn inheritance_walk_matches_koji() {
    let (db, hub, admin) = setup_with_cli(&[]);
    build_tree(&admin);
    let anon = KojiCli::anon(&hub);
    // What Koji's own readFullInheritance and the CLI's tree printer give for this tree (checked against Koji's
    // code run on the same links).
    let walked = [
        "     f40-build (8)",
        "....  ├─f40-updates (7)",
        "....  │  ├─f40 (4)",
        "....  │  │  └─base (1)",
        ".F.N  │  └─extras (6)",
        "....  │     ├─misc (2)",
        "M...  ├─tools (5)",
        "..I.  └─extras (6)",
        "....  │  └─misc (2)",
    ];
    assert_eq!(lines(&anon.ok(&["list-tag-inheritance", "f40-build"])), walked);
    assert_eq!(
        lines(&anon.ok(&["list-tag-inheritance", "--reverse", "base"])),
        [
            "     base (1)",
            "....  ├─f40 (4)",
            "....  │  └─f40-updates (7)",
            "....  │     └─f40-build (8)",
            "....  ├─tools (5)",
            "....  └─extras (6)",
        ]
    );
    // The fields behind the drawing: depths, the accumulated filter, maxdepth propagation.
    let script = r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
for l in s.getFullInheritance('f40-build'):
    print(l['child_id'], l['parent_id'], l['currdepth'], l['nextdepth'], l['filter'], l['noconfig'])
print(sorted(s.getFullInheritance('base', reverse=True)[0]))
"#;
    assert_eq!(
        lines(&anon.python(script).assert_success().stdout),
        [
            "8 7 1 None [] False",
            "7 4 2 None [] False",
            "4 1 3 None [] False",
            "7 6 2 None ['^(foo|bar)'] True",
            "6 2 3 None ['^(foo|bar)'] False",
            "8 5 1 0 [] False",
            "8 6 1 None [] False",
            "6 2 2 None [] False",
            "['currdepth', 'filter', 'intransitive', 'maxdepth', 'name', 'nextdepth', 'noconfig', 'parent_id', \
             'pkg_filter', 'priority', 'tag_id']",
        ]
    );
    let out = anon.ok(&["taginfo", "f40-updates"]);
    let inheritance: Vec<&str> = lines(&out).into_iter().skip_while(|l| *l != "Inheritance:").collect();
    assert_eq!(
        inheritance,
        [
            "Inheritance:",
            "  0    .... f40 [4]",
            "  10   .F.N extras [6]",
            "    package filter: ^(foo|bar)",
            "  30   ..I. legacy [3]",
        ]
    );

    // A loop is refused whole: nothing changes.
    let links = "SELECT count(*), max(create_event) FROM tag_inheritance";
    let before = db.psql(links);
    let err = admin.fails(&["add-tag-inheritance", "base", "f40-build"]);
    assert!(
        err.contains(
            "GenericError: Inheritance loop: tag base cannot inherit from f40-build, which inherits from base"
        ),
        "{err}"
    );
    let err = admin.fails(&["add-tag-inheritance", "misc", "misc"]);
    assert!(err.contains("Inheritance loop: tag misc cannot inherit from itself"), "{err}");
    let dup = r#"[{"parent_id": 1, "priority": 0, "maxdepth": null, "intransitive": false, "noconfig": false, "pkg_filter": ""}]"#;
    let err = admin.fails(&["call", "--json-input", "setInheritanceData", "\"f40-build\"", dup]);
    assert!(
        err.contains("Multiple parent tags ([7, 1]) cannot have the same priority value (0) on child tag 8"),
        "{err}"
    );
    let err = admin.fails(&["add-tag-inheritance", "f40-build", "nosuch"]);
    assert!(err.contains("No such tag: nosuch"), "{err}");
    let err = admin.fails(&["call", "getInheritanceData", "nosuch"]);
    assert!(err.contains("GenericError: No such entry in table tag: nosuch"), "{err}");
    assert_eq!(db.psql(links), before);

    // Edits and removals are new versions; the old inheritance stays readable at its event.
    let event = db.last_event().to_string();
    admin.ok(&["edit-tag-inheritance", "f40-build", "tools", "--priority", "7", "--maxdepth", "None"]);
    admin.ok(&["edit-tag-inheritance", "f40-updates", "extras", "--pkg-filter", "^foo"]);
    admin.ok(&["remove-tag-inheritance", "f40-updates", "legacy"]);
    let out = anon.ok(&["taginfo", "f40-build"]);
    assert!(out.contains("\n  7    .... tools [5]\n"), "{out}");
    let out = anon.ok(&["list-tag-inheritance", "--event", &event, "f40-build"]);
    let shown = lines(&out);
    assert!(shown[0].starts_with(&format!("Querying at event {event} (")), "{out}");
    assert_eq!(shown[1..], walked);
    let script = format!(
        r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
for event in ({event}, None):
    print([(l['name'], l['priority'], l['pkg_filter']) for l in s.getInheritanceData('f40-updates', event=event)])
"#
    );
    assert_eq!(
        lines(&anon.python(&script).assert_success().stdout),
        [
            "[('f40', 0, ''), ('extras', 10, '^(foo|bar)'), ('legacy', 30, '')]",
            "[('f40', 0, ''), ('extras', 10, '^foo')]",
        ]
    );
    let revoked = db.psql(&format!(
        "SELECT count(*) FROM tag_inheritance WHERE tag_id = {} AND parent_id = {} AND active IS NULL",
        tag_id(&db, "f40-updates"),
        tag_id(&db, "legacy")
    ));
    assert_eq!(revoked.trim(), "1");
}

#[test]
fn tags_create_edit_info_list_and_delete() {
    let (db, hub, admin) = setup_with_cli(&[]);
    let anon = KojiCli::anon(&hub);
    admin.ok(&[
        "add-tag",
        "f40",
        "--arches",
        "x86_64,aarch64",
        "-x",
        "mock.package_manager=dnf",
        "-x",
        "repo.auto=True",
    ]);
    admin.ok(&[
        "add-tag",
        "f40-build",
        "--parent",
        "f40",
        "-x",
        "mock.yum.module_hotfixes=1",
        "-x",
        "rpm.macro.dist=.fc40",
    ]);
    // Arches left unset (None, not Koji's default "") are inherited; a blocked key hides the parent's value.
    admin.ok(&["call", "editTag2", "f40-build", "arches=None"]);
    admin.ok(&["edit-tag", "f40-build", "-b", "repo.auto"]);
    // Comps groups, a repo and an external repo, as the repo and comps code will write them.
    db.psql(&format!(
        "INSERT INTO groups (name) VALUES ('build'), ('srpm-build');
         INSERT INTO group_config (group_id, tag_id, display_name, creator_id)
             SELECT id, {f40}, name, 1 FROM groups;
         INSERT INTO group_config (group_id, tag_id, display_name, blocked, creator_id)
             SELECT id, {build}, name, TRUE, 1 FROM groups WHERE name = 'srpm-build';
         INSERT INTO repo (tag_id, state, creation_time) VALUES ({f40}, 1, '2026-01-02 03:04:05+00');
         INSERT INTO external_repo (name) VALUES ('epel');
         INSERT INTO external_repo_config (external_repo_id, url, creator_id)
             SELECT id, 'https://epel.example/', 1 FROM external_repo WHERE name = 'epel';
         INSERT INTO tag_external_repos (tag_id, external_repo_id, priority, creator_id)
             SELECT {f40}, id, 5, 1 FROM external_repo WHERE name = 'epel';",
        f40 = tag_id(&db, "f40"),
        build = tag_id(&db, "f40-build")
    ));
    assert_eq!(
        lines(&anon.ok(&["taginfo", "f40"])),
        [
            "Tag: f40 [1]",
            "Arches: x86_64 aarch64",
            "Groups: build, srpm-build",
            "Tag options:",
            "  mock.package_manager : 'dnf'",
            "  repo.auto : True",
            "Current repo: repo#1: 2026-01-02 03:04:05+00:00",
            "External repos:",
            "    5 epel (https://epel.example/, merge mode: koji), arches: inherited from tag",
            "Inheritance:",
        ]
    );
    let inherited = |line: &str| format!("{line:<30} [f40]");
    assert_eq!(
        lines(&anon.ok(&["taginfo", "f40-build"])),
        [
            "Tag: f40-build [2]".to_owned(),
            "Arches: x86_64 aarch64".into(),
            "Groups: build".into(),
            "Tag options:".into(),
            inherited("  mock.package_manager : 'dnf'"),
            "  mock.yum.module_hotfixes : 1".into(),
            "  rpm.macro.dist : '.fc40'".into(),
            "Current repo: no active repo".into(),
            "Inheritance:".into(),
            "  0    .... f40 [1]".into(),
        ]
    );
    let err = anon.fails(&["taginfo", "nosuch"]);
    assert!(err.contains("No such tagInfo: 'nosuch'"), "{err}");

    // Settings are versioned: the old arches stay readable at their event.
    let event = db.last_event().to_string();
    admin.ok(&["edit-tag", "f40", "--arches", "x86_64 ppc64le", "--lock", "--perm", "admin", "-r", "repo.auto"]);
    admin.ok(&["edit-tag", "f40", "-x", "repo.auto=false", "-x", "extra.list=[1, \"a\"]"]);
    let script = format!(
        r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
for event in ({event}, None):
    t = s.getTag('f40', event=event)
    print(t['arches'], t['locked'], t['perm'], sorted(t['extra'].items()), t.get('query_event'))
print(s.getTag('f40-build', blocked=True)['extra']['repo.auto'])
inherited = s.getBuildConfig('f40-build')['config_inheritance']
print(inherited['arches'], sorted((k, v['name']) for k, v in inherited['extra'].items()))
print(s.tagLastChangeEvent('f40-build') == s.getLastEvent()['id'], s.tagLastChangeEvent('f40-build', before={event} + 1))
"#
    );
    assert_eq!(
        lines(&anon.python(&script).assert_success().stdout),
        [
            format!("x86_64 aarch64 False None [('mock.package_manager', 'dnf'), ('repo.auto', True)] {event}"),
            "x86_64 ppc64le True admin [('extra.list', [1, 'a']), ('mock.package_manager', 'dnf'), ('repo.auto', False)] \
             None"
                .to_owned(),
            "[True, None]".into(),
            // The tag's own block of repo.auto stops that key from being inherited.
            "{'id': 1, 'name': 'f40'} [('extra.list', 'f40'), ('mock.package_manager', 'f40')]".into(),
            format!("True {event}"),
        ]
    );
    let out = anon.ok(&["taginfo", "f40"]);
    assert!(out.contains("\nLOCKED\nRequired permission: 'admin'\n"), "{out}");
    assert_eq!(lines(&anon.ok(&["list-tags", "--verbose"])), ["f40 [LOCKED] [admin perm required]", "f40-build"]);
    assert_eq!(lines(&anon.ok(&["list-tags", "--unlocked", "--show-id", "*-build"])), ["f40-build [2]"]);

    // Refused edits change nothing.
    let config = "SELECT count(*), max(create_event) FROM tag_config";
    let before = db.psql(config);
    for (args, expected) in [
        (vec!["add-tag", "f40"], "GenericError: A tag with the name 'f40' already exists"),
        (vec!["add-tag", "bad name"], "Name bad name does not match RegexNameInternal value"),
        (vec!["add-tag", "x", "--parent", "nosuch"], "Parent tag 'nosuch' could not be found"),
        (vec!["add-tag", "x", "--maven-support"], "Maven support not enabled"),
        (vec!["add-tag", "x", "--arches", "x86_64;rm"], "Architecture can be only [a-zA-Z0-9_-]"),
        (vec!["edit-tag", "nosuch", "--lock"], "No such tagInfo: 'nosuch'"),
        (vec!["edit-tag", "f40", "--perm", "nosuch"], "No such entry in table permissions: nosuch"),
        (vec!["edit-tag", "f40", "--rename", "f40-build"], "Name f40-build already taken by tag 2"),
        (vec!["edit-tag", "f40", "-r", "nosuch"], "Tag: f40 doesn't have extra: nosuch"),
        (
            vec!["edit-tag", "f40", "--unlock", "-x", "k=1", "-b", "k"],
            "Can not both add/update and remove tag-extra: 'k'",
        ),
    ] {
        let err = admin.fails(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(db.psql(config), before);
    assert_eq!(db.psql("SELECT count(*) FROM tag").trim(), "2");

    // Without the tag permission nothing is created; with it, it is.
    hub.create_user("bob", "bob-pw", false);
    let bob = KojiCli::password(&hub, "bob", "bob-pw");
    let err = bob.fails(&["add-tag", "bobs"]);
    assert!(err.contains("This action requires tag or admin privileges"), "{err}");
    let err = bob.fails(&["call", "createTag", "bobs"]);
    assert!(err.contains("ActionNotAllowed: tag permission required"), "{err}");
    let err = KojiCli::anon(&hub).fails(&["call", "editTag2", "f40", "locked=False"]);
    assert!(err.contains("ActionNotAllowed: you must be logged in for this operation"), "{err}");
    assert_eq!(db.psql("SELECT count(*) FROM tag").trim(), "2");
    admin.ok(&["grant-permission", "tag", "bob"]);
    bob.ok(&["add-tag", "bobs"]);
    bob.ok(&["edit-tag", "bobs", "--rename", "bobs-tag"]);

    // Deleting keeps the history: the deleted tag reads as it was ("auto"), and its deletion is its last change.
    bob.ok(&["remove-tag", "bobs-tag"]);
    assert_eq!(lines(&anon.ok(&["list-tags"])), ["f40", "f40-build"]);
    let script = r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
t = s.getTag('bobs-tag', event='auto')
print(s.getTag('bobs-tag'), t['name'], t['revoke_event'] == s.tagLastChangeEvent('bobs-tag') == s.getLastEvent()['id'])
"#;
    assert_eq!(anon.python(script).assert_success().stdout.trim(), "None bobs-tag True");
    admin.ok(&["add-tag", "bobs-tag"]);
    assert_eq!(db.psql("SELECT count(*) FROM tag WHERE name = 'bobs-tag'").trim(), "1");
}

#[test]
fn build_targets() {
    let (db, hub, admin) = setup_with_cli(&[]);
    let anon = KojiCli::anon(&hub);
    admin.ok(&["add-tag", "f40"]);
    admin.ok(&["add-tag", "f40-build", "--parent", "f40", "--arches", "x86_64"]);
    admin.ok(&["add-target", "f40-candidate", "f40-build", "f40"]);
    admin.ok(&["add-target", "f40", "f40-build"]);
    let all = [
        "Name                           Buildroot                      Destination",
        "---------------------------------------------------------------------------------------------",
        "f40                            f40-build                      f40",
        "f40-candidate                  f40-build                      f40",
    ];
    assert_eq!(lines(&anon.ok(&["list-targets"])), all);
    assert_eq!(lines(&anon.ok(&["list-targets", "--quiet", "--name", "f40"])), all[2..3]);
    let err = anon.fails(&["list-targets", "--name", "nosuch"]);
    assert!(err.contains("No such build target: nosuch"), "{err}");
    let out = anon.ok(&["taginfo", "f40", "f40-build"]);
    assert!(
        out.contains(
            "Targets that build into this tag:\n  f40-candidate (f40-build, no active repo)\n  f40 (f40-build, no active repo)\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "This tag is a buildroot for one or more targets\nCurrent repo: no active repo\n\
             Targets that build from this tag:\n  f40-candidate\n  f40\n"
        ),
        "{out}"
    );

    let configs = "SELECT count(*), max(create_event) FROM build_target_config";
    let before = db.psql(configs);
    admin.ok(&["add-tag", "noarch-build"]);
    for (args, expected) in [
        (vec!["add-target", "x", "noarch-build", "f40"], "Build tag has no arches: noarch-build"),
        (
            vec!["add-target", "f40-candidate", "f40-build", "f40"],
            "A build target with the name 'f40-candidate' already exists",
        ),
        (vec!["call", "createBuildTarget", "x", "nosuch", "f40"], "build tag 'nosuch' does not exist"),
        (vec!["call", "createBuildTarget", "x", "f40-build", "nosuch"], "destination tag 'nosuch' does not exist"),
        (vec!["call", "createBuildTarget", "bad name", "f40-build", "f40"], "does not match RegexNameInternal value"),
        (vec!["edit-target", "nosuch", "--rename", "x"], "No such build target: nosuch"),
        (vec!["edit-target", "f40-candidate", "--rename", "f40"], "name \"f40\" is already taken by build target 2"),
        (vec!["edit-target", "f40-candidate", "--dest-tag", "nosuch"], "No such destination tag: nosuch"),
        (vec!["remove-target", "nosuch"], "No such build target: nosuch"),
    ] {
        let err = admin.fails(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!(db.psql(configs), before);

    // Edits are versions: the target as it was stays readable at its event.
    let event = db.last_event().to_string();
    admin.ok(&["edit-target", "f40-candidate", "--rename", "f40-pending", "--dest-tag", "f40-build"]);
    let script = format!(
        r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
old = s.getBuildTargets(destTagID='f40', event={event})
print([(t['name'], t['build_tag_name'], t['dest_tag_name']) for t in old])
t = s.getBuildTarget('f40-pending', strict=True)
print(t['dest_tag_name'], t['dest_tag'] == t['build_tag'], s.getBuildTarget('f40-candidate'))
print([t['name'] for t in s.getBuildTargets(buildTagID='f40-build')], s.getBuildTargets(buildTagID='nosuch'))
try:
    s.getBuildTarget('nosuch', strict=True)
except koji.GenericError as e:
    print(e)
"#
    );
    assert_eq!(
        lines(&anon.python(&script).assert_success().stdout),
        [
            // Names are not versioned in Koji; the tags a target points at are.
            "[('f40-pending', 'f40-build', 'f40'), ('f40', 'f40-build', 'f40')]",
            "f40-build True None",
            "['f40-pending', 'f40'] []",
            "No such build target: nosuch",
        ]
    );

    // The target permission (or admin) is needed.
    hub.create_user("bob", "bob-pw", false);
    let bob = KojiCli::password(&hub, "bob", "bob-pw");
    let err = bob.fails(&["remove-target", "f40"]);
    assert!(err.contains("This action requires target or admin privileges"), "{err}");
    let err = bob.fails(&["call", "deleteBuildTarget", "f40"]);
    assert!(err.contains("ActionNotAllowed: target permission required"), "{err}");
    admin.ok(&["grant-permission", "target", "bob"]);
    bob.ok(&["remove-target", "f40"]);
    bob.ok(&["add-target", "f40", "f40-build"]);
    assert_eq!(db.psql("SELECT count(*) FROM build_target WHERE name = 'f40'").trim(), "1");
    // Deleting a tag ends the targets that use it.
    admin.ok(&["remove-tag", "f40-build"]);
    let err = anon.fails(&["list-targets"]);
    assert!(err.contains("No targets were found"), "{err}");
}

/// `list-pkgs` rows as the CLI formats them.
fn pkg_row(package: &str, tag: &str, arches: &str, owner: &str) -> String {
    format!("{package:<23} {tag:<23} {arches:<16} {owner:<15}").trim_end().to_owned()
}

fn blocked_row(package: &str, tag: &str, arches: &str, owner: &str) -> String {
    format!("{package:<23} {tag:<23} {arches:<16} {owner:<15} [BLOCKED]")
}

const PKG_HEADER: [&str; 2] = [
    "Package                 Tag                     Extra Arches     Owner",
    "----------------------- ----------------------- ---------------- ---------------",
];

#[test]
fn package_lists_through_inheritance() {
    let (db, hub, admin) = setup_with_cli(&[]);
    let anon = KojiCli::anon(&hub);
    hub.create_user("alice", "alice-pw", false);
    admin.ok(&["add-tag", "base"]);
    admin.ok(&["add-tag", "extras"]);
    admin.ok(&["add-tag", "f40", "--parent", "base"]);
    admin.ok(&["add-tag", "f40-updates", "--parent", "f40"]);
    admin.ok(&["add-tag-inheritance", "f40-updates", "extras", "--priority", "10", "--pkg-filter", "^(foo|bar)"]);
    admin.ok(&["add-tag", "f40-build", "--parent", "f40-updates"]);
    let out = admin.ok(&["add-pkg", "--owner", "alice", "base", "bash", "glibc", "kernel"]);
    assert_eq!(out.trim(), "Adding 3 packages to tag base");
    admin.ok(&["add-pkg", "--owner", "alice", "--extra-arches", "i686", "extras", "foo", "bar", "baz"]);
    admin.ok(&["add-pkg", "--owner", "kojiadmin", "f40", "kernel"]);
    let out = admin.ok(&["add-pkg", "--owner", "kojiadmin", "f40", "kernel"]);
    assert!(out.contains("Package kernel already exists in tag f40"), "{out}");

    // The nearest entry wins (kernel from f40 over base); extras gives only what its filter admits.
    let inherited = [
        pkg_row("kernel", "f40", "", "kojiadmin"),
        pkg_row("bash", "base", "", "alice"),
        pkg_row("glibc", "base", "", "alice"),
        pkg_row("foo", "extras", "i686", "alice"),
        pkg_row("bar", "extras", "i686", "alice"),
    ];
    let listed = anon.ok(&["list-pkgs", "--tag", "f40-build"]);
    assert_eq!(lines(&listed)[..2], PKG_HEADER);
    assert_eq!(lines(&listed)[2..], inherited);
    let event = db.last_event().to_string();

    // A block hides the package below it; unblocking the block's own tag removes the block.
    admin.ok(&["block-pkg", "f40-updates", "glibc"]);
    let out = anon.ok(&["list-pkgs", "--quiet", "--tag", "f40-build"]);
    assert!(!out.contains("glibc"), "{out}");
    let out = anon.ok(&["list-pkgs", "--quiet", "--tag", "f40-build", "--show-blocked"]);
    assert_eq!(lines(&out)[0], blocked_row("glibc", "f40-updates", "", "alice"));
    admin.ok(&["unblock-pkg", "f40-updates", "glibc"]);
    assert_eq!(lines(&anon.ok(&["list-pkgs", "--quiet", "--tag", "f40-build"])), inherited);
    // Unblocking a block inherited from another tag adds an unblocked entry of its own.
    admin.ok(&["block-pkg", "base", "bash"]);
    admin.ok(&["unblock-pkg", "f40-build", "bash"]);
    let out = anon.ok(&["list-pkgs", "--quiet", "--tag", "f40-build", "--noinherit"]);
    assert_eq!(lines(&out), [pkg_row("bash", "f40-build", "", "alice")]);
    let out = anon.ok(&["list-pkgs", "--quiet", "--tag", "f40", "--package", "bash", "--show-blocked"]);
    assert_eq!(lines(&out), [blocked_row("bash", "base", "", "alice")]);

    // Owners and extra arches; set-* need an entry (own or inherited).
    admin.ok(&["set-pkg-owner", "alice", "f40", "kernel"]);
    admin.ok(&["set-pkg-arches", "x86_64,ppc64le", "base", "glibc"]);
    let err = admin.fails(&["set-pkg-owner", "alice", "f40", "baz"]);
    assert!(err.contains("cannot update: tag f40 has no data for package baz"), "{err}");
    admin.ok(&["remove-pkg", "f40", "kernel"]);
    assert_eq!(
        lines(&anon.ok(&["list-pkgs", "--quiet", "--tag", "f40"])),
        [pkg_row("glibc", "base", "x86_64 ppc64le", "alice"), pkg_row("kernel", "base", "", "alice"),]
    );
    // What a parent already gives the same way is not added again.
    let own = "SELECT count(*) FROM tag_packages JOIN tag ON tag.id = tag_id JOIN package ON package.id = package_id \
               WHERE tag.name = 'f40-updates' AND package.name = 'kernel'";
    admin.ok(&["add-pkg", "--owner", "alice", "f40-updates", "kernel"]);
    assert_eq!(db.psql(own).trim(), "0");

    // By owner and by package: listings of every tag, without inheritance.
    let err = anon.fails(&["list-pkgs", "--owner", "kojiadmin"]);
    assert!(err.contains("(no matching packages)"), "{err}");
    let out = anon.ok(&["list-pkgs", "--quiet", "--owner", "alice", "--package", "bash", "--show-blocked"]);
    assert_eq!(lines(&out), [blocked_row("bash", "base", "", "alice"), pkg_row("bash", "f40-build", "", "alice")]);
    let out = anon.ok(&["list-pkgs", "--quiet", "--package", "glibc"]);
    assert_eq!(lines(&out), [pkg_row("glibc", "base", "x86_64 ppc64le", "alice")]);
    assert_eq!(lines(&anon.ok(&["list-pkgs"]))[2..], ["bash", "glibc", "kernel", "foo", "bar", "baz"]);
    assert_eq!(lines(&anon.ok(&["list-tags", "--package", "kernel"])), ["base"]);

    // The package list as it was at an earlier event, given by id or by time.
    let out = anon.ok(&["list-pkgs", "--tag", "f40-build", "--event", &event]);
    assert!(lines(&out)[0].starts_with(&format!("Querying at event {event} (")), "{out}");
    assert_eq!(lines(&out)[3..], inherited);
    let later =
        format!("{}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 60);
    let out = anon.ok(&["list-pkgs", "--quiet", "--tag", "f40-build", "--ts", &later]);
    assert!(lines(&out)[0].starts_with(&format!("Querying at event {} (", db.last_event())), "{out}");

    // The API's own options: duplicates, owners left out, counting, paging.
    let script = r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
dups = s.listPackages(tagID='f40-build', inherited=True, with_dups=True)
print([(p['package_name'], p['tag_name']) for p in dups])
print(sorted(s.listPackages(tagID='f40', inherited=True, with_owners=False)[0]))
print(s.listPackages(tagID='f40-build', inherited=True, queryOpts={'countOnly': True}),
      [p['package_name'] for p in s.listPackages(tagID='f40-build', inherited=True, queryOpts={'order': '-package_name', 'limit': 2})])
print([p['package_name'] for p in s.listPackages(tagID='f40-build', inherited=True, with_blocked=False, prefix='B')])
"#;
    let out = anon.python(script);
    assert_eq!(
        lines(&out.assert_success().stdout),
        [
            "[('bash', 'f40-build'), ('bash', 'base'), ('glibc', 'base'), ('kernel', 'base'), ('foo', 'extras'), \
             ('bar', 'extras')]",
            "['blocked', 'extra_arches', 'package_id', 'package_name', 'tag_id', 'tag_name']",
            "5 ['kernel', 'glibc']",
            "['bash', 'bar']",
        ]
    );
}

#[test]
fn package_list_permissions_locks_and_errors() {
    let (db, hub, admin) = setup_with_cli(&[]);
    hub.create_user("bob", "bob-pw", false);
    hub.create_user("eve", "eve-pw", false);
    admin.ok(&["grant-permission", "tag", "bob"]);
    let bob = KojiCli::password(&hub, "bob", "bob-pw");
    let eve = KojiCli::password(&hub, "eve", "eve-pw");
    admin.ok(&["add-tag", "base"]);
    admin.ok(&["add-tag", "f40", "--parent", "base"]);
    bob.ok(&["add-pkg", "--owner", "bob", "base", "bash"]);

    let listings = "SELECT count(*), max(create_event) FROM tag_packages";
    let packages = "SELECT count(*) FROM package";
    let (before, pkgs_before) = (db.psql(listings), db.psql(packages));
    let policy = "ActionNotAllowed: policy violation (package_list): Only admin/tag can do this via default policy";
    for (cli, args, expected) in [
        (&eve, vec!["add-pkg", "--owner", "eve", "base", "newpkg"], policy),
        (&eve, vec!["block-pkg", "base", "bash"], policy),
        (&eve, vec!["remove-pkg", "base", "bash"], policy),
        (&admin, vec!["add-pkg", "--owner", "nosuch", "base", "newpkg"], "No such user: nosuch"),
        (&admin, vec!["add-pkg", "--owner", "bob", "nosuch", "newpkg"], "No such tag: nosuch"),
        (&admin, vec!["call", "packageListAdd", "nosuch", "bash", "owner=bob"], "No such tagInfo: 'nosuch'"),
        (&admin, vec!["call", "packageListAdd", "base", "newpkg"], "GenericError: owner not specified"),
        (&admin, vec!["call", "packageListAdd", "base", "12345", "owner=bob"], "No such package: 12345"),
        (
            &admin,
            vec!["call", "packageListAdd", "base", "newpkg", "owner=bob", "extra_arches=x86_64;"],
            "Architecture can be only",
        ),
        (&admin, vec!["call", "packageListBlock", "base", "nosuchpkg"], "No such entry in table package: nosuchpkg"),
        (&admin, vec!["block-pkg", "f40", "newpkg"], "Package newpkg doesn't exist in tag f40"),
        (&admin, vec!["unblock-pkg", "base", "bash"], "package bash NOT blocked in tag base"),
        (&admin, vec!["call", "packageListRemove", "base", "nosuchpkg"], "No such entry in table package: nosuchpkg"),
    ] {
        let err = cli.fails(&args);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    assert_eq!((db.psql(listings), db.psql(packages)), (before.clone(), pkgs_before));

    // A block in base: an unblocked entry may not simply be added below it without force.
    bob.ok(&["block-pkg", "base", "bash"]);
    let err = bob.fails(&["call", "packageListAdd", "f40", "bash", "owner=bob", "block=False"]);
    assert!(err.contains("package bash is blocked in tag f40"), "{err}");
    bob.ok(&["call", "packageListAdd", "f40", "bash", "owner=bob", "block=False", "force=True"]);
    bob.ok(&["unblock-pkg", "base", "bash"]);

    // A locked tag refuses changes to its list, even to admins unless they force it.
    admin.ok(&["edit-tag", "base", "--lock"]);
    let before = db.psql(listings);
    let err = bob.fails(&["add-pkg", "--owner", "bob", "base", "zsh"]);
    assert!(err.contains("ActionNotAllowed: tag is locked"), "{err}");
    let err = admin.fails(&["set-pkg-owner", "kojiadmin", "base", "bash"]);
    assert!(err.contains("ActionNotAllowed: tag is locked"), "{err}");
    let err = bob.fails(&["set-pkg-owner", "--force", "kojiadmin", "base", "bash"]);
    assert!(err.contains("ActionNotAllowed: tag is locked"), "{err}");
    assert_eq!(db.psql(listings), before);
    admin.ok(&["set-pkg-owner", "--force", "kojiadmin", "base", "bash"]);
    // A tag requiring a permission refuses users without it; admins hold every lock-tag permission they set.
    admin.ok(&["edit-tag", "base", "--unlock", "--perm", "admin"]);
    let before = db.psql(listings);
    let err = bob.fails(&["add-pkg", "--owner", "bob", "base", "zsh"]);
    assert!(err.contains("ActionNotAllowed: tag requires admin permission"), "{err}");
    assert_eq!(db.psql(listings), before);
    admin.ok(&["add-pkg", "--owner", "bob", "base", "zsh"]);
    admin.ok(&["edit-tag", "base", "--no-perm"]);
    bob.ok(&["remove-pkg", "base", "zsh"]);

    // Lookups, and the tags a build is tagged into (tag_listing, as tagging writes it).
    db.psql(
        "INSERT INTO build (pkg_id, volume_id, version, release, state, completion_time, owner)
             SELECT id, 0, '5.2', '1.fc40', 1, now(), 1 FROM package WHERE name = 'bash';
         INSERT INTO tag_listing (build_id, tag_id, creator_id) SELECT build.id, tag.id, 1 FROM build, tag;",
    );
    let script = r#"
import koji, os
s = koji.ClientSession(os.environ['KOJI_URL'])
print(s.getPackage('bash'), s.getPackage('nosuch'), s.getPackageID('bash'), s.getPackageID('nosuch'))
print([t['name'] for t in s.listTags(build='bash-5.2-1.fc40')], [t['name'] for t in s.listTags(build=1, pattern='f*')])
print(sorted(s.listTags(package='bash', perms=False)[0]))
for call in (lambda: s.getPackageID('nosuch', strict=True), lambda: s.listTags(build='bash-9-9'),
             lambda: s.listTags(build='nonvr'), lambda: s.listTags(build=1, package=1)):
    try:
        call()
    except koji.GenericError as e:
        print(e)
"#;
    assert_eq!(
        lines(&KojiCli::anon(&hub).python(script).assert_success().stdout),
        [
            "{'id': 1, 'name': 'bash'} None 1 None",
            "['base', 'f40'] ['f40']",
            "['arches', 'blocked', 'extra_arches', 'id', 'locked', 'maven_include_all', 'maven_support', 'name', \
             'owner_id', 'owner_name']",
            "No such package name: nosuch",
            "No such build: bash-9-9",
            "invalid format: nonvr",
            "only one of build and package may be specified",
        ]
    );
}
