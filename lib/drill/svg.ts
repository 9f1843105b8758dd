import {
  figureText,
  formatSeconds,
  inLocalTerms,
  lostText,
  NOT_APPLICABLE,
  NOT_MEASURED,
  notApplicableFigures,
  type DrillEvent,
  type DrillReport,
  type ScenarioReport,
} from "./report";
import { findScenario } from "./scenarios";
import type { DrillScenario } from "./scenarios";

/** The chart's colours, one meaning each (the legend shows them all). */
export const COLOURS = {
  probeOk: "#2ca02c",
  probeFailed: "#d62728",
  acked: "#1f77b4",
  failedWrite: "#d62728",
  fault: "#d62728",
  faultCleared: "#8c564b",
  replayPaused: "#bcbd22",
  decision: "#ff7f0e",
  fenced: "#7f7f7f",
  approved: "#17becf",
  promotion: "#9467bd",
  restore: "#e377c2",
  writerSwitched: "#2ca02c",
  firstWrite: "#1f77b4",
} as const;

/** Events drawn as labelled vertical markers, with their colour and label (the rest are lanes or omitted). */
const MARKERS: Readonly<Record<string, { readonly colour: string; readonly label: string }>> = {
  "fault-injected": { colour: COLOURS.fault, label: "fault" },
  "fault-cleared": { colour: COLOURS.faultCleared, label: "fault cleared" },
  "replay-paused": { colour: COLOURS.replayPaused, label: "replay paused" },
  decision: { colour: COLOURS.decision, label: "decision" },
  fenced: { colour: COLOURS.fenced, label: "fenced" },
  approved: { colour: COLOURS.approved, label: "approved" },
  "promote-called": { colour: COLOURS.promotion, label: "promote" },
  promoted: { colour: COLOURS.promotion, label: "promoted" },
  "restore-called": { colour: COLOURS.restore, label: "restore" },
  restored: { colour: COLOURS.restore, label: "restored" },
  "writer-switched": { colour: COLOURS.writerSwitched, label: "writer switched" },
  "first-write": { colour: COLOURS.firstWrite, label: "first write" },
};

/** A decision marker's label, by the decision's kind (its detail starts with `<kind>: `). */
const DECISION_LABELS: Readonly<Record<string, string>> = {
  "promote-replica": "decision: promote",
  "complete-failover": "decision: complete",
  "restore-in-dr-region": "decision: restore",
  "alert-only": "alert",
  blocked: "blocked",
};

export const WIDTH = 1100;
const MARGIN_LEFT = 120;
const MARGIN_RIGHT = 30;
const PLOT_WIDTH = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
/** Height of one row of marker labels. */
const LABEL_ROW_HEIGHT = 13;
/** Acknowledged-write bars are at most this tall; failed-write bars at most `FAILED_MAX_HEIGHT`. */
const ACKED_MAX_HEIGHT = 60;
const FAILED_MAX_HEIGHT = 30;
/** The smallest failed-write bar, so that a single failed attempt is seen. */
export const FAILED_MIN_WIDTH = 3;
export const FAILED_MIN_HEIGHT = 6;
/**
 * Width of one character as a share of the font size: a little above DejaVu Sans' and Arial's
 * average, so that estimated label boxes are never smaller than the drawn text.
 */
const CHAR_WIDTH_EM = 0.62;
const BOLD_CHAR_WIDTH_EM = 0.68;

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();
const r2 = (n: number): string => (Math.round(n * 100) / 100).toString();
const textWidth = (text: string, fontSize = 11, bold = false): number =>
  text.length * fontSize * (bold ? BOLD_CHAR_WIDTH_EM : CHAR_WIDTH_EM);

/** The x range every panel shares, seconds relative to the fault. */
export interface TimeRange {
  readonly from: number;
  readonly to: number;
}

/** One range for the whole run, so that the panels compare: the union of every scenario's events and writes. */
export function sharedRange(scenarios: readonly ScenarioReport[]): TimeRange {
  let from = 0;
  let to = 1;
  for (const s of scenarios) {
    for (const e of s.timeline) {
      from = Math.min(from, e.offsetSeconds);
      to = Math.max(to, e.offsetSeconds);
    }
    if (s.writes) {
      from = Math.min(from, s.writes.startOffsetSeconds);
      to = Math.max(to, s.writes.startOffsetSeconds + (s.writes.acked.length * s.writes.bucketMs) / 1000);
    }
  }
  return { from: Math.floor(from), to: Math.ceil(to) };
}

