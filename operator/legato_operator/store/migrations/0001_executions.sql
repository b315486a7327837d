-- One row per run: its status, the counters that keep history dense, and the state of
-- its one workflow task. Every change is conditional on `version` (optimistic concurrency).
CREATE TABLE executions (
    run_id                uuid PRIMARY KEY,
    namespace             text NOT NULL,
    workflow_id           text NOT NULL,
    workflow_type         text NOT NULL,
    task_queue            text NOT NULL,
    status                text NOT NULL,
    start_time            timestamptz NOT NULL,
    close_time            timestamptz,
    -- The id the next appended event gets; history is dense from 1.
    next_event_id         integer NOT NULL,
    version               bigint NOT NULL,
    -- The outstanding workflow task (0 = none): scheduled and started event ids, attempt.
    wft_scheduled_id      integer NOT NULL DEFAULT 0,
    wft_started_id        integer NOT NULL DEFAULT 0,
    wft_attempt           integer NOT NULL DEFAULT 0,
    -- Events are buffered behind the in-flight task: another one is needed after it.
    wft_needed            boolean NOT NULL DEFAULT false,
    -- WorkflowTaskStarted of the last completed task; a new task sends the events after it.
    last_wft_started_id   integer NOT NULL DEFAULT 0,
    workflow_task_timeout double precision NOT NULL,
    execution_timeout     double precision,
    randomness_seed       bigint NOT NULL,
    request_id            text,
    cancel_requested      boolean NOT NULL DEFAULT false,
    result                jsonb,
    failure               jsonb
);

-- At most one running run per workflow id: the database enforces it, not the code.
CREATE UNIQUE INDEX executions_one_running ON executions (namespace, workflow_id) WHERE status = 'RUNNING';

-- "The latest run of this id" for describe, result, signal and start's reuse policy.
CREATE INDEX executions_by_workflow_id ON executions (namespace, workflow_id, start_time DESC);
