// One run: its summary, input and result, pending work, the timeline, the history, and
// the actions (signal, query, update, cancel, terminate), each confirmed in a dialog.

import * as api from "./api.js";
import { confirmAction } from "./dialog.js";
import { errorBox, facts, fill, formatDuration, formatTime, h, route, statusBadge, table } from "./dom.js";
import { isWorkflowTaskEvent, summary, tone } from "./events.js";
import { liveToggle } from "./live.js";
import { decode, parseArgs, readable, readableDeep } from "./payloads.js";
import { timelineOf } from "./timeline.js";
import { timelineSvg } from "./timeline-view.js";

export async function render(ctx) {
  const { ns, id, root } = ctx;
  const runId = ctx.query.get("run_id") || undefined;
  const state = { openEvents: new Set(), hideTaskEvents: false, describe: null, history: null };
  const actions = h("div", { class: "actions", role: "toolbar", "aria-label": "Actions" });
  const body = h("div", { class: "workflow-body" });
  const heading = h("h1", {}, id);
  const badge = h("span");
  const reload = async () => {
    try {
      const describe = await api.describeWorkflow(ns, id, runId);
      // The history is read again only when it grew (or the run changed): a long one is many pages.
      const known = state.history && state.describe;
      if (!known || state.describe.run_id !== describe.run_id || state.describe.history_length !== describe.history_length) {
        state.history = await api.history(ns, id, describe.run_id);
      }
      const history = state.history;
      state.describe = describe;
      fill(badge, statusBadge(describe.status));
      fill(body, sections(ctx, state, describe, history));
      fill(actions, actionButtons(ctx, state, reload));
    } catch (error) {
      fill(body, errorBox(error));
    }
  };
  fill(
    root,
    h("p", { class: "crumbs" }, h("a", { href: route("namespaces", ns, "workflows") }, "Workflows"), " / ", id),
    h("div", { class: "title-row" }, heading, badge, liveToggle(ctx, () => (isOpen(state) ? reload() : null))),
    actions,
    body,
  );
  await reload();
}

const isOpen = (state) => state.describe && state.describe.status === "RUNNING";

function sections(ctx, state, d, history) {
  const started = history.events.find((e) => e.attributes.type === "WorkflowExecutionStarted");
  return [
    section("Summary", summaryFacts(ctx, d, history.events)),
    section(
      "Input and result",
      h("h3", {}, "Input"),
      payloadList(started ? started.attributes.input : []),
      d.result ? [h("h3", {}, "Result"), payloadView(d.result)] : null,
      d.failure ? [h("h3", {}, "Failure"), failureView(d.failure)] : null,
      !d.result && !d.failure ? h("p", { class: "muted" }, d.status === "RUNNING" ? "Still running." : "No result.") : null,
    ),
    d.pending_activities.length ? section("Pending activities", pendingActivities(d.pending_activities)) : null,
    d.pending_workflow_task && d.pending_workflow_task.attempt > 1
      ? section("Workflow task", workflowTask(d.pending_workflow_task))
      : null,
    section("Timeline", timeline(d, history.events)),
    section("History", historyTable(ctx, state, history)),
  ];
}

function section(title, ...content) {
  const slug = title.toLowerCase().replace(/\W+/g, "-");
  return h("section", { "aria-labelledby": `h-${slug}` }, h("h2", { id: `h-${slug}` }, title), content);
}

function summaryFacts(ctx, d, events) {
  const link = (exec) =>
    exec ? h("a", { href: route("namespaces", ctx.ns, "workflows", exec.workflow_id, { run_id: exec.run_id }) }, exec.workflow_id) : null;
  const runLink = (runId) => (runId ? h("a", { href: route("namespaces", ctx.ns, "workflows", d.workflow_id, { run_id: runId }) }, runId) : null);
  const end = d.close_time ? Date.parse(d.close_time) : Date.now();
  return facts("Summary", [
    ["Type", d.workflow_type],
    ["Workflow ID", d.workflow_id],
    ["Run ID", d.run_id],
    ["Status", statusBadge(d.status)],
    ["Start", formatTime(d.start_time)],
    ["Execution time", d.execution_time && d.execution_time !== d.start_time ? formatTime(d.execution_time) : null],
    ["Close", formatTime(d.close_time)],
    ["Duration", `${formatDuration(end - Date.parse(d.start_time))}${d.close_time ? "" : " so far"}`],
    ["Task queue", h("a", { href: route("namespaces", ctx.ns, "task-queues", d.task_queue) }, d.task_queue)],
    ["History", `${d.history_length} events, ${d.history_size_bytes} bytes`],
    ["Attempt", d.attempt > 1 ? String(d.attempt) : null],
    ["Parent", link(d.parent_execution)],
    // The top of the tree, when it is neither this run nor its parent.
    ["Root", isOther(d.root_execution, d.workflow_id, d.parent_execution) ? link(d.root_execution) : null],
    ["Children", childrenOf(ctx, d, events)],
    ["Continued from", runLink(d.continued_run_id)],
    ["Continued as", runLink(d.new_execution_run_id)],
    ["Memo", mapView(d.memo)],
    ["Search attributes", mapView(d.search_attributes)],
  ]);
}

