-- Namespaces as objects (store.namespaces): registered, described, listed, updated. A call
-- in a namespace that is not here is refused as not found. retention NULL means the
-- server's setting for it (--namespace-retention, else --retention).
CREATE TABLE namespaces (
    name          text PRIMARY KEY,
    id            uuid NOT NULL,
    description   text NOT NULL DEFAULT '',
    owner_email   text NOT NULL DEFAULT '',
    data          jsonb NOT NULL DEFAULT '{}'::jsonb,
    retention     interval,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- The default namespace exists from the start, as on Temporal's servers; every namespace
-- a database of an earlier version already holds runs in stays usable.
INSERT INTO namespaces (name, id) VALUES ('default', gen_random_uuid());
INSERT INTO namespaces (name, id)
    SELECT DISTINCT namespace, gen_random_uuid() FROM executions ON CONFLICT DO NOTHING;
INSERT INTO namespaces (name, id)
    SELECT DISTINCT namespace, gen_random_uuid() FROM workflow_resources ON CONFLICT DO NOTHING;

-- Custom search attributes, registered per namespace with their type (Temporal's
-- IndexedValueType names: Keyword, Text, Int, Double, Bool, Datetime, KeywordList).
CREATE TABLE namespace_search_attributes (
    namespace   text NOT NULL REFERENCES namespaces (name) ON DELETE CASCADE,
    name        text NOT NULL,
    type        text NOT NULL,
    PRIMARY KEY (namespace, name)
);

-- A run's custom search attributes: name -> typed JSON value (an ISO 8601 string for a
-- Datetime, an array for a KeywordList); NULL when it has none. The GIN index serves the
-- equality and membership filters (``@>``) of list queries.
ALTER TABLE executions ADD COLUMN search_attributes jsonb;
CREATE INDEX executions_search_attributes ON executions USING gin (search_attributes jsonb_path_ops)
    WHERE search_attributes IS NOT NULL;
