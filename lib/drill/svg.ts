import type { DrillEvent, DrillReport, ScenarioReport } from "./report";

/** Events drawn as labelled vertical markers, with their colour (the rest are lanes or omitted). */
const MARKERS: Readonly<Record<string, { readonly colour: string; readonly label: string }>> = {
  "fault-injected": { colour: "#d62728", label: "fault" },
  "fault-cleared": { colour: "#8c564b", label: "fault cleared" },
  decision: { colour: "#ff7f0e", label: "decision" },
  fenced: { colour: "#7f7f7f", label: "fenced" },
  "promote-called": { colour: "#9467bd", label: "promote" },
  promoted: { colour: "#9467bd", label: "promoted" },
  "writer-switched": { colour: "#2ca02c", label: "writer switched" },
  "first-write": { colour: "#1f77b4", label: "first write" },
};

const WIDTH = 1000;
const MARGIN_LEFT = 120;
const MARGIN_RIGHT = 30;
const PANEL_HEIGHT = 290;
/** Rows available for marker labels above the probe lane, and their height. */
const LABEL_ROWS = 5;
const LABEL_ROW_HEIGHT = 11;
/** Rough width of one character of an 11 px sans-serif label, for packing labels into rows. */
const LABEL_CHAR_WIDTH = 6;

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

const r1 = (n: number): string => (Math.round(n * 10) / 10).toString();
const r2 = (n: number): string => (Math.round(n * 100) / 100).toString();

/**
 * Renders the drill's timeline chart: one panel per scenario, time in seconds relative to
 * the fault on the x axis. Lanes, top to bottom: probe results (green ok, red failed),
 * acknowledged writes per 250 ms (blue bars, failed attempts in red below the axis), and
 * labelled vertical markers for the fault, decisions, fencing, promotion, the `writer`
 * switch and the first write after the fault. Every mark has a `<title>` tooltip.
 */
