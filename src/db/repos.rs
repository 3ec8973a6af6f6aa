//! Statements on `repo` and `repo_queue` (the records themselves are read through `crate::repos`' views).

use crate::fault::KojiResult;
use deadpool_postgres::GenericClient;

/// The repo's state, with its row locked for the transaction.
pub async fn lock_state(db: &impl GenericClient, id: i32) -> KojiResult<Option<i32>> {
    let st = db.prepare_cached("SELECT state FROM repo WHERE id = $1 FOR UPDATE").await?;
    Ok(db.query_opt(&st, &[&id]).await?.map(|r| r.get::<_, Option<i32>>(0).unwrap_or(0)))
}

pub async fn set_state(db: &impl GenericClient, id: i32, state: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE repo SET state = $2, state_time = NOW() WHERE id = $1").await?;
    db.execute(&st, &[&id, &state]).await?;
    Ok(())
}

/// What a new repo row holds (state INIT).
pub struct NewRepo {
    pub create_event: i32,
    pub begin_event: Option<i32>,
    pub tag_id: i32,
    pub task_id: Option<i32>,
    pub opts: serde_json::Value,
    pub custom_opts: serde_json::Value,
}

pub async fn insert(db: &impl GenericClient, r: &NewRepo) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "INSERT INTO repo (create_event, begin_event, tag_id, state, task_id, opts, custom_opts) \
             VALUES ($1, $2, $3, 0, $4, $5, $6) RETURNING id",
        )
        .await?;
    let row =
        db.query_one(&st, &[&r.create_event, &r.begin_event, &r.tag_id, &r.task_id, &r.opts, &r.custom_opts]).await?;
    Ok(row.get(0))
}

/// What a new request row holds.
pub struct NewRequest {
    pub owner: i32,
    pub priority: i32,
    pub tag_id: i32,
    pub at_event: Option<i32>,
    pub min_event: Option<i32>,
    pub opts: serde_json::Value,
}

pub async fn insert_request(db: &impl GenericClient, r: &NewRequest) -> KojiResult<i32> {
    let st = db
        .prepare_cached(
            "INSERT INTO repo_queue (owner, priority, tag_id, at_event, min_event, opts) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .await?;
    let row = db.query_one(&st, &[&r.owner, &r.priority, &r.tag_id, &r.at_event, &r.min_event, &r.opts]).await?;
    Ok(row.get(0))
}

/// The first active request (queue order) that a new one would duplicate: same tag and options, the same
/// `at_event`, or a `min_event` at least as recent.
pub async fn duplicate_request(
    db: &impl GenericClient,
    tag_id: i32,
    opts: &serde_json::Value,
    at_event: Option<i32>,
    min_event: Option<i32>,
) -> KojiResult<Option<(i32, i32)>> {
    let st = db
        .prepare_cached(
            "SELECT id, priority FROM repo_queue WHERE tag_id = $1 AND active IS TRUE AND opts = $2 \
             AND (CASE WHEN $3::integer IS NOT NULL THEN at_event = $3 ELSE min_event >= $4 END) \
             ORDER BY priority, id LIMIT 1",
        )
        .await?;
    Ok(db.query_opt(&st, &[&tag_id, opts, &at_event, &min_event]).await?.map(|r| (r.get(0), r.get(1))))
}

pub async fn set_request_priority(db: &impl GenericClient, id: i32, priority: i32) -> KojiResult<u64> {
    let st = db.prepare_cached("UPDATE repo_queue SET priority = $2 WHERE id = $1").await?;
    Ok(db.execute(&st, &[&id, &priority]).await?)
}

/// Koji's `repo_done_hook` match: every active request the READY repo satisfies gets it and goes inactive.
pub async fn fulfil_requests(db: &impl GenericClient, repo_id: i32) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "UPDATE repo_queue q SET repo_id = r.id, active = FALSE, update_time = NOW() FROM repo r \
             WHERE r.id = $1 AND NOT r.dist AND r.opts IS NOT NULL AND r.custom_opts IS NOT NULL \
             AND q.tag_id = r.tag_id AND q.active IS TRUE AND q.repo_id IS NULL \
             AND q.opts <@ r.opts AND q.opts @> r.custom_opts \
             AND (q.min_event <= r.create_event OR q.at_event = r.create_event) RETURNING q.id",
        )
        .await?;
    Ok(db.query(&st, &[&repo_id]).await?.iter().map(|r| r.get(0)).collect())
}

