// Building the page from data without ever parsing it as HTML: every text a workflow
// carries (ids, payloads, failure messages) goes in as a text node.

/** An element: h("a", {href: "#/x", class: "link"}, "text", child, [more]). */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element, as `h` for HTML. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in el) {
      el.value = value;
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace everything inside `el` with `children`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** `2026-12-04 18:40:27.964 UTC` for an ISO time; "" for none. */
export function formatTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toISOString().replace("T", " ").replace("Z", " UTC");
}

/** A duration in milliseconds as a person reads it: 850 ms, 2.4 s, 3 min 5 s, 2 h, 3 d 4 h. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return both(minutes, "min", Math.round(seconds % 60), "s");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return both(hours, "h", minutes % 60, "min");
  return both(Math.floor(hours / 24), "d", hours % 24, "h");
}

// "2 h 5 min", or "2 h" when the smaller unit is zero.
function both(big, bigUnit, small, smallUnit) {
  return small ? `${big} ${bigUnit} ${small} ${smallUnit}` : `${big} ${bigUnit}`;
}

// The API's status names and Temporal's display names (count groups use the latter).
const STATUS_NAMES = {
  RUNNING: "Running",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELED: "Canceled",
  TERMINATED: "Terminated",
  CONTINUED_AS_NEW: "ContinuedAsNew",
  TIMED_OUT: "TimedOut",
};

export const STATUSES = Object.values(STATUS_NAMES);

/** "TIMED_OUT" → "TimedOut"; a name already in display form is kept. */
export function statusName(status) {
  return STATUS_NAMES[status] ?? status;
}

/** A colored status badge. */
export function statusBadge(status) {
  const name = statusName(status);
  return h("span", { class: `status status-${name.toLowerCase()}` }, name);
}

/** A link inside the page: route("namespaces", ns, "workflows", id) → "#/namespaces/ns/workflows/id". */
export function route(...parts) {
  const query = typeof parts.at(-1) === "object" ? parts.pop() : null;
  const path = "#/" + parts.map((p) => encodeURIComponent(p)).join("/");
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

/** A table: columns are [header, cell(row)] pairs; `empty` is shown when there are no rows. */
export function table(label, columns, rows, empty = "Nothing here.") {
  const head = h("thead", {}, h("tr", {}, columns.map(([name]) => h("th", { scope: "col" }, name))));
  const body = h(
    "tbody",
    {},
    rows.length
      ? rows.map((row) => h("tr", {}, columns.map(([, cell]) => h("td", {}, cell(row)))))
      : h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty)),
  );
  return h("table", { "aria-label": label }, head, body);
}

/** A definition list of [term, value] pairs, leaving out empty values. */
export function facts(label, pairs) {
  const items = pairs.filter(([, value]) => value !== undefined && value !== null && value !== "");
  return h("dl", { class: "facts", "aria-label": label }, items.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

/** An error box a screen reader announces. */
export function errorBox(error) {
  return h("div", { class: "error", role: "alert" }, errorText(error));
}

/** The text a person reads for a failed call: the server's own message where it gave one. */
export function errorText(error) {
  if (error && error.status === 401) return `${error.message} — sign in with a token (top right).`;
  if (error && error.status === 403) return `Not allowed: ${error.message}`;
  return error && error.message ? error.message : String(error);
}
