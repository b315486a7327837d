-- Everything that must happen at a time: user timers, activity and workflow-task
-- timeouts, retry backoff, the execution timeout. Any replica claims due rows.
CREATE TABLE timers (
    id          bigserial PRIMARY KEY,
    namespace   text NOT NULL,
    run_id      uuid NOT NULL,
    -- user | activity_start_to_close | activity_schedule_to_close | activity_schedule_to_start
    -- | activity_heartbeat | task_ready | workflow_task_timeout | workflow_execution_timeout
    kind        text NOT NULL,
    -- The scheduled event id of the activity or workflow task; TimerStarted's id for a user timer.
    ref         bigint NOT NULL DEFAULT 0,
    attempt     integer NOT NULL DEFAULT 0,
    timer_id    text,
    due_at      timestamptz NOT NULL,
    -- Set by the replica that claimed the row; another may take it once this passes.
    lease_until timestamptz
);

-- The timer loop's claim and its "when is the next one" query.
CREATE INDEX timers_due ON timers (due_at);

-- A run's timers: cancel a user timer, disarm an activity's timeouts, close the run.
CREATE INDEX timers_by_run ON timers (run_id, kind, ref);

-- A user timer id is unique among the run's pending timers, as in Temporal.
CREATE UNIQUE INDEX timers_user_timer_id ON timers (run_id, timer_id) WHERE kind = 'user';
