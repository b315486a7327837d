-- A child run's link to the run that started it (its StartChildWorkflowExecutionInitiated
-- and parent close policy) and to the root of its tree: the child's close is delivered to
-- the parent, and the parent's close applies its policy to its running children.
ALTER TABLE executions
    ADD COLUMN parent_run_id text,
    ADD COLUMN parent_workflow_id text,
    ADD COLUMN parent_initiated_event_id bigint,
    ADD COLUMN parent_close_policy text,
    ADD COLUMN root_run_id text,
    ADD COLUMN root_workflow_id text;

-- A closing parent finds its running children.
CREATE INDEX executions_by_parent ON executions (parent_run_id) WHERE parent_run_id IS NOT NULL;
