// The page's shell: hash routes to views, the namespace picker and signing in.
//
//   #/namespaces/{ns}/workflows?query=...      the list (workflows.js)
//   #/namespaces/{ns}/workflows/{id}?run_id=   one run (workflow.js)
//   #/namespaces/{ns}/schedules[/{id}]         schedules (schedules.js)
//   #/namespaces/{ns}/task-queues[/{name}]     a task queue's backlog and pollers (taskqueue.js)

import * as api from "./api.js";
import { fill, h, route } from "./dom.js";
import * as schedules from "./schedules.js";
import * as taskQueue from "./taskqueue.js";
import * as workflow from "./workflow.js";
import * as workflows from "./workflows.js";

const main = document.getElementById("main");
let cleanup = null;
let current = null;

/** The route in the URL's fragment: {ns, section, id, query}. */
export function parseRoute(hash) {
  const [path, search = ""] = hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  if (parts[0] !== "namespaces" || !parts[1]) return { ns: "default", section: "workflows", id: null, query };
  return { ns: parts[1], section: parts[2] || "workflows", id: parts.length > 3 ? parts.slice(3).join("/") : null, query };
}

const VIEWS = {
  workflows: (ctx) => (ctx.id === null ? workflows.render(ctx) : workflow.render(ctx)),
  schedules: (ctx) => (ctx.id === null ? schedules.renderList(ctx) : schedules.renderOne(ctx)),
  "task-queues": (ctx) => taskQueue.render(ctx),
};

function show() {
  if (cleanup) cleanup();
  cleanup = null;
  current = parseRoute(location.hash);
  const view = VIEWS[current.section] ?? VIEWS.workflows;
  updateShell(current);
  fill(main);
  const timers = [];
  const ctx = {
    ...current,
    root: main,
    // Views register what to stop (intervals) when the route changes.
    every(ms, fn) {
      timers.push(setInterval(fn, ms));
    },
    refresh: show,
  };
  cleanup = () => timers.forEach(clearInterval);
  Promise.resolve(view(ctx)).catch((error) => {
    main.append(h("div", { class: "error", role: "alert" }, String(error && error.message ? error.message : error)));
  });
}

function updateShell({ ns, section }) {
  const input = document.getElementById("namespace");
  if (document.activeElement !== input) input.value = ns;
  for (const name of ["workflows", "schedules", "task-queues"]) {
    const link = document.getElementById(`nav-${name}`);
    link.href = route("namespaces", ns, name);
    if (name === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function namespacePicker() {
  const form = document.getElementById("namespace-form");
  const input = document.getElementById("namespace");
  const go = () => {
    const ns = input.value.trim();
    if (ns && current && ns !== current.ns) location.hash = route("namespaces", ns, current.section);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    go();
  });
  input.addEventListener("change", go);
  loadNamespaces();
}

// Listing namespaces needs a token of every namespace; anyone else types theirs.
async function loadNamespaces() {
  const list = document.getElementById("namespace-list");
  try {
    const answer = await api.listNamespaces();
    fill(list, answer.namespaces.map((n) => h("option", { value: n.namespace_info.name })));
  } catch {
    fill(list);
  }
}

function authBox() {
  const box = document.getElementById("auth");
  if (api.token()) {
    fill(
      box,
      h("span", { class: "muted" }, "Signed in"),
      h("button", { type: "button", onclick: () => (api.signOut(), authBox(), loadNamespaces(), show()) }, "Sign out"),
    );
    return;
  }
  const input = h("input", {
    id: "token",
    type: "password",
    autocomplete: "off",
    placeholder: "Bearer token",
    "aria-label": "Bearer token",
  });
  const form = h(
    "form",
    { class: "signin", "aria-label": "Sign in" },
    input,
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (!input.value.trim()) return;
    api.signIn(input.value);
    authBox();
    loadNamespaces();
    show();
  });
  fill(box, form);
}

window.addEventListener("hashchange", show);
namespacePicker();
authBox();
show();
