-- When each task queue last had a task claimed, for idle detection: the scaler samples
-- the backlog every few seconds and would miss short tasks that come and go between two
-- samples, and its own memory does not survive a restart or a change of leader. Written
-- by the replica that hands a task out, at most every couple of seconds per queue.
CREATE TABLE task_queue_activity (
    namespace   text NOT NULL,
    task_queue  text NOT NULL,
    last_active timestamptz NOT NULL,
    PRIMARY KEY (namespace, task_queue)
);
