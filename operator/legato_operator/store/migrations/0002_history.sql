-- Every run's events, dense from 1 per run. Append-only: a trigger refuses UPDATE and
-- DELETE, so no code path can rewrite what a worker has already replayed.
CREATE TABLE history_events (
    run_id      uuid NOT NULL,
    event_id    integer NOT NULL,
    event_type  text NOT NULL,
    event_time  timestamptz NOT NULL,
    attributes  jsonb NOT NULL,
    PRIMARY KEY (run_id, event_id)
);

CREATE FUNCTION history_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history_events is append-only (% refused)', TG_OP;
END;
$$;

CREATE TRIGGER history_events_append_only
    BEFORE UPDATE OR DELETE ON history_events
    FOR EACH ROW EXECUTE FUNCTION history_events_append_only();
