-- Queries waiting for a worker's answer. The replica a client asked inserts a row and
-- waits on its key; a workflow-task poll on any replica claims it (SKIP LOCKED) once the
-- run has completed a workflow task and has none outstanding (so the query sees what that
-- task made of the events before it, as Temporal's do), and the worker's answer is
-- written back to it. The asking replica deletes the row when it
-- answers or gives up; a row whose asker died is deleted once past expires_at.
CREATE TABLE query_requests (
    id            uuid PRIMARY KEY,
    namespace     text NOT NULL,
    task_queue    text NOT NULL,
    workflow_id   text NOT NULL,
    run_id        uuid NOT NULL,
    workflow_type text NOT NULL,
    query_type    text NOT NULL,
    args          jsonb NOT NULL,
    -- What interceptors set on the query (Temporal's Header: key -> payload).
    header        jsonb NOT NULL DEFAULT '{}',
    -- ready: waiting for a poll; started: held by a worker until lease_until; answered.
    state         text NOT NULL DEFAULT 'ready',
    lease_until   timestamptz,
    answer        jsonb,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);

-- The poll's claim: oldest query of one queue that no live worker holds.
CREATE INDEX query_requests_claim ON query_requests (namespace, task_queue, created_at)
    WHERE state <> 'answered';
CREATE INDEX query_requests_expiry ON query_requests (expires_at);
-- "Does a query wait for this run's workflow task?", asked when one completes.
CREATE INDEX query_requests_by_run ON query_requests (run_id) WHERE state = 'ready';
