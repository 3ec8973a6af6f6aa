//! One spec per versioned table: its own columns, the joins that name what its ids refer to, and which
//! `queryHistory` keyword filters it and how. The field names are those Koji's `query_history` returns (the CLI's
//! `list-history` formats lines from them, e.g. `%(host.name)s`, `%(permission.name)s`).

/// A table-specific `queryHistory` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Tag,
    Build,
    Host,
    Channel,
    Package,
    User,
    Permission,
    Cg,
    ExternalRepo,
    BuildTarget,
    Group,
    Xkey,
}

impl Key {
    pub const ALL: [Key; 12] = [
        Key::Tag,
        Key::Build,
        Key::Host,
        Key::Channel,
        Key::Package,
        Key::User,
        Key::Permission,
        Key::Cg,
        Key::ExternalRepo,
        Key::BuildTarget,
        Key::Group,
        Key::Xkey,
    ];

    /// The keyword as clients send it.
    pub fn name(self) -> &'static str {
        match self {
            Key::Tag => "tag",
            Key::Build => "build",
            Key::Host => "host",
            Key::Channel => "channel",
            Key::Package => "package",
            Key::User => "user",
            Key::Permission => "permission",
            Key::Cg => "cg",
            Key::ExternalRepo => "external_repo",
            Key::BuildTarget => "build_target",
            Key::Group => "group",
            Key::Xkey => "xkey",
        }
    }
}

/// What a filter compares with: the id the keyword's value names, or the value itself as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operand {
    Id,
    Text,
}

/// A condition a keyword adds; `$?` stands for the operand.
pub struct Filter {
    pub key: Key,
    pub operand: Operand,
    pub condition: &'static str,
}

const fn by_id(key: Key, condition: &'static str) -> Filter {
    Filter { key, operand: Operand::Id, condition }
}

const fn by_text(key: Key, condition: &'static str) -> Filter {
    Filter { key, operand: Operand::Text, condition }
}

/// A join from the versioned table (`{t}`) to a referenced row, and the fields (alias, expression) it adds.
pub struct Join {
    pub sql: &'static str,
    pub fields: &'static [(&'static str, &'static str)],
}

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub joins: &'static [Join],
    pub filters: &'static [Filter],
}

const USER: Join = Join { sql: "LEFT JOIN users ON users.id = {t}.user_id", fields: &[("user.name", "users.name")] };
const USER_GROUP: Join = Join {
    sql: "LEFT JOIN users AS usergroup ON usergroup.id = {t}.group_id",
    fields: &[("group.name", "usergroup.name")],
};
const PERMISSION: Join = Join {
    sql: "LEFT JOIN permissions AS permission ON permission.id = {t}.perm_id",
    fields: &[("permission.name", "permission.name")],
};
const CG: Join = Join {
    sql: "LEFT JOIN content_generator ON content_generator.id = {t}.cg_id",
    fields: &[("content_generator.name", "content_generator.name")],
};
const TAG: Join = Join { sql: "LEFT JOIN tag ON tag.id = {t}.tag_id", fields: &[("tag.name", "tag.name")] };
const PARENT: Join =
    Join { sql: "LEFT JOIN tag AS parent ON parent.id = {t}.parent_id", fields: &[("parent.name", "parent.name")] };
const BUILD_TARGET: Join = Join {
    sql: "LEFT JOIN build_target ON build_target.id = {t}.build_target_id",
    fields: &[("build_target.name", "build_target.name")],
};
const BUILD_TAG: Join = Join {
    sql: "LEFT JOIN tag AS build_tag ON build_tag.id = {t}.build_tag",
    fields: &[("build_tag.name", "build_tag.name")],
};
const DEST_TAG: Join = Join {
    sql: "LEFT JOIN tag AS dest_tag ON dest_tag.id = {t}.dest_tag",
    fields: &[("dest_tag.name", "dest_tag.name")],
};
const EXTERNAL_REPO: Join = Join {
    sql: "LEFT JOIN external_repo ON external_repo.id = {t}.external_repo_id",
    fields: &[("external_repo.name", "external_repo.name")],
};
const HOST: Join = Join { sql: "LEFT JOIN host ON host.id = {t}.host_id", fields: &[("host.name", "host.name")] };
const CHANNEL: Join =
    Join { sql: "LEFT JOIN channels ON channels.id = {t}.channel_id", fields: &[("channels.name", "channels.name")] };
