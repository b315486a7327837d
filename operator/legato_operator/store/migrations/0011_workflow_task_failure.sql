-- Why the run's workflow task last failed or timed out (cause, failure, time), kept on the
-- run while its attempts fail: after the first failure the attempts are transient (not
-- written to history), so describe and the Workflow resource's status read it here.
ALTER TABLE executions ADD COLUMN wft_failure jsonb;
