// From a run's history to the bars of its timeline: pure functions, no DOM, so that they
// can be tested on a history alone.
//
// Each activity is a bar from ActivityTaskScheduled to its close (completed, failed, timed
// out, canceled); the history records one ActivityTaskStarted per activity, written when
// the last attempt closed, so `attempts` is that attempt's number (or the pending
// activity's, while it runs). Each timer goes from TimerStarted to fired or canceled, each
// child workflow from its initiation to its close. Bars still open end at `now` (or at the
// run's close, for a run that closed with them open).

const ACTIVITY_CLOSE = {
  ActivityTaskCompleted: "completed",
  ActivityTaskFailed: "failed",
  ActivityTaskTimedOut: "timed out",
  ActivityTaskCanceled: "canceled",
};

const CHILD_CLOSE = {
  ChildWorkflowExecutionCompleted: "completed",
  ChildWorkflowExecutionFailed: "failed",
  ChildWorkflowExecutionCanceled: "canceled",
  ChildWorkflowExecutionTimedOut: "timed out",
  ChildWorkflowExecutionTerminated: "terminated",
  StartChildWorkflowExecutionFailed: "failed to start",
};

const RUN_CLOSE = {
  WorkflowExecutionCompleted: "completed",
  WorkflowExecutionFailed: "failed",
  WorkflowExecutionTimedOut: "timed out",
  WorkflowExecutionCanceled: "canceled",
  WorkflowExecutionTerminated: "terminated",
  WorkflowExecutionContinuedAsNew: "continued as new",
};

const time = (event) => Date.parse(event.event_time);

/**
 * The bars of a history, in the order they began.
 *
 * @param {Array} events the run's history events (as the API gives them)
 * @param {{now?: number, pending?: Array}} options `now` in ms since the epoch (open bars end
 *   there); `pending` the describe's pending activities (their attempt and state)
 * @returns {{start: number, end: number, bars: Array<Bar>}} where a Bar is
 *   {kind, key, name, label, start, started, end, outcome, open, attempts, eventIds, failure}
 */
export function timelineOf(events, { now = Date.now(), pending = [] } = {}) {
  const bars = new Map();
  let run = null;
  for (const event of events) {
    const a = event.attributes;
    if (a.type === "WorkflowExecutionStarted") {
      run = bar("workflow", event, a.workflow_type, 1);
    } else if (a.type in RUN_CLOSE && run) {
      close(run, event, RUN_CLOSE[a.type], a.failure);
    } else if (a.type === "ActivityTaskScheduled") {
      bars.set(`a${event.event_id}`, bar("activity", event, a.activity_type, 0, a.activity_id));
    } else if (a.type === "ActivityTaskStarted") {
      started(bars.get(`a${a.scheduled_event_id}`), event, a.attempt, a.last_failure);
    } else if (a.type in ACTIVITY_CLOSE) {
      close(bars.get(`a${a.scheduled_event_id}`), event, ACTIVITY_CLOSE[a.type], a.failure);
    } else if (a.type === "TimerStarted") {
      const b = bar("timer", event, `timer ${a.timer_id}`, 1, a.timer_id);
      b.duration = a.start_to_fire_timeout;
      bars.set(`t${event.event_id}`, b);
    } else if (a.type === "TimerFired" || a.type === "TimerCanceled") {
      close(bars.get(`t${a.started_event_id}`), event, a.type === "TimerFired" ? "fired" : "canceled");
    } else if (a.type === "StartChildWorkflowExecutionInitiated") {
      const b = bar("child", event, a.workflow_type, 1, a.workflow_id);
      b.workflowId = a.workflow_id;
      bars.set(`c${event.event_id}`, b);
    } else if (a.type === "ChildWorkflowExecutionStarted") {
      const b = bars.get(`c${a.initiated_event_id}`);
      started(b, event, 1);
      if (b) b.runId = a.workflow_execution.run_id;
    } else if (a.type in CHILD_CLOSE) {
      close(bars.get(`c${a.initiated_event_id}`), event, CHILD_CLOSE[a.type], a.failure);
    }
  }
  applyPending(bars, pending);
  const all = [...(run ? [run] : []), ...bars.values()];
  const runEnd = run && !run.open ? run.end : now;
  for (const b of all) {
    if (b.open) b.end = Math.max(b.start, runEnd);
    b.label = labelOf(b);
  }
  const start = all.length ? Math.min(...all.map((b) => b.start)) : now;
  const end = all.length ? Math.max(...all.map((b) => b.end)) : now;
  return { start, end, bars: all };
}

function bar(kind, event, name, attempts, key = "") {
  return {
    kind,
    key,
    name,
    label: "",
    start: time(event),
    started: null,
    end: null,
    outcome: kind === "timer" ? "waiting" : kind === "activity" ? "scheduled" : "running",
    open: true,
    attempts,
    eventIds: [event.event_id],
    failure: null,
  };
}

function started(b, event, attempt, lastFailure = null) {
  if (!b) return;
  b.started = time(event);
  b.attempts = attempt;
  b.outcome = "running";
  if (lastFailure) b.failure = lastFailure;
  b.eventIds.push(event.event_id);
}

function close(b, event, outcome, failure = null) {
  if (!b) return;
  b.end = time(event);
  b.outcome = outcome;
  b.open = false;
  if (failure) b.failure = failure;
  b.eventIds.push(event.event_id);
}

// A running run's activities: the attempt now, and BACKOFF while a retry waits.
function applyPending(bars, pending) {
  for (const p of pending) {
    const b = bars.get(`a${p.scheduled_event_id}`);
    if (!b || !b.open) continue;
    b.attempts = Math.max(b.attempts, p.attempt);
    b.outcome = p.state === "BACKOFF" ? "retrying" : p.state === "STARTED" ? "running" : "scheduled";
    if (p.last_failure) b.failure = p.last_failure;
  }
}

/**
 * What a bar says next to it: "charge · completed · 2 attempts" once closed, "charge ·
 * retrying · attempt 2" while open (the attempt running, or the one a retry waits for).
 */
export function labelOf(b) {
  const parts = [b.name, b.outcome];
  if (b.kind === "activity" && b.attempts > 1) parts.push(b.open ? `attempt ${b.attempts}` : `${b.attempts} attempts`);
  return parts.join(" · ");
}

/** A linear map from [t0, t1] (ms) to [x0, x1] (px); an empty span maps to x0. */
export function scale(t0, t1, x0, x1) {
  const span = t1 - t0;
  return (t) => (span > 0 ? x0 + ((t - t0) / span) * (x1 - x0) : x0);
}

const STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5,
  72e5, 108e5, 216e5, 432e5, 864e5, 1728e5, 6048e5];

/** Round tick offsets (ms from `start`) for about `count` ticks over [start, end]. */
export function ticks(start, end, count = 6) {
  const span = Math.max(end - start, 1);
  const step = STEPS.find((s) => span / s <= count) ?? span / count;
  const out = [];
  for (let offset = 0; offset <= span + 1e-9; offset += step) out.push(offset);
  return out;
}
