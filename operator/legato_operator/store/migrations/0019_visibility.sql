-- Visibility: listing and counting runs with Temporal's list filter (store.visibility).
-- The run's execution time is its start plus the first workflow task's backoff
-- (start_delay, a retry's interval), as Temporal's ExecutionTime is.
ALTER TABLE executions ADD COLUMN execution_time timestamptz;
UPDATE executions SET execution_time = start_time;

-- Lists come in Temporal's order: running runs first, then the most recently closed, then
-- the latest started; these expression indexes serve that order alone, within a status
-- and within a workflow type, so a page of a million runs reads only its own rows.
CREATE INDEX executions_list ON executions
    (namespace, (coalesce(close_time, 'infinity'::timestamptz)) DESC, start_time DESC, run_id DESC);
CREATE INDEX executions_list_by_status ON executions
    (namespace, status, (coalesce(close_time, 'infinity'::timestamptz)) DESC, start_time DESC, run_id DESC);
CREATE INDEX executions_list_by_type ON executions
    (namespace, workflow_type, (coalesce(close_time, 'infinity'::timestamptz)) DESC, start_time DESC, run_id DESC);
CREATE INDEX executions_by_start_time ON executions (namespace, start_time DESC, run_id DESC);

-- Retention deletes closed runs oldest first (store.retention).
CREATE INDEX executions_closed ON executions (close_time) WHERE close_time IS NOT NULL;

-- History stays append-only, except that retention deletes whole closed runs, and says so
-- for its transaction (SET LOCAL legato.deleting_expired_runs, in store.retention).
CREATE OR REPLACE FUNCTION history_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('legato.deleting_expired_runs', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'history_events is append-only (% refused)', TG_OP;
END;
$$;

-- A Workflow resource's ttlAfterFinished in seconds (its spec's, or the operator's
-- default); NULL keeps it. The operator deletes resources whose run closed longer ago.
ALTER TABLE workflow_resources ADD COLUMN ttl_after_finished double precision;
