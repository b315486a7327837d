// Schedules: the namespace's list, and one schedule's spec, action, state and recent runs.

import * as api from "./api.js";
import { errorBox, facts, fill, formatDuration, formatTime, h, route, table } from "./dom.js";
import { liveToggle } from "./live.js";
import { readableDeep } from "./payloads.js";

/** "cron 0 2 * * *; every 1 h": a schedule spec in a line. */
export function specText(spec) {
  const parts = [
    ...spec.cron_expressions.map((c) => `cron ${c}`),
    ...spec.intervals.map((i) => `every ${formatDuration(i.every * 1000)}${i.offset ? ` + ${formatDuration(i.offset * 1000)}` : ""}`),
    ...spec.calendars.map((c) => c.comment || `calendar ${calendarText(c)}`),
  ];
  const zone = spec.time_zone_name ? ` (${spec.time_zone_name})` : "";
  return (parts.join("; ") || "no times") + zone;
}

// A calendar the way cron writes it ("0 2 * * 1-5": minute hour day month weekday), with
// the second in front when it is not 0 and the years after when there are any.
const FULL = { day_of_month: [1, 31], month: [1, 12], day_of_week: [0, 6] };

function calendarText(c) {
  const field = (name) => {
    const ranges = c[name];
    const full = FULL[name];
    if (full && ranges.length === 1 && ranges[0].start === full[0] && (ranges[0].end || ranges[0].start) === full[1] && ranges[0].step <= 1) {
      return "*";
    }
    return ranges.map((r) => `${r.start}${r.end > r.start ? `-${r.end}` : ""}${r.step > 1 ? `/${r.step}` : ""}`).join(",");
  };
  const second = field("second");
  const text = ["minute", "hour", "day_of_month", "month", "day_of_week"].map(field).join(" ");
  const years = c.year.length ? ` in ${field("year")}` : "";
  return `"${second === "0" ? "" : `${second} `}${text}"${years}`;
}

export async function renderList(ctx) {
  const { ns, root } = ctx;
  const box = h("div");
  const reload = async () => {
    try {
      const entries = [];
      let token = null;
      do {
        const page = await api.listSchedules(ns, token);
        entries.push(...page.schedules);
        token = page.next_page_token;
      } while (token && entries.length < 1000);
      fill(
        box,
        table(
          "Schedules",
          [
            ["Schedule ID", (e) => h("a", { href: route("namespaces", ns, "schedules", e.schedule_id) }, e.schedule_id)],
            ["Workflow type", (e) => e.info.workflow_type],
            ["Spec", (e) => specText(e.info.spec)],
            ["State", (e) => (e.info.paused ? h("span", { class: "status status-paused" }, "Paused") : h("span", { class: "status status-running" }, "Active"))],
            ["Next run (UTC)", (e) => formatTime(e.info.future_action_times[0])],
            ["Last run (UTC)", (e) => formatTime(e.info.recent_actions.at(-1)?.actual_time)],
          ],
          entries,
          "No schedules in this namespace.",
        ),
      );
    } catch (error) {
      fill(box, errorBox(error));
    }
  };
  fill(root, h("div", { class: "title-row" }, h("h1", {}, "Schedules"), liveToggle(ctx, reload)), box);
  await reload();
}

export async function renderOne(ctx) {
  const { ns, id, root } = ctx;
  const box = h("div");
  const reload = async () => {
    try {
      fill(box, scheduleView(ns, await api.describeSchedule(ns, id)));
    } catch (error) {
      fill(box, errorBox(error));
    }
  };
  fill(
    root,
    h("p", { class: "crumbs" }, h("a", { href: route("namespaces", ns, "schedules") }, "Schedules"), " / ", id),
    h("div", { class: "title-row" }, h("h1", {}, id), liveToggle(ctx, reload)),
    box,
  );
  await reload();
}

function scheduleView(ns, d) {
  const { schedule, info } = d;
  const a = schedule.action;
  const wfLink = (exec) =>
    h("a", { href: route("namespaces", ns, "workflows", exec.workflow_id, { run_id: exec.run_id }) }, exec.workflow_id);
  return [
    h(
      "section",
      { "aria-label": "Schedule" },
      h("h2", {}, "Schedule"),
      facts("Schedule", [
        ["Spec", specText(schedule.spec)],
        ["Starts", formatTime(schedule.spec.start_at)],
        ["Ends", formatTime(schedule.spec.end_at)],
        ["Jitter", schedule.spec.jitter ? formatDuration(schedule.spec.jitter * 1000) : null],
        ["State", schedule.state.paused ? "Paused" : "Active"],
        ["Notes", schedule.state.notes],
        ["Remaining actions", schedule.state.limited_actions ? String(schedule.state.remaining_actions) : null],
        ["Overlap policy", schedule.policies.overlap_policy],
        ["Catch-up window", schedule.policies.catchup_window ? formatDuration(schedule.policies.catchup_window * 1000) : null],
        ["Pause on failure", schedule.policies.pause_on_failure ? "yes" : "no"],
        ["Created", formatTime(info.create_time)],
        ["Updated", formatTime(info.update_time)],
        ["Actions taken", String(info.action_count)],
        ["Skipped (overlap)", info.overlap_skipped ? String(info.overlap_skipped) : null],
        ["Missed (catch-up window)", info.missed_catchup_window ? String(info.missed_catchup_window) : null],
      ]),
    ),
    h(
      "section",
      { "aria-label": "Action" },
      h("h2", {}, "Action"),
      facts("Action", [
        ["Workflow type", a.workflow_type],
        ["Workflow ID", `${a.workflow_id}-<time>`],
        ["Task queue", h("a", { href: route("namespaces", ns, "task-queues", a.task_queue) }, a.task_queue)],
        ["Arguments", h("pre", { class: "json" }, JSON.stringify(readableDeep(a.args), null, 2))],
      ]),
    ),
    h(
      "section",
      { "aria-label": "Runs" },
      h("h2", {}, "Runs"),
      h("h3", {}, "Running"),
      info.running_workflows.length
        ? h("ul", { class: "plain" }, info.running_workflows.map((w) => h("li", {}, wfLink(w))))
        : h("p", { class: "muted" }, "None."),
      h("h3", {}, "Recent"),
      table(
        "Recent actions",
        [
          ["Due (UTC)", (r) => formatTime(r.schedule_time)],
          ["Ran (UTC)", (r) => formatTime(r.actual_time)],
          ["Workflow", (r) => wfLink(r.start_workflow_result)],
          ["Status", (r) => r.start_workflow_status],
        ],
        [...info.recent_actions].reverse(),
        "No actions yet.",
      ),
      h("h3", {}, "Next"),
      info.future_action_times.length
        ? h("ul", { class: "plain" }, info.future_action_times.map((t) => h("li", {}, formatTime(t))))
        : h("p", { class: "muted" }, schedule.state.paused ? "None while paused." : "None."),
    ),
  ];
}
