-- Schedules (engine.services.schedules): the schedule as its wire JSON, what it has done
-- (progress: the time its spec was read up to, counts, running workflows, recent actions,
-- buffered starts), and when any replica must look at it next. A replica takes a due
-- schedule with FOR UPDATE SKIP LOCKED, and starts its workflows in the transaction that
-- moves its progress on, so that no time fires twice.
CREATE TABLE schedules (
    namespace       text NOT NULL REFERENCES namespaces (name),
    schedule_id     text NOT NULL,
    schedule        jsonb NOT NULL,
    progress        jsonb NOT NULL,
    memo            jsonb,
    search_attributes jsonb,
    request_id      text NOT NULL DEFAULT '',
    version         bigint NOT NULL DEFAULT 1,
    next_wake       timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz,
    PRIMARY KEY (namespace, schedule_id)
);
CREATE INDEX schedules_due ON schedules (next_wake) WHERE next_wake IS NOT NULL;