/// A waiting request as the queue pass sees it.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub id: i32,
    pub tag_id: i32,
    pub tag_name: String,
    pub at_event: Option<i32>,
    pub min_event: Option<i32>,
    pub opts: serde_json::Value,
    pub task_id: Option<i32>,
    pub task_state: Option<i32>,
    pub tries: i32,
    /// The repo the request's task has made so far (its `host.repoInit`), if any: (id, create_event, state).
    pub task_repo: Option<(i32, i32, i32)>,
}

/// Active requests in queue order (`priority, id`), locked for the pass.
pub async fn waiting(db: &impl GenericClient) -> KojiResult<Vec<Waiting>> {
    let st = db
        .prepare_cached(
            "SELECT q.id, q.tag_id, tag.name, q.at_event, q.min_event, q.opts, q.task_id, task.state, q.tries, \
                    r.id, r.create_event, r.state \
             FROM repo_queue q JOIN tag ON tag.id = q.tag_id LEFT JOIN task ON task.id = q.task_id \
             LEFT JOIN LATERAL (SELECT id, create_event, state FROM repo WHERE repo.task_id = q.task_id \
                                ORDER BY id DESC LIMIT 1) r ON TRUE \
             WHERE q.active IS TRUE AND q.repo_id IS NULL ORDER BY q.priority, q.id FOR UPDATE OF q",
        )
        .await?;
    Ok(db
        .query(&st, &[])
        .await?
        .iter()
        .map(|r| Waiting {
            id: r.get(0),
            tag_id: r.get(1),
            tag_name: r.get(2),
            at_event: r.get(3),
            min_event: r.get(4),
            opts: r.get(5),
            task_id: r.get(6),
            task_state: r.get(7),
            tries: r.get(8),
            task_repo: r.get::<_, Option<i32>>(9).map(|id| (id, r.get(10), r.get::<_, Option<i32>>(11).unwrap_or(0))),
        })
        .collect())
}

/// Sets a request's task (a new one counts a try; a shared one does not).
pub async fn set_request_task(db: &impl GenericClient, id: i32, task: Option<i32>, tries: i32) -> KojiResult<()> {
    let st =
        db.prepare_cached("UPDATE repo_queue SET task_id = $2, tries = $3, update_time = NOW() WHERE id = $1").await?;
    db.execute(&st, &[&id, &task, &tries]).await?;
    Ok(())
}

pub async fn deactivate_request(db: &impl GenericClient, id: i32) -> KojiResult<()> {
    let st = db.prepare_cached("UPDATE repo_queue SET active = FALSE, update_time = NOW() WHERE id = $1").await?;
    db.execute(&st, &[&id]).await?;
    Ok(())
}

/// Koji's `clean_repo_queue`: inactive requests older than `secs`.
pub async fn clean_requests(db: &impl GenericClient, secs: f64) -> KojiResult<u64> {
    let st = db
        .prepare_cached(
            "DELETE FROM repo_queue WHERE active IS FALSE AND update_time < NOW() - make_interval(secs => $1)",
        )
        .await?;
    Ok(db.execute(&st, &[&secs]).await?)
}

/// Tags whose repos are kept current: targets' build tags and tags with extra `repo.auto` true, among `tags`
/// and every tag that inherits from them (transitively), or all of them when `tags` is None.
pub async fn regen_tags(db: &impl GenericClient, tags: Option<&[i32]>) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "WITH RECURSIVE affected(id) AS ( \
                 SELECT unnest($1::integer[]) \
                 UNION SELECT i.tag_id FROM tag_inheritance i JOIN affected a ON i.parent_id = a.id \
                 WHERE i.active IS TRUE), \
             kept(id) AS ( \
                 SELECT build_tag FROM build_target_config WHERE active IS TRUE \
                 UNION SELECT tag_id FROM tag_extra WHERE active IS TRUE AND key = 'repo.auto' \
                     AND value IN ('true', '1')) \
             SELECT DISTINCT k.id FROM kept k JOIN tag_config c ON c.tag_id = k.id AND c.active IS TRUE \
             WHERE $2 OR k.id IN (SELECT id FROM affected) ORDER BY k.id",
        )
        .await?;
    let all = tags.is_none();
    let given: Vec<i32> = tags.map(<[i32]>::to_vec).unwrap_or_default();
    Ok(db.query(&st, &[&given, &all]).await?.iter().map(|r| r.get(0)).collect())
}

