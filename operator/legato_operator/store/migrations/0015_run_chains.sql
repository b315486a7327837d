-- Runs chained by continue-as-new and workflow retries: the first run of the chain, the
-- run this one continues and the one that continues it, the run's attempt, the history's
-- size (for continue-as-new suggestions) and whether the first workflow task waits out a
-- backoff (start_delay, a retry's interval) before it is scheduled.
ALTER TABLE executions
    ADD COLUMN first_execution_run_id text,
    ADD COLUMN continued_run_id text,
    ADD COLUMN new_run_id text,
    ADD COLUMN attempt integer NOT NULL DEFAULT 1,
    ADD COLUMN history_size bigint NOT NULL DEFAULT 0,
    ADD COLUMN first_task_backoff boolean NOT NULL DEFAULT false;
