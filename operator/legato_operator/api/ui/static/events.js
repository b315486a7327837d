// One line per history event, as `legato workflow show` prints it: what happened, with
// payloads decoded where they are json/plain.

import { brief } from "./payloads.js";

const failure = (f) => (f ? `${f.type ? `${f.type}: ` : ""}${f.message}` : "");

const SUMMARIES = {
  WorkflowExecutionStarted: (a) => `${a.workflow_type} on ${a.task_queue}, input ${brief(a.input)}`,
  WorkflowExecutionCompleted: (a) => `result ${a.result ? brief(a.result) : "none"}`,
  WorkflowExecutionFailed: (a) => failure(a.failure),
  WorkflowExecutionTimedOut: (a) => `retry state ${a.retry_state}`,
  WorkflowExecutionCanceled: () => "canceled",
  WorkflowExecutionTerminated: (a) => (a.reason ? `reason: ${a.reason}` : "terminated") + (a.identity ? ` (by ${a.identity})` : ""),
  WorkflowExecutionContinuedAsNew: (a) => `as ${a.new_execution_run_id}, input ${brief(a.input)}`,
  WorkflowExecutionSignaled: (a) => `${a.signal_name} ${brief(a.input)}`,
  WorkflowExecutionCancelRequested: (a) => a.cause || (a.identity ? `by ${a.identity}` : ""),
  WorkflowTaskScheduled: (a) => (a.attempt > 1 ? `attempt ${a.attempt}` : ""),
  WorkflowTaskStarted: (a) => a.identity,
  WorkflowTaskFailed: (a) => `${a.cause}${a.failure ? `: ${failure(a.failure)}` : ""}`,
  WorkflowTaskTimedOut: (a) => a.timeout_type,
  ActivityTaskScheduled: (a) => `${a.activity_type} (id ${a.activity_id}), input ${brief(a.input)}`,
  ActivityTaskStarted: (a) => `attempt ${a.attempt}${a.last_failure ? ` (previous attempt failed: ${a.last_failure.message})` : ""}`,
  ActivityTaskCompleted: (a) => `result ${a.result ? brief(a.result) : "none"}`,
  ActivityTaskFailed: (a) => `${failure(a.failure)} (${a.retry_state})`,
  ActivityTaskTimedOut: (a) => `${failure(a.failure)} (${a.retry_state})`,
  ActivityTaskCancelRequested: (a) => `activity of event ${a.scheduled_event_id}`,
  ActivityTaskCanceled: (a) => `activity of event ${a.scheduled_event_id}`,
  TimerStarted: (a) => `timer ${a.timer_id} for ${a.start_to_fire_timeout} s`,
  TimerFired: (a) => `timer ${a.timer_id}`,
  TimerCanceled: (a) => `timer ${a.timer_id}`,
  MarkerRecorded: (a) => a.marker_name,
  StartChildWorkflowExecutionInitiated: (a) => `${a.workflow_type} as ${a.workflow_id}`,
  StartChildWorkflowExecutionFailed: (a) => `${a.workflow_id}: ${a.cause}`,
  ChildWorkflowExecutionStarted: (a) => `${a.workflow_type} ${a.workflow_execution.workflow_id}`,
  ChildWorkflowExecutionCompleted: (a) => `${a.workflow_execution.workflow_id}: result ${a.result ? brief(a.result) : "none"}`,
  ChildWorkflowExecutionFailed: (a) => `${a.workflow_execution.workflow_id}: ${failure(a.failure)}`,
  SignalExternalWorkflowExecutionInitiated: (a) => `${a.signal_name} to ${a.workflow_execution.workflow_id}`,
  WorkflowExecutionUpdateAccepted: (a) => `${a.accepted_request.input.name} ${brief(a.accepted_request.input.args)}`,
  WorkflowExecutionUpdateCompleted: (a) =>
    a.outcome.failure ? failure(a.outcome.failure) : `result ${brief(a.outcome.success ?? [])}`,
  UpsertWorkflowSearchAttributes: (a) => Object.keys(a.search_attributes).join(", "),
  WorkflowPropertiesModified: (a) => `memo ${Object.keys(a.upserted_memo).join(", ")}`,
};

/** The one-line summary of an event. */
export function summary(event) {
  const f = SUMMARIES[event.attributes.type];
  try {
    return f ? f(event.attributes) : "";
  } catch {
    return "";
  }
}

/** Whether an event is one of the workflow-task bookkeeping ones a reader often hides. */
export function isWorkflowTaskEvent(event) {
  return event.attributes.type.startsWith("WorkflowTask");
}

/** A CSS class for the event's outcome: failures red, completions green. */
export function tone(event) {
  const t = event.attributes.type;
  if (/Failed|TimedOut|Terminated/.test(t)) return "bad";
  if (/Canceled|CancelRequested/.test(t)) return "warn";
  if (/Completed|Fired/.test(t) && !t.startsWith("WorkflowTask")) return "good";
  return "";
}
