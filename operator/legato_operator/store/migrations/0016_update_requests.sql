-- Workflow updates. The replica a client asked inserts a row (a repeated update id on the
-- same run joins it: the primary key) and NOTIFYs the run's workflow task queue; a
-- workflow-task poll on any replica claims it (SKIP LOCKED, with a lease) once the run has
-- no workflow task outstanding, and the worker validates it from the run's state. A
-- rejection is written here only, so it leaves nothing in history; an acceptance appends
-- WorkflowExecutionUpdateAccepted in the same transaction that moves the row on, and the
-- completion that appends WorkflowExecutionUpdateCompleted stores the outcome here too.
-- Rows go with their run (retention) or when the run closes with the update unfinished.
CREATE TABLE update_requests (
    run_id        uuid NOT NULL,
    update_id     text NOT NULL,
    namespace     text NOT NULL,
    task_queue    text NOT NULL,
    workflow_id   text NOT NULL,
    workflow_type text NOT NULL,
    name          text NOT NULL,
    args          jsonb NOT NULL,
    -- What interceptors set on the update (Temporal's Header: key -> payload).
    header        jsonb NOT NULL DEFAULT '{}',
    identity      text NOT NULL DEFAULT '',
    -- admitted: waiting for a poll (or held by a worker until lease_until);
    -- accepted: in history, the handler runs; completed: outcome set (rejections too).
    state         text NOT NULL DEFAULT 'admitted',
    lease_until   timestamptz,
    outcome       jsonb,
    created_at    timestamptz NOT NULL,
    PRIMARY KEY (run_id, update_id)
);

-- The poll's claim: oldest admitted update of one queue that no live worker holds.
CREATE INDEX update_requests_claim ON update_requests (namespace, task_queue, created_at)
    WHERE state = 'admitted';
