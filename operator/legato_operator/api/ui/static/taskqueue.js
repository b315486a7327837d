// A task queue: the tasks waiting and running, and the workers polling it.

import * as api from "./api.js";
import { errorBox, facts, fill, formatDuration, h, route } from "./dom.js";
import { liveToggle } from "./live.js";

export async function render(ctx) {
  const { ns, id, root } = ctx;
  const input = h("input", { id: "task-queue", name: "task_queue", type: "text", value: id ?? "", spellcheck: "false" });
  const form = h(
    "form",
    { class: "filter", "aria-label": "Task queue" },
    h("label", { for: "task-queue" }, "Task queue name"),
    input,
    h("button", { type: "submit" }, "Show"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.value.trim()) location.hash = route("namespaces", ns, "task-queues", input.value.trim());
  });
  const box = h("div");
  const reload = async () => {
    if (!id) return;
    try {
      fill(box, queueView(await api.describeTaskQueue(ns, id)));
    } catch (error) {
      fill(box, errorBox(error));
    }
  };
  fill(
    root,
    h("div", { class: "title-row" }, h("h1", {}, id ? `Task queue ${id}` : "Task queues"), id ? liveToggle(ctx, reload) : null),
    form,
    id ? box : h("p", { class: "muted" }, "Type a task queue's name, or follow one from a workflow."),
  );
  await reload();
}

function queueView(q) {
  return h(
    "section",
    { "aria-label": "Backlog" },
    h("h2", {}, "Backlog and pollers"),
    facts("Backlog", [
      ["Workflow tasks waiting", String(q.workflow_tasks)],
      ["Activity tasks waiting", String(q.activity_tasks)],
      ["Tasks running", String(q.running)],
      ["Backlog (waiting + running)", String(q.backlog)],
      ["Oldest waiting task", q.oldest_task_age ? formatDuration(q.oldest_task_age * 1000) : "none waiting"],
      ["Pollers (last minute)", String(q.pollers)],
    ]),
  );
}
