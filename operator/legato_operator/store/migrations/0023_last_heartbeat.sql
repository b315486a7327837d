-- When an activity last heartbeated (Temporal's PendingActivityInfo.last_heartbeat_time),
-- set with its heartbeat_details; describe shows both. Like the details, it is kept
-- across the activity's retries.
ALTER TABLE tasks ADD COLUMN last_heartbeat_at timestamptz;