/// A tagged build shows as its NVR parts (the CLI prints `%(name)s-%(version)s-%(release)s`).
const BUILD: Join = Join {
    sql: "LEFT JOIN build ON build.id = {t}.build_id LEFT JOIN package ON package.id = build.pkg_id",
    fields: &[
        ("name", "package.name"),
        ("version", "build.version"),
        ("release", "build.release"),
        ("epoch", "build.epoch"),
        ("build.state", "build.state"),
    ],
};
const PACKAGE: Join =
    Join { sql: "LEFT JOIN package ON package.id = {t}.package_id", fields: &[("package.name", "package.name")] };
const OWNER: Join =
    Join { sql: "LEFT JOIN users AS owner ON owner.id = {t}.owner", fields: &[("owner.name", "owner.name")] };
const GROUP: Join =
    Join { sql: "LEFT JOIN groups ON groups.id = {t}.group_id", fields: &[("group.name", "groups.name")] };
const REQ: Join = Join { sql: "LEFT JOIN groups AS req ON req.id = {t}.req_id", fields: &[("req.name", "req.name")] };

const TAG_ID: Filter = by_id(Key::Tag, "tag.id = $?");
const PACKAGE_ID: Filter = by_id(Key::Package, "package.id = $?");
const EXTERNAL_REPO_ID: Filter = by_id(Key::ExternalRepo, "external_repo.id = $?");
const HOST_ID: Filter = by_id(Key::Host, "host.id = $?");

