-- Request ids of signals already delivered to a run: a retried signal call is a no-op.
CREATE TABLE signal_requests (
    run_id     uuid NOT NULL,
    request_id text NOT NULL,
    PRIMARY KEY (run_id, request_id)
);
