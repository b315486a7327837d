-- Work whose processing keeps failing is set aside with a growing backoff instead of
-- staying first in line: these count the failures, for the backoff and for people.
ALTER TABLE tasks ADD COLUMN processing_failures integer NOT NULL DEFAULT 0;
ALTER TABLE timers ADD COLUMN failures integer NOT NULL DEFAULT 0;
