// The workflow list: the visibility filter, counts by status, pages, live refresh.

import * as api from "./api.js";
import { STATUSES, errorBox, fill, formatTime, h, route, statusBadge, table } from "./dom.js";
import { liveToggle } from "./live.js";

const PAGE_SIZE = 20;

export async function render(ctx) {
  const { ns, root } = ctx;
  const query = ctx.query.get("query") ?? "";
  // Tokens of the pages before this one, so "Previous" can go back.
  const tokens = (ctx.query.get("pages") ?? "").split(",").filter(Boolean);
  const pageToken = tokens.at(-1) ?? null;

  const input = h("input", {
    id: "filter",
    name: "query",
    type: "search",
    value: query,
    spellcheck: "false",
    placeholder: "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'Running'",
  });
  const filter = h(
    "form",
    { class: "filter", role: "search", "aria-label": "Filter workflows" },
    h("label", { for: "filter" }, "Filter"),
    input,
    h("button", { type: "submit" }, "Apply"),
    query ? h("a", { href: route("namespaces", ns, "workflows"), class: "button" }, "Clear") : null,
  );
  filter.addEventListener("submit", (e) => {
    e.preventDefault();
    location.hash = route("namespaces", ns, "workflows", { query: input.value.trim() });
  });

  const counts = h("div", { class: "counts", "aria-label": "Counts by status", role: "group" });
  const results = h("div", { class: "results" });
  const reload = async () => {
    await Promise.all([loadCounts(ns, query, counts), loadPage(ns, query, tokens, pageToken, results)]);
  };
  fill(
    root,
    h("div", { class: "title-row" }, h("h1", {}, "Workflows"), liveToggle(ctx, reload)),
    filter,
    counts,
    results,
  );
  await reload();
}

// COUNT_WORKFLOWS with GROUP BY ExecutionStatus; an ORDER BY in the filter has no place in a count.
async function loadCounts(ns, query, box) {
  const where = query.replace(/\s+ORDER\s+BY\s+[\s\S]*$/i, "").replace(/^\s*ORDER\s+BY\s+[\s\S]*$/i, "").trim();
  try {
    const answer = await api.countWorkflows(ns, `${where} GROUP BY ExecutionStatus`.trim());
    const byStatus = Object.fromEntries(answer.groups.map((g) => [g.group_values[0], g.count]));
    fill(
      box,
      h("span", { class: "count total" }, h("strong", {}, String(answer.count)), " total"),
      STATUSES.filter((s) => byStatus[s]).map((s) =>
        h(
          "a",
          {
            class: `count count-${s.toLowerCase()}`,
            href: route("namespaces", ns, "workflows", { query: narrow(where, s) }),
            title: `Show only ${s}`,
          },
          h("strong", {}, String(byStatus[s])),
          ` ${s}`,
        ),
      ),
    );
  } catch {
    // The list below shows the filter's error; counts just stay empty.
    fill(box);
  }
}

function narrow(where, status) {
  const clause = `ExecutionStatus = '${status}'`;
  return where ? `(${where}) AND ${clause}` : clause;
}

async function loadPage(ns, query, tokens, pageToken, box) {
  let answer;
  try {
    answer = await api.listWorkflows(ns, query, PAGE_SIZE, pageToken);
  } catch (error) {
    fill(box, errorBox(error));
    return;
  }
  const link = (e) => h("a", { href: route("namespaces", ns, "workflows", e.workflow_id, { run_id: e.run_id }) }, e.workflow_id);
  const rows = table(
    "Workflows",
    [
      ["Status", (e) => statusBadge(e.status)],
      ["Workflow ID", link],
      ["Type", (e) => e.workflow_type],
      ["Task queue", (e) => h("a", { href: route("namespaces", ns, "task-queues", e.task_queue) }, e.task_queue)],
      ["Start (UTC)", (e) => h("span", { class: "nowrap" }, formatTime(e.start_time))],
      ["Close (UTC)", (e) => h("span", { class: "nowrap" }, formatTime(e.close_time))],
      ["Events", (e) => String(e.history_length)],
    ],
    answer.executions,
    "No workflow matches.",
  );
  const pages = tokens.length;
  const pager = h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    pages
      ? h("a", { class: "button", href: route("namespaces", ns, "workflows", { query, pages: tokens.slice(0, -1).join(",") }) }, "Previous page")
      : null,
    h("span", { class: "muted" }, `Page ${pages + 1}`),
    answer.next_page_token
      ? h(
          "a",
          { class: "button", href: route("namespaces", ns, "workflows", { query, pages: [...tokens, answer.next_page_token].join(",") }) },
          "Next page",
        )
      : null,
  );
  fill(box, rows, pager);
}