export function renderTimelineSvg(report: DrillReport): string {
  const panels = report.scenarios.map((s, i) => renderPanel(s, i * PANEL_HEIGHT + 40));
  const height = report.scenarios.length * PANEL_HEIGHT + 60;
  const title = `TapStack DR drill — ${report.startedAt} — ${report.passed ? "passed" : "FAILED"}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    ...panels,
    `</svg>`,
    "",
  ].join("\n");
}

function renderPanel(s: ScenarioReport, top: number): string {
  const events = s.timeline;
  const first = events.length > 0 ? Math.min(...events.map((e) => e.offsetSeconds)) : -1;
  const last = events.length > 0 ? Math.max(...events.map((e) => e.offsetSeconds)) : 1;
  const writes = s.writes;
  const writesEnd = writes
    ? writes.startOffsetSeconds + (writes.acked.length * writes.bucketMs) / 1000
    : last;
  const from = Math.floor(Math.min(first, writes?.startOffsetSeconds ?? first, 0));
  const to = Math.ceil(Math.max(last, writesEnd, from + 1));
  const plotWidth = WIDTH - MARGIN_LEFT - MARGIN_RIGHT;
  const x = (offsetSeconds: number) => MARGIN_LEFT + ((offsetSeconds - from) / (to - from)) * plotWidth;
  const labelTop = top + 36;
  const probeY = labelTop + LABEL_ROWS * LABEL_ROW_HEIGHT + 14;
  const writesBase = probeY + 90;
  const axisY = writesBase + 50;
  const out: string[] = [];

  const f = s.figures;
  const figures = f
    ? `detection ${f.detectionSeconds ?? "—"} s · RTO ${f.rtoSeconds ?? "—"} s · lost commits ${f.lostCommits ?? "—"} · promotions ${f.promotions}`
    : (s.error ?? "");
  out.push(`<g class="scenario" data-scenario="${escapeXml(s.name)}">`);
  out.push(
    `<text x="10" y="${top + 18}" font-size="13" font-weight="bold" fill="${s.passed ? "#2ca02c" : "#d62728"}">` +
      `${escapeXml(s.name)} — ${s.passed ? "passed" : "FAILED"}</text>`,
  );
  out.push(`<text x="${MARGIN_LEFT + 170}" y="${top + 18}">${escapeXml(figures)}</text>`);
  out.push(`<text x="10" y="${probeY + 4}">monitor probes</text>`);
  out.push(`<text x="10" y="${writesBase - 20}">writes / 250 ms</text>`);

  // Time axis with a tick per second (every 5 s on long runs).
  const step = to - from > 40 ? 5 : 1;
  out.push(
    `<line x1="${MARGIN_LEFT}" y1="${axisY}" x2="${WIDTH - MARGIN_RIGHT}" y2="${axisY}" stroke="#333"/>`,
  );
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    out.push(`<line x1="${r1(x(t))}" y1="${axisY}" x2="${r1(x(t))}" y2="${axisY + 4}" stroke="#333"/>`);
    out.push(`<text x="${r1(x(t))}" y="${axisY + 16}" text-anchor="middle">${t}</text>`);
  }
  out.push(
    `<text x="${WIDTH - MARGIN_RIGHT}" y="${axisY + 30}" text-anchor="end">seconds after the fault</text>`,
  );

  if (writes) {
    const max = Math.max(1, ...writes.acked, ...writes.failed);
    const barWidth = Math.max(1, (writes.bucketMs / 1000 / (to - from)) * plotWidth - 0.5);
    writes.acked.forEach((n, i) => {
      if (n === 0) return;
      const t = writes.startOffsetSeconds + (i * writes.bucketMs) / 1000;
      const h = (n / max) * 60;
      out.push(
        `<rect class="ack" x="${r1(x(t))}" y="${r1(writesBase - h)}" width="${r1(barWidth)}" height="${r1(h)}" fill="#1f77b4"><title>${n} commits acknowledged at ${r2(t)} s</title></rect>`,
      );
    });
    writes.failed.forEach((n, i) => {
      if (n === 0) return;
      const t = writes.startOffsetSeconds + (i * writes.bucketMs) / 1000;
      const h = Math.max(2, (n / max) * 30);
      out.push(
        `<rect class="failed-write" x="${r1(x(t))}" y="${writesBase}" width="${r1(barWidth)}" height="${r1(h)}" fill="#d62728"><title>${n} failed write attempts at ${r2(t)} s</title></rect>`,
      );
    });
    out.push(
      `<line x1="${MARGIN_LEFT}" y1="${writesBase}" x2="${WIDTH - MARGIN_RIGHT}" y2="${writesBase}" stroke="#bbb"/>`,
    );
  }

  for (const e of events.filter((ev) => ev.event === "probe")) {
    out.push(
      `<circle class="probe" cx="${r1(x(e.offsetSeconds))}" cy="${probeY}" r="5" fill="${e.ok ? "#2ca02c" : "#d62728"}"><title>${escapeXml(`${r1(e.offsetSeconds)} s: ${e.detail}`)}</title></circle>`,
    );
  }

  // Markers. Close events (decision, promotion, writer switch within a few hundred ms) would
  // print their labels on top of each other, so each label goes to the first row where it
  // does not overlap the previous label, left-aligned at its line.
  const rowEnds: number[] = Array.from({ length: LABEL_ROWS }, () => -Infinity);
  for (const e of events.filter((ev: DrillEvent) => MARKERS[ev.event] !== undefined)) {
    const m = MARKERS[e.event];
    if (e.event === "decision" && e.detail.startsWith("none")) continue;
    const px = x(e.offsetSeconds);
    const free = rowEnds.findIndex((end) => end < px);
    const row = free === -1 ? rowEnds.indexOf(Math.min(...rowEnds)) : free;
    rowEnds[row] = px + 3 + m.label.length * LABEL_CHAR_WIDTH + 6;
    const labelY = labelTop + row * LABEL_ROW_HEIGHT;
    out.push(
      `<line class="marker" data-event="${e.event}" x1="${r1(px)}" y1="${labelY + 2}" x2="${r1(px)}" y2="${axisY}" stroke="${m.colour}" stroke-dasharray="4 2"><title>${escapeXml(`${r1(e.offsetSeconds)} s ${e.event}: ${e.detail}`)}</title></line>`,
    );
    out.push(`<text x="${r1(px + 3)}" y="${labelY}" fill="${m.colour}">${escapeXml(m.label)}</text>`);
  }
  out.push(`</g>`);
  return out.join("\n");
}
