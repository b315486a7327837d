// Drawing a timeline (timeline.js's bars) as SVG: one row per bar, a time axis on top.

import { formatDuration, s } from "./dom.js";
import { scale, ticks } from "./timeline.js";

const WIDTH = 1000;
const LABEL_WIDTH = 300;
const ROW = 26;
const AXIS = 28;
const PAD = 12;

/** The SVG of a timeline; every bar is a <g class="bar" data-kind=...> with a <title>. */
export function timelineSvg(model) {
  const x = scale(model.start, model.end, LABEL_WIDTH, WIDTH - PAD);
  const height = AXIS + model.bars.length * ROW + PAD;
  const axis = ticks(model.start, model.end).map((offset) =>
    s(
      "g",
      { class: "tick" },
      s("line", { x1: x(model.start + offset), x2: x(model.start + offset), y1: AXIS - 6, y2: height - PAD }),
      s("text", { x: x(model.start + offset), y: AXIS - 10, "text-anchor": "middle" }, `+${formatDuration(offset)}`),
    ),
  );
  const rows = model.bars.map((bar, i) => barRow(bar, i, x));
  return s(
    "svg",
    {
      class: "timeline",
      viewBox: `0 0 ${WIDTH} ${height}`,
      width: "100%",
      role: "img",
      "aria-label": "Timeline",
      preserveAspectRatio: "xMinYMin meet",
    },
    s("title", {}, `Timeline: ${model.bars.length} bars over ${formatDuration(model.end - model.start)}`),
    axis,
    rows,
  );
}

function barRow(bar, i, x) {
  const y = AXIS + i * ROW;
  const x0 = x(bar.start);
  const width = Math.max(x(bar.end) - x0, 3);
  const outcome = bar.outcome.replace(/\s+/g, "-");
  const parts = [
    s("rect", { class: "row", x: 0, y, width: WIDTH, height: ROW }),
    s("text", { class: "label", x: 8, y: y + ROW / 2 + 4 }, clip(bar.label, 46)),
    s("rect", { class: `span outcome-${outcome}${bar.open ? " open" : ""}`, x: x0, y: y + 5, width, height: ROW - 10, rx: 3 }),
  ];
  // Where the last attempt started (known once it closed), as a mark on the bar.
  if (bar.started && bar.started > bar.start && bar.started < bar.end) {
    parts.push(s("line", { class: "started", x1: x(bar.started), x2: x(bar.started), y1: y + 3, y2: y + ROW - 3 }));
  }
  // Retries: one dot per attempt before the last, at the bar's start.
  for (let n = 1; n < Math.min(bar.attempts, 10); n += 1) {
    parts.push(s("circle", { class: "attempt", cx: x0 + 4 + (n - 1) * 7, cy: y + ROW / 2, r: 2.5 }));
  }
  const tooltip = [
    bar.label,
    `${formatDuration(bar.end - bar.start)}${bar.open ? " so far" : ""}`,
    bar.failure ? `last failure: ${bar.failure.message}` : "",
    `events ${bar.eventIds.join(", ")}`,
  ].filter(Boolean);
  return s(
    "g",
    { class: "bar", "data-kind": bar.kind, "data-outcome": bar.outcome, "data-attempts": bar.attempts, "aria-label": bar.label },
    s("title", {}, tooltip.join("\n")),
    parts,
  );
}

function clip(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
