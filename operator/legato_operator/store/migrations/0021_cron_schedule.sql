-- A run started with Temporal's older cron_schedule (engine.rules.chains): its close starts
-- the chain's next run at the next fire time. Kept on the row so that a completion knows
-- without reading the run's start.
ALTER TABLE executions ADD COLUMN cron_schedule text;
