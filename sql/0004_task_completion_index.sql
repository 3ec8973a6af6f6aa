-- koji-rs addition: the web UI's task lists sort by completion time (kojiweb's "Finished" column, and the
-- newest-finished views); without an index every page of that order sorts all the matching tasks.
CREATE INDEX kojirs_task_by_completion_time ON task (completion_time);