/// READY repos superseded by a newer READY repo of the same tag and options; they become EXPIRED.
pub async fn expire_superseded(db: &impl GenericClient) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "UPDATE repo SET state = 2, state_time = NOW() WHERE id IN ( \
                 SELECT old.id FROM repo old WHERE old.state = 1 AND NOT old.dist AND EXISTS ( \
                     SELECT 1 FROM repo new WHERE new.tag_id = old.tag_id AND new.state = 1 AND NOT new.dist \
                     AND new.opts = old.opts AND new.custom_opts = old.custom_opts \
                     AND new.create_event > old.create_event)) RETURNING id",
        )
        .await?;
    Ok(db.query(&st, &[]).await?.iter().map(|r| r.get(0)).collect())
}

/// INIT repos whose task failed or was canceled become PROBLEM (kojira's `check_init`).
pub async fn problem_failed_inits(db: &impl GenericClient) -> KojiResult<Vec<i32>> {
    let st = db
        .prepare_cached(
            "UPDATE repo SET state = 4, state_time = NOW() FROM task \
             WHERE repo.state = 0 AND task.id = repo.task_id AND task.state IN (3, 5) RETURNING repo.id",
        )
        .await?;
    Ok(db.query(&st, &[]).await?.iter().map(|r| r.get(0)).collect())
}

/// EXPIRED and PROBLEM repos past their lifetime that no live buildroot uses become DELETED; returns their
/// (id, tag name) for the directory removal, and the seconds until the next one comes due (if any).
pub async fn delete_due(db: &impl GenericClient, lifetime_secs: f64) -> KojiResult<(Vec<(i32, String)>, Option<f64>)> {
    let st = db
        .prepare_cached(
            "UPDATE repo SET state = 3, state_time = NOW() FROM tag \
             WHERE tag.id = repo.tag_id AND repo.state IN (2, 4) \
             AND repo.state_time <= NOW() - make_interval(secs => $1) \
             AND NOT EXISTS (SELECT 1 FROM standard_buildroot b WHERE b.repo_id = repo.id \
                             AND b.retire_event IS NULL AND b.state IS DISTINCT FROM 3) \
             RETURNING repo.id, tag.name",
        )
        .await?;
    let deleted = db.query(&st, &[&lifetime_secs]).await?.iter().map(|r| (r.get(0), r.get(1))).collect();
    let next = db
        .prepare_cached(
            "SELECT min(date_part('epoch', state_time + make_interval(secs => $1) - NOW()))::float8 FROM repo \
             WHERE state IN (2, 4) AND state_time > NOW() - make_interval(secs => $1)",
        )
        .await?;
    let due: Option<f64> = db.query_one(&next, &[&lifetime_secs]).await?.get(0);
    Ok((deleted, due))
}

/// Age in seconds of each tag's newest READY repo, for the `koji_repo_age_seconds` gauge.
pub async fn ready_ages(db: &impl GenericClient) -> KojiResult<Vec<(String, f64)>> {
    let st = db
        .prepare_cached(
            "SELECT tag.name, date_part('epoch', NOW() - max(repo.creation_time))::float8 FROM repo \
             JOIN tag ON tag.id = repo.tag_id WHERE repo.state = 1 AND NOT repo.dist GROUP BY tag.name",
        )
        .await?;
    Ok(db.query(&st, &[]).await?.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A user's id by name, creating it as a normal enabled user when missing (the `RepoQueueUser`).
pub async fn ensure_user(db: &impl GenericClient, name: &str) -> KojiResult<i32> {
    if let Some(u) = super::users::by_name(db, name).await? {
        return Ok(u.id);
    }
    super::users::create(db, name, None, 0, 0).await
}
