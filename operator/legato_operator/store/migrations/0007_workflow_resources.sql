-- Runs started from a `Workflow` resource: the link from the resource (its uid, so a
-- re-created resource of the same name is a new link) to its run, the identity the run
-- started with, what the reconciler did to it (signals, a refused spec change), and what
-- the status writer last wrote back to it.
CREATE TABLE workflow_resources (
    namespace           text NOT NULL,
    name                text NOT NULL,
    uid                 text NOT NULL,
    workflow_id         text NOT NULL,
    run_id              uuid NOT NULL,
    -- The spec's identity at start (type, queue, args, id, timeout); a later change is refused.
    identity            jsonb NOT NULL,
    -- metadata.generation the reconciler last handled (status.observedGeneration).
    generation          bigint NOT NULL DEFAULT 0,
    -- Signal ids delivered, in order; and those that could not be (id -> why).
    delivered_signals   text[] NOT NULL DEFAULT '{}',
    undelivered_signals jsonb NOT NULL DEFAULT '{}',
    -- Identity fields the current spec changes (empty: none; the change is refused).
    refused_fields      text[] NOT NULL DEFAULT '{}',
    -- Bumped by every change the reconciler makes here; the status writer catches up to it.
    change              bigint NOT NULL DEFAULT 1,
    synced_change       bigint NOT NULL DEFAULT 0,
    -- executions.version and status the resource's status was last written from.
    synced_version      bigint NOT NULL DEFAULT 0,
    synced_status       text,
    -- The run closed and its final status is written: nothing more to write.
    final               boolean NOT NULL DEFAULT false,
    -- The conditions last written, for their lastTransitionTime.
    conditions          jsonb NOT NULL DEFAULT '[]',
    PRIMARY KEY (namespace, name, uid)
);

-- The status writer's scan: only links whose final status is not yet written, so its
-- cost follows the open resource-started runs, not every Workflow ever applied.
CREATE INDEX workflow_resources_open ON workflow_resources (run_id) WHERE NOT final;
