// Live refresh: a view's `reload` every few seconds, with a button to pause it. A refresh
// is skipped while the tab is hidden, a dialog is open or the last one is still running.

import { h } from "./dom.js";

const INTERVAL_MS = 3000;
let paused = sessionStorage.getItem("legato.paused") === "1";

/** A "Pause live refresh" toggle; `reload` runs every few seconds until paused. */
export function liveToggle(ctx, reload, ms = INTERVAL_MS) {
  let busy = false;
  const button = h("button", { type: "button", class: "live", "aria-pressed": String(!paused) });
  const label = () => {
    button.textContent = paused ? "Resume live refresh" : "Pause live refresh";
    button.setAttribute("aria-pressed", String(!paused));
  };
  button.addEventListener("click", () => {
    paused = !paused;
    sessionStorage.setItem("legato.paused", paused ? "1" : "0");
    label();
  });
  label();
  ctx.every(ms, async () => {
    if (paused || busy || document.hidden || document.querySelector("dialog[open]")) return;
    busy = true;
    try {
      await reload();
    } finally {
      busy = false;
    }
  });
  return button;
}