function isOther(root, workflowId, parent) {
  return Boolean(root) && root.workflow_id !== workflowId && !(parent && parent.workflow_id === root.workflow_id);
}

// Children from the history (started ones, closed or not) and the describe's pending list.
function childrenOf(ctx, d, events) {
  const children = new Map();
  for (const e of events) {
    const a = e.attributes;
    if (a.type === "ChildWorkflowExecutionStarted") children.set(a.workflow_execution.workflow_id, a.workflow_execution);
  }
  for (const p of d.pending_children) children.set(p.workflow_id, { workflow_id: p.workflow_id, run_id: p.run_id });
  if (!children.size) return null;
  return h(
    "ul",
    { class: "plain" },
    [...children.values()].map((c) =>
      h("li", {}, h("a", { href: route("namespaces", ctx.ns, "workflows", c.workflow_id, { run_id: c.run_id }) }, c.workflow_id)),
    ),
  );
}

function mapView(map) {
  const entries = Object.entries(map || {});
  if (!entries.length) return null;
  return h("ul", { class: "plain" }, entries.map(([k, p]) => h("li", {}, h("code", {}, k), " = ", payloadInline(p))));
}

function payloadInline(p) {
  return h("code", {}, JSON.stringify(readable(p)));
}

/** A payload: its JSON when json/plain, else its encoding and base64 bytes. */
export function payloadView(p) {
  const d = decode(p);
  if (d.decoded) return h("pre", { class: "json" }, JSON.stringify(d.value, null, 2));
  return h(
    "div",
    { class: "opaque" },
    h("p", {}, `Encoding ${d.encoding}, ${d.size} bytes (not decoded):`),
    h("pre", { class: "json" }, d.base64),
  );
}

function payloadList(list) {
  if (!list || !list.length) return h("p", { class: "muted" }, "None.");
  return h("ol", { class: "payloads" }, list.map((p) => h("li", {}, payloadView(p))));
}

function failureView(f) {
  const chain = [];
  for (let c = f; c; c = c.cause) chain.push(c);
  return h(
    "div",
    { class: "failure" },
    chain.map((c, i) =>
      h("div", {}, h("strong", {}, `${i ? "Caused by " : ""}${c.type || c.kind}: `), c.message, c.stack_trace ? h("pre", {}, c.stack_trace) : null),
    ),
  );
}

function pendingActivities(list) {
  return table(
    "Pending activities",
    [
      ["Activity ID", (p) => p.activity_id],
      ["Type", (p) => p.activity_type],
      ["State", (p) => p.state],
      ["Attempt", (p) => String(p.attempt)],
      ["Next attempt (UTC)", (p) => formatTime(p.next_attempt_time)],
      ["Last failure", (p) => (p.last_failure ? `${p.last_failure.type ? `${p.last_failure.type}: ` : ""}${p.last_failure.message}` : "")],
    ],
    list,
  );
}

function workflowTask(t) {
  return facts("Workflow task", [
    ["State", t.state],
    ["Attempt", String(t.attempt)],
    ["Last failure cause", t.last_failure_cause],
    ["Last failure", t.last_failure ? t.last_failure.message : null],
    ["Last failure time", formatTime(t.last_failure_time)],
  ]);
}

function timeline(d, events) {
  const model = timelineOf(events, { now: Date.now(), pending: d.pending_activities });
  const legend = h(
    "p",
    { class: "legend muted" },
    "Bars run from scheduled to closed; a tick marks when the last attempt started, a dot each earlier attempt. Hover a bar for details.",
  );
  return [h("div", { class: "timeline-box" }, timelineSvg(model)), legend];
}

