-- koji-rs: notifications that drive the RepoManager (not part of Koji's schema; additive only).
--
-- Every write that can change what a tag's repo would contain notifies `koji_tag` with the tag id, and every
-- change of a repo request or a repo notifies `koji_repo`. PostgreSQL delivers notifications only after the
-- writing transaction commits and folds identical ones within a transaction, so a bulk tagging notifies each
-- tag once. Triggers rather than calls in the hub's code: every writer is covered, including a stock Koji hub
-- sharing the database and code paths added later.

CREATE FUNCTION koji_rs_notify_tag() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('koji_tag', OLD.tag_id::text);
        RETURN OLD;
    END IF;
    PERFORM pg_notify('koji_tag', NEW.tag_id::text);
    RETURN NEW;
END $$;

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['tag_listing', 'tag_inheritance', 'tag_config', 'tag_packages', 'tag_external_repos',
                             'tag_extra', 'tag_updates', 'group_config', 'group_package_listing',
                             'group_req_listing']
    LOOP
        EXECUTE format('CREATE TRIGGER koji_rs_notify_tag AFTER INSERT OR UPDATE OR DELETE ON %I '
                       'FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_tag()', t);
    END LOOP;
END $$;

-- A target's build tag becomes (or stops being) a tag whose repo is kept current.
CREATE FUNCTION koji_rs_notify_target() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koji_tag', NEW.build_tag::text);
    RETURN NEW;
END $$;

CREATE TRIGGER koji_rs_notify_target AFTER INSERT OR UPDATE ON build_target_config
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_target();

-- External repo changes reach every tag that uses the repo.
CREATE FUNCTION koji_rs_notify_external_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koji_tag', tag_id::text) FROM tag_external_repos
        WHERE external_repo_id = NEW.external_repo_id AND active = TRUE;
    RETURN NEW;
END $$;

CREATE TRIGGER koji_rs_notify_external_repo AFTER INSERT OR UPDATE ON external_repo_config
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_external_repo();
CREATE TRIGGER koji_rs_notify_external_repo AFTER INSERT OR UPDATE ON external_repo_data
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_external_repo();

-- Requests: payload `request:<id>` (waiters of that request wake); repos: `repo:<id>`.
CREATE FUNCTION koji_rs_notify_repo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koji_repo', TG_ARGV[0] || ':' || NEW.id::text);
    RETURN NEW;
END $$;

CREATE TRIGGER koji_rs_notify_repo AFTER INSERT OR UPDATE ON repo_queue
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_repo('request');
CREATE TRIGGER koji_rs_notify_repo AFTER INSERT OR UPDATE ON repo
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_repo('repo');

-- A buildroot that stops using a repo (retired, or moved to another repo) may let an expired repo go.
CREATE FUNCTION koji_rs_notify_buildroot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('koji_repo', 'repo:' || OLD.repo_id::text);
    RETURN NEW;
END $$;

CREATE TRIGGER koji_rs_notify_buildroot AFTER UPDATE OR DELETE ON standard_buildroot
    FOR EACH ROW EXECUTE FUNCTION koji_rs_notify_buildroot();