/// Every table `queryHistory` reads, in Koji's (alphabetical) order.
///
/// The filters follow Koji's `query_history` exactly, including where it compares the last join of a kind:
/// `user` on `user_groups` matches the group, `tag` on `build_target_config` the destination tag, and `group` on
/// `group_req_listing` the required group.
pub const TABLES: &[Table] = &[
    Table {
        name: "build_target_config",
        columns: &["build_target_id", "build_tag", "dest_tag"],
        joins: &[BUILD_TARGET, BUILD_TAG, DEST_TAG],
        filters: &[by_id(Key::BuildTarget, "build_target.id = $?"), by_id(Key::Tag, "dest_tag.id = $?")],
    },
    Table {
        name: "cg_users",
        columns: &["user_id", "cg_id"],
        joins: &[USER, CG],
        filters: &[by_id(Key::User, "users.id = $?"), by_id(Key::Cg, "content_generator.id = $?")],
    },
    Table {
        name: "external_repo_config",
        columns: &["external_repo_id", "url"],
        joins: &[EXTERNAL_REPO],
        filters: &[EXTERNAL_REPO_ID],
    },
    Table {
        name: "external_repo_data",
        columns: &["external_repo_id", "data"],
        joins: &[EXTERNAL_REPO],
        filters: &[EXTERNAL_REPO_ID],
    },
    Table {
        name: "group_config",
        columns: &[
            "group_id",
            "tag_id",
            "blocked",
            "exported",
            "display_name",
            "is_default",
            "uservisible",
            "description",
            "langonly",
            "biarchonly",
        ],
        joins: &[GROUP, TAG],
        filters: &[by_id(Key::Group, "groups.id = $?"), TAG_ID],
    },
    Table {
        name: "group_package_listing",
        columns: &["group_id", "tag_id", "package", "blocked", "type", "basearchonly", "requires"],
        joins: &[GROUP, TAG],
        filters: &[
            by_id(Key::Group, "groups.id = $?"),
            TAG_ID,
            by_text(Key::Package, "group_package_listing.package = $?"),
        ],
    },
    Table {
        name: "group_req_listing",
        columns: &["group_id", "tag_id", "req_id", "blocked", "type", "is_metapkg"],
        joins: &[GROUP, TAG, REQ],
        filters: &[by_id(Key::Group, "req.id = $?"), TAG_ID],
    },
    Table {
        name: "host_channels",
        columns: &["host_id", "channel_id"],
        joins: &[HOST, CHANNEL],
        filters: &[HOST_ID, by_id(Key::Channel, "channels.id = $?")],
    },
    Table {
        name: "host_config",
        columns: &["host_id", "arches", "capacity", "description", "comment", "enabled"],
        joins: &[HOST],
        filters: &[HOST_ID],
    },
    Table {
        name: "tag_config",
        columns: &["tag_id", "arches", "perm_id", "locked", "maven_support", "maven_include_all"],
        joins: &[TAG, PERMISSION],
        filters: &[TAG_ID, by_id(Key::Permission, "permission.id = $?")],
    },
    Table {
        name: "tag_external_repos",
        columns: &["tag_id", "external_repo_id", "priority", "merge_mode", "arches"],
        joins: &[TAG, EXTERNAL_REPO],
        filters: &[TAG_ID, EXTERNAL_REPO_ID],
    },
    Table {
        name: "tag_extra",
        columns: &["tag_id", "key", "value"],
        joins: &[TAG],
        filters: &[TAG_ID, by_text(Key::Xkey, "tag_extra.key = $?")],
    },
    Table {
        name: "tag_inheritance",
        columns: &["tag_id", "parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter"],
        joins: &[TAG, PARENT],
        filters: &[by_id(Key::Tag, "tag_inheritance.tag_id = $? OR tag_inheritance.parent_id = $?")],
    },
    Table {
        name: "tag_listing",
        columns: &["build_id", "tag_id"],
        joins: &[BUILD, TAG],
        filters: &[by_id(Key::Build, "build.id = $?"), PACKAGE_ID, TAG_ID],
    },
    Table {
        name: "tag_package_owners",
        columns: &["package_id", "tag_id", "owner"],
        joins: &[PACKAGE, TAG, OWNER],
        filters: &[PACKAGE_ID, TAG_ID, by_id(Key::User, "owner.id = $?")],
    },
    Table {
        name: "tag_packages",
        columns: &["package_id", "tag_id", "blocked", "extra_arches"],
        joins: &[PACKAGE, TAG],
        filters: &[PACKAGE_ID, TAG_ID],
    },
    Table {
        name: "user_groups",
        columns: &["user_id", "group_id"],
        joins: &[USER, USER_GROUP],
        filters: &[by_id(Key::User, "usergroup.id = $?")],
    },
    Table {
        name: "user_perms",
        columns: &["user_id", "perm_id"],
        joins: &[USER, PERMISSION],
        filters: &[by_id(Key::User, "users.id = $?"), by_id(Key::Permission, "permission.id = $?")],
    },
];

pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

impl Table {
    pub fn filter(&self, key: Key) -> Option<&'static Filter> {
        self.filters.iter().find(|f| f.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique() {
        let names: Vec<&str> = TABLES.iter().map(|t| t.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names, sorted);
    }

    #[test]
    fn every_filter_compares_a_joined_or_own_column() {
        for t in TABLES {
            for f in t.filters {
                let target = f.condition.split(' ').next().unwrap();
                let (qualifier, column) = target.split_once('.').unwrap();
                let joined = t.joins.iter().any(|j| j.sql.contains(&format!(" {qualifier} ON ")));
                assert!(
                    joined || (qualifier == t.name && t.columns.contains(&column)),
                    "{}: {:?} compares {target}",
                    t.name,
                    f.key
                );
            }
        }
    }
}
