-- Who polls each task queue, so that every replica (and the scaler) counts the same
-- pollers whichever replica a worker's polls reach. One row per worker identity and task
-- kind; the replica serving its polls refreshes last_seen at most every few seconds, not
-- on every poll. A poller counts while last_seen is within the last minute; rows long
-- stale are pruned by the replicas as they record.
CREATE TABLE task_queue_pollers (
    namespace  text NOT NULL,
    task_queue text NOT NULL,
    kind       text NOT NULL CHECK (kind IN ('workflow', 'activity')),
    identity   text NOT NULL,
    last_seen  timestamptz NOT NULL,
    PRIMARY KEY (namespace, task_queue, kind, identity)
);
