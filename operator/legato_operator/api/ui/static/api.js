// The JSON API under /api/v1, as the SDK calls it (legato.api.operations): GETs carry
// their fields in the query string, POSTs in a JSON body; errors are ErrorBody.

const TOKEN_KEY = "legato.token";
const BASE = "/api/v1/namespaces";

/** A refused or failed call: the HTTP status and the server's message. */
export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** The bearer token the person signed in with, for this browser tab only. */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function signIn(value) {
  sessionStorage.setItem(TOKEN_KEY, value.trim());
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

async function call(method, path, fields = {}) {
  const headers = { Accept: "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  let url = path;
  let body;
  if (method === "GET") {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null && v !== "") params.set(k, v);
    if ([...params].length) url += `?${params}`;
  } else {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(fields);
  }
  let response;
  try {
    response = await fetch(url, { method, headers, body });
  } catch (e) {
    throw new ApiError(0, `The server did not answer (${e.message}).`);
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = data && data.message ? data.message : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message, data);
  }
  return data;
}

// crypto.randomUUID exists only on HTTPS and loopback pages; getRandomValues everywhere.
function uuid4() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ns = (namespace) => `${BASE}/${encodeURIComponent(namespace)}`;
const wf = (namespace, workflowId) => `${ns(namespace)}/workflows/${encodeURIComponent(workflowId)}`;

export const listNamespaces = () => call("GET", BASE, { page_size: 1000 });

export const listWorkflows = (namespace, query, pageSize, nextPageToken) =>
  call("GET", `${ns(namespace)}/workflows`, { query, page_size: pageSize, next_page_token: nextPageToken });

export const countWorkflows = (namespace, query) => call("GET", `${ns(namespace)}/workflow-count`, { query });

export const describeWorkflow = (namespace, workflowId, runId) =>
  call("GET", wf(namespace, workflowId), { run_id: runId });

export const historyPage = (namespace, workflowId, runId, pageToken) =>
  call("GET", `${wf(namespace, workflowId)}/history`, { run_id: runId, page_token: pageToken, page_size: 1000 });

/** Every event of the run, page after page (at most `limit`: a longer history is cut). */
export async function history(namespace, workflowId, runId, limit = 20000) {
  const events = [];
  let pageToken = null;
  do {
    const page = await historyPage(namespace, workflowId, runId, pageToken);
    events.push(...page.events);
    pageToken = page.next_page_token;
  } while (pageToken && events.length < limit);
  return { events, truncated: Boolean(pageToken) };
}

export const signalWorkflow = (namespace, workflowId, runId, signalName, args) =>
  call("POST", `${wf(namespace, workflowId)}/signal`, {
    run_id: runId,
    signal_name: signalName,
    args,
    identity: "legato-ui",
    request_id: uuid4(),
  });

export const queryWorkflow = (namespace, workflowId, runId, queryType, args) =>
  call("POST", `${wf(namespace, workflowId)}/query`, { run_id: runId, query_type: queryType, args, identity: "legato-ui" });

export const updateWorkflow = (namespace, workflowId, runId, name, args) =>
  call("POST", `${wf(namespace, workflowId)}/update`, {
    run_id: runId,
    update_id: uuid4(),
    name,
    args,
    wait_for_stage: "COMPLETED",
    wait: 30,
    identity: "legato-ui",
  });

export const cancelWorkflow = (namespace, workflowId, runId, reason) =>
  call("POST", `${wf(namespace, workflowId)}/cancel`, { run_id: runId, reason, identity: "legato-ui" });

export const terminateWorkflow = (namespace, workflowId, runId, reason) =>
  call("POST", `${wf(namespace, workflowId)}/terminate`, { run_id: runId, reason, identity: "legato-ui" });

export const listSchedules = (namespace, nextPageToken) =>
  call("GET", `${ns(namespace)}/schedules`, { page_size: 100, next_page_token: nextPageToken });

export const describeSchedule = (namespace, scheduleId) =>
  call("GET", `${ns(namespace)}/schedules/${encodeURIComponent(scheduleId)}`);

export const describeTaskQueue = (namespace, taskQueue) =>
  call("GET", `${ns(namespace)}/task-queues/${encodeURIComponent(taskQueue)}`);