function historyTable(ctx, state, history) {
  const box = h("div");
  const toggle = h("input", { type: "checkbox", id: "hide-task-events", checked: state.hideTaskEvents });
  const draw = () => {
    const events = state.hideTaskEvents ? history.events.filter((e) => !isWorkflowTaskEvent(e)) : history.events;
    fill(
      box,
      table(
        "History",
        [
          ["ID", (e) => String(e.event_id)],
          ["Time (UTC)", (e) => h("span", { class: "nowrap" }, formatTime(e.event_time))],
          ["Type", (e) => h("span", { class: `event ${tone(e)}` }, e.attributes.type)],
          ["Details", (e) => eventDetails(state, e)],
        ],
        events,
      ),
    );
  };
  toggle.addEventListener("change", () => {
    state.hideTaskEvents = toggle.checked;
    draw();
  });
  draw();
  return [
    h("p", { class: "options" }, toggle, " ", h("label", { for: "hide-task-events" }, "Hide workflow task events")),
    history.truncated ? h("p", { class: "muted" }, `Showing the first ${history.events.length} events.`) : null,
    box,
  ];
}

function eventDetails(state, e) {
  const details = h(
    "details",
    { open: state.openEvents.has(e.event_id) },
    h("summary", {}, summary(e) || "attributes"),
    h("pre", { class: "json" }, JSON.stringify(readableDeep(e.attributes), null, 2)),
  );
  // Kept open across live refreshes.
  details.addEventListener("toggle", () => {
    if (details.open) state.openEvents.add(e.event_id);
    else state.openEvents.delete(e.event_id);
  });
  return details;
}

// --- actions ------------------------------------------------------------------------------

const ARGS_HINT = "JSON: an array holds one argument per item; any other value is the one argument.";

function argsField() {
  return { name: "args", label: "Arguments (JSON)", multiline: true, placeholder: '["value"]', hint: ARGS_HINT };
}

function actionButtons(ctx, state, reload) {
  const d = state.describe;
  const open = d.status === "RUNNING";
  const who = `${d.workflow_id}`;
  const run = d.run_id;
  const button = (label, enabled, onclick, cls = "") =>
    h("button", { type: "button", class: cls, disabled: !enabled, title: enabled ? null : "The run is closed", onclick }, label);
  const after = (ok) => ok && reload();
  return [
    button("Signal", open, () =>
      confirmAction({
        title: `Signal ${who}?`,
        message: "The workflow's signal handler receives the arguments.",
        fields: [{ name: "name", label: "Signal name" }, argsField()],
        confirm: "Send signal",
        action: (v) => api.signalWorkflow(ctx.ns, d.workflow_id, run, v.name.trim(), parseArgs(v.args)),
      }).then(after),
    ),
    button("Query", true, () =>
      confirmAction({
        title: `Query ${who}`,
        message: "A worker answers from the run's state; nothing is written to its history.",
        fields: [{ name: "name", label: "Query name" }, argsField()],
        confirm: "Run query",
        action: (v) => api.queryWorkflow(ctx.ns, d.workflow_id, run, v.name.trim(), parseArgs(v.args)),
        show: (answer) => answerView("Answer", answer),
      }),
    ),
    button("Update", open, () =>
      confirmAction({
        title: `Update ${who}?`,
        message: "The workflow's update handler runs with the arguments and may change its state.",
        fields: [{ name: "name", label: "Update name" }, argsField()],
        confirm: "Send update",
        action: (v) => api.updateWorkflow(ctx.ns, d.workflow_id, run, v.name.trim(), parseArgs(v.args)),
        show: (answer) => answerView(`Update ${answer.stage.toLowerCase()}`, answer.outcome ?? {}),
      }).then(after),
    ),
    button("Cancel", open, () =>
      confirmAction({
        title: `Cancel ${who}?`,
        message: "The workflow is asked to cancel; it may clean up before it closes.",
        fields: [{ name: "reason", label: "Reason" }],
        confirm: "Request cancellation",
        danger: true,
        action: (v) => api.cancelWorkflow(ctx.ns, d.workflow_id, run, v.reason),
      }).then(after),
      "warn",
    ),
    button("Terminate", open, () =>
      confirmAction({
        title: `Terminate ${who}?`,
        message: "The run stops at once, without running any more of its code. This cannot be undone.",
        fields: [{ name: "reason", label: "Reason" }],
        confirm: "Terminate",
        danger: true,
        action: (v) => api.terminateWorkflow(ctx.ns, d.workflow_id, run, v.reason),
      }).then(after),
      "danger",
    ),
  ];
}

// A query's or an update's answer: the result decoded, or the failure's message.
function answerView(title, answer) {
  if (answer.rejected) return h("div", { class: "error", role: "alert" }, `Rejected: the run is ${answer.rejected}.`);
  const failure = answer.failure;
  if (failure) return h("div", { class: "error", role: "alert" }, `${failure.type ? `${failure.type}: ` : ""}${failure.message}`);
  const result = answer.result ?? (answer.success ? answer.success[0] : null);
  return h(
    "div",
    { class: "answer", role: "status", "aria-label": title },
    h("h3", {}, title),
    result ? payloadView(result) : h("p", { class: "muted" }, "No value."),
  );
}
