-- Workflow and activity tasks waiting for (or held by) a poller. A row lives from its
-- scheduling to the close of its last attempt; retries update it in place.
CREATE TABLE tasks (
    id                 bigserial PRIMARY KEY,
    namespace          text NOT NULL,
    task_queue         text NOT NULL,
    kind               text NOT NULL CHECK (kind IN ('workflow', 'activity')),
    run_id             uuid NOT NULL,
    -- WorkflowTaskScheduled / ActivityTaskScheduled of this task: names it within the run.
    scheduled_event_id integer NOT NULL,
    attempt            integer NOT NULL,
    state              text NOT NULL CHECK (state IN ('ready', 'started', 'backoff')),
    -- When the task became (or becomes, in backoff) claimable.
    visible_at         timestamptz NOT NULL,
    -- When it was first scheduled (ActivityTask.scheduled_time, schedule_to_close).
    scheduled_at       timestamptz NOT NULL,
    started_at         timestamptz,
    -- Activity: the ActivityTaskScheduled attributes plus workflow id and type, so a
    -- poll answers without reading history.
    info               jsonb NOT NULL DEFAULT '{}',
    heartbeat_details  jsonb,
    last_failure       jsonb,
    cancel_requested   boolean NOT NULL DEFAULT false
);

-- The claim query: oldest ready task of one queue and kind.
CREATE INDEX tasks_claim ON tasks (namespace, task_queue, kind, visible_at) WHERE state = 'ready';

-- A run's tasks by their scheduled event (completion, cancel, close of the run).
CREATE UNIQUE INDEX tasks_by_run ON tasks (run_id, scheduled_event_id);
