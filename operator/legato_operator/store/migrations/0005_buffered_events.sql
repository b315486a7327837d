-- Events that arrived while a workflow task was in flight. They get their event ids
-- when that task completes, fails or times out, so a task's history ends at its
-- WorkflowTaskStarted. `seq` keeps their arrival order.
CREATE TABLE buffered_events (
    run_id     uuid NOT NULL,
    seq        bigserial,
    event_time timestamptz NOT NULL,
    attributes jsonb NOT NULL,
    PRIMARY KEY (run_id, seq)
);