/** The tick step: the smallest of the usual steps that keeps ticks at least 40 px apart. */
function tickStep(range: TimeRange): number {
  const span = range.to - range.from;
  return [1, 2, 5, 10, 15, 30, 60, 120, 300, 600].find((s) => (s / span) * PLOT_WIDTH >= 40) ?? 1200;
}

/**
 * Renders the drill's timeline chart: a legend, then one panel per scenario, all on one time
 * scale (seconds relative to the fault) so that the panels compare. Lanes, top to bottom:
 * labelled vertical markers (fault, decisions, fencing, approval, promotion or restore, the
 * `writer` switch, the first write after the fault), probe results (green ok, red failed),
 * acknowledged writes per 250 ms (blue bars above the line) and failed attempts (red bars below
 * it). Every mark has a `<title>` tooltip; the engine's sentences are in the drill's terms.
 */
export function renderTimelineSvg(report: DrillReport): string {
  const range = sharedRange(report.scenarios);
  const legend = renderLegend(40);
  const out: string[] = [];
  let y = legend.bottom + 8;
  let right = 0;
  for (const s of report.scenarios) {
    const panel = renderPanel(s, y, range);
    out.push(panel.svg);
    y = panel.bottom;
    right = Math.max(right, panel.right);
  }
  const height = Math.ceil(y + 10);
  // Labels of markers near the end of the range may run past the plot: the canvas holds them.
  const width = Math.max(WIDTH, Math.ceil(right + 10));
  const title = `TapStack DR drill — ${report.startedAt} — ${report.passed ? "passed" : "FAILED"}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    legend.svg,
    ...out,
    `</svg>`,
    "",
  ].join("\n");
}

/** The legend: what every colour and mark means, and how to read the figures and the time axis. */
function renderLegend(top: number): { svg: string; bottom: number } {
  const out: string[] = [`<g class="legend">`];
  let x = 10;
  let y = top + 10;
  const item = (swatch: (x: number, y: number) => string, label: string) => {
    const width = 16 + textWidth(label) + 18;
    if (x + width > WIDTH - MARGIN_RIGHT) {
      x = 10;
      y += 18;
    }
    out.push(
      `<g class="legend-item">${swatch(x, y)}<text x="${r1(x + 16)}" y="${y + 4}">${escapeXml(label)}</text></g>`,
    );
    x += width;
  };
  const dot = (colour: string) => (px: number, py: number) =>
    `<circle cx="${px + 5}" cy="${py}" r="5" fill="${colour}"/>`;
  const bar = (colour: string) => (px: number, py: number) =>
    `<rect x="${px + 2}" y="${py - 6}" width="7" height="12" fill="${colour}"/>`;
  const line = (colour: string) => (px: number, py: number) =>
    `<line x1="${px + 5}" y1="${py - 7}" x2="${px + 5}" y2="${py + 7}" stroke="${colour}" stroke-width="2" stroke-dasharray="4 2"/>`;
  item(dot(COLOURS.probeOk), "probe answered");
  item(dot(COLOURS.probeFailed), "probe failed");
  item(bar(COLOURS.acked), "commits acknowledged / 250 ms (above the line)");
  item(bar(COLOURS.failedWrite), "failed write attempts / 250 ms (below the line)");
  x = 10;
  y += 18;
  item(line(COLOURS.fault), "fault (or request)");
  item(line(COLOURS.faultCleared), "fault cleared");
  item(line(COLOURS.replayPaused), "replay paused");
  item(line(COLOURS.decision), "decision / alert");
  item(line(COLOURS.fenced), "fenced");
  item(line(COLOURS.approved), "approved");
  item(line(COLOURS.promotion), "promote / promoted");
  item(line(COLOURS.restore), "restore / restored");
  item(line(COLOURS.writerSwitched), "writer switched");
  item(line(COLOURS.firstWrite), "first write");
  y += 20;
  out.push(
    `<text x="10" y="${y}" fill="#444">${escapeXml(
      `Time: seconds after the fault (for switchover the request, for restore-test its start); one scale for every panel. ` +
        `Figures: ${NOT_APPLICABLE} = does not apply to the scenario, ${NOT_MEASURED} = not measured.`,
    )}</text>`,
  );
  out.push(`</g>`);
  return { svg: out.join("\n"), bottom: y + 6 };
}

/** A placed label: its row and its box (left, right); it starts just right of its line. */
interface PlacedLabel {
  readonly row: number;
  readonly x0: number;
  readonly x1: number;
  readonly lineX: number;
}

/**
 * Places marker labels in rows above the lanes, each starting just right of its line. A marker's
 * line runs from its label's row down to the axis, so a label may neither overlap another label of
 * its row nor be crossed by the line of a marker whose label sits higher, and a line may not cross
 * a lower label. Markers come sorted by x; each label takes the first row where it fits (the row
 * below every other always does: the lines before it are left of it). A label may run past the
 * plot's right edge: the chart widens to hold it.
 */
export function placeLabels(
  markers: readonly { readonly x: number; readonly width: number }[],
): PlacedLabel[] {
  const placed: PlacedLabel[] = [];
  for (const m of markers) {
    const x0 = m.x + 3;
    const x1 = m.x + 3 + m.width;
    const clash = (row: number) =>
      placed.some(
        (p) =>
          (p.row === row && p.x0 < x1 + 4 && x0 < p.x1 + 4) ||
          // this line would cross a lower label, or a higher marker's line this label
          (p.row > row && m.x >= p.x0 - 2 && m.x <= p.x1 + 2) ||
          (p.row < row && p.lineX >= x0 - 2 && p.lineX <= x1 + 2),
      );
    let row = 0;
    while (clash(row)) row++;
    placed.push({ row, x0, x1, lineX: m.x });
  }
  return placed;
}

/** The marker's label: its kind of event (a decision by its kind, the fault by the scenario) and its time. */
function markerLabel(e: DrillEvent, def: DrillScenario | undefined): string {
  let label = MARKERS[e.event].label;
  if (e.event === "decision") label = DECISION_LABELS[e.detail.split(":")[0]] ?? label;
  if (e.event === "fault-injected" && def?.requested !== undefined) label = def.requested;
  return `${label} ${formatSeconds(e.offsetSeconds)}`;
}

function renderPanel(
  s: ScenarioReport,
  top: number,
  range: TimeRange,
): { svg: string; bottom: number; right: number } {
  const def = findScenario(s.name);
  const x = (offsetSeconds: number) =>
    MARGIN_LEFT + ((offsetSeconds - range.from) / (range.to - range.from)) * PLOT_WIDTH;
  const na = notApplicableFigures(s);
  const markers = s.timeline
    .filter((e) => MARKERS[e.event] !== undefined)
    .filter((e) => !(e.event === "decision" && e.detail.startsWith("none")))
    // Where clients saw no outage, their first write after the fault marks nothing.
    .filter((e) => !(e.event === "first-write" && na.has("rto")))
    .map((e) => ({ event: e, label: markerLabel(e, def), px: x(e.offsetSeconds) }))
    .sort((a, b) => a.px - b.px);
  const placed = placeLabels(markers.map((m) => ({ x: m.px, width: textWidth(m.label) })));
  const rows = Math.max(1, ...placed.map((p) => p.row + 1));

  const labelTop = top + 40;
  const probeY = labelTop + (rows - 1) * LABEL_ROW_HEIGHT + 18;
  const writesBase = probeY + ACKED_MAX_HEIGHT + 18;
  const axisY = writesBase + FAILED_MAX_HEIGHT + 8;
  const bottom = axisY + 26;
  const out: string[] = [];

  const f = s.figures;
  const figures = f
    ? `detection ${figureText(s, "detection")} · promotion ${figureText(s, "promotion")} · ` +
      `writer switched ${figureText(s, "writerSwitched")} · RTO ${figureText(s, "rto")} · lost commits ${lostText(f)}`
    : (s.error ?? "");
  out.push(`<g class="scenario" data-scenario="${escapeXml(s.name)}">`);
  out.push(`<line x1="10" y1="${top}" x2="${WIDTH - 10}" y2="${top}" stroke="#ddd"/>`);
  out.push(
    `<text x="10" y="${top + 20}" font-size="13" font-weight="bold" fill="${s.passed ? "#2ca02c" : "#d62728"}">` +
      `${escapeXml(s.name)} — ${s.passed ? "passed" : "FAILED"}</text>`,
  );
  out.push(`<text class="figures" x="250" y="${top + 20}">${escapeXml(figures)}</text>`);
  out.push(`<text x="10" y="${probeY + 4}">monitor probes</text>`);
  out.push(`<text x="10" y="${writesBase - 20}">writes / 250 ms</text>`);
  out.push(`<text x="10" y="${writesBase + 18}" fill="${COLOURS.failedWrite}">failed writes</text>`);
  out.push(`<text x="10" y="${axisY + 14}" fill="#444">time (s)</text>`);

  // The time axis, the same in every panel.
  const step = tickStep(range);
  out.push(
    `<line x1="${MARGIN_LEFT}" y1="${axisY}" x2="${WIDTH - MARGIN_RIGHT}" y2="${axisY}" stroke="#333"/>`,
  );
  for (let t = Math.ceil(range.from / step) * step; t <= range.to; t += step) {
    out.push(`<line x1="${r1(x(t))}" y1="${axisY}" x2="${r1(x(t))}" y2="${axisY + 4}" stroke="#333"/>`);
    out.push(`<text x="${r1(x(t))}" y="${axisY + 16}" text-anchor="middle">${t}</text>`);
  }

  // Marker lines first: the bars and probes they pass stay visible on top of them.
  markers.forEach((m, i) => {
    const p = placed[i];
    const { colour } = MARKERS[m.event.event];
    const baseline = labelTop + p.row * LABEL_ROW_HEIGHT;
    const tip = escapeXml(`${r2(m.event.offsetSeconds)} s ${m.event.event}: ${inLocalTerms(m.event.detail)}`);
    out.push(
      `<line class="marker" data-event="${m.event.event}" x1="${r1(m.px)}" y1="${baseline - 9}" x2="${r1(m.px)}" y2="${axisY}" stroke="${colour}" stroke-width="1.5" stroke-dasharray="4 2"><title>${tip}</title></line>`,
    );
    out.push(
      `<text class="marker-label" x="${r1(p.x0)}" y="${baseline}" fill="${colour}">${escapeXml(m.label)}<title>${tip}</title></text>`,
    );
  });
  const writes = s.writes;
  if (writes) {
    const max = Math.max(1, ...writes.acked, ...writes.failed);
    const bucketPx = (writes.bucketMs / 1000 / (range.to - range.from)) * PLOT_WIDTH;
    const ackWidth = Math.max(1, bucketPx - 0.5);
    const failedWidth = Math.max(FAILED_MIN_WIDTH, bucketPx - 0.5);
    writes.acked.forEach((n, i) => {
      if (n === 0) return;
      const t = writes.startOffsetSeconds + (i * writes.bucketMs) / 1000;
      const h = (n / max) * ACKED_MAX_HEIGHT;
      out.push(
        `<rect class="ack" x="${r1(x(t))}" y="${r1(writesBase - h)}" width="${r1(ackWidth)}" height="${r1(h)}" fill="${COLOURS.acked}"><title>${n} commits acknowledged at ${r2(t)} s</title></rect>`,
      );
    });
    writes.failed.forEach((n, i) => {
      if (n === 0) return;
      const t = writes.startOffsetSeconds + (i * writes.bucketMs) / 1000;
      const h = Math.min(FAILED_MAX_HEIGHT, Math.max(FAILED_MIN_HEIGHT, (n / max) * ACKED_MAX_HEIGHT));
      out.push(
        `<rect class="failed-write" x="${r1(x(t))}" y="${writesBase + 1}" width="${r1(failedWidth)}" height="${r1(h)}" fill="${COLOURS.failedWrite}"><title>${n} failed write attempts at ${r2(t)} s</title></rect>`,
      );
    });
    out.push(
      `<line x1="${MARGIN_LEFT}" y1="${writesBase}" x2="${WIDTH - MARGIN_RIGHT}" y2="${writesBase}" stroke="#999"/>`,
    );
  }

  for (const e of s.timeline.filter((ev) => ev.event === "probe")) {
    out.push(
      `<circle class="probe" cx="${r1(x(e.offsetSeconds))}" cy="${probeY}" r="5" fill="${e.ok ? COLOURS.probeOk : COLOURS.probeFailed}"><title>${escapeXml(`${r2(e.offsetSeconds)} s: ${e.detail}`)}</title></circle>`,
    );
  }

  out.push(`</g>`);
  return { svg: out.join("\n"), bottom, right: Math.max(0, ...placed.map((p) => p.x1)) };
}
