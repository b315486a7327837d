-- The run's memo (Temporal's): payloads by key as their wire JSON, set at start and
-- changed by ModifyWorkflowProperties; describe reads it here rather than from history.
ALTER TABLE executions ADD COLUMN memo jsonb;
