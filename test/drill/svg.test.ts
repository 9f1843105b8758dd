import * as fs from "node:fs";
import * as path from "node:path";

import { Resvg } from "@resvg/resvg-js";

import { DRILL_POLICY } from "../../lib/drill/args";
import type { DrillReport, ScenarioReport } from "../../lib/drill/report";
import {
  COLOURS,
  escapeXml,
  FAILED_MIN_HEIGHT,
  FAILED_MIN_WIDTH,
  placeLabels,
  renderTimelineSvg,
  sharedRange,
} from "../../lib/drill/svg";

/** A trimmed copy of a real `npm run drill -- --all` report (the `stop` scenario left out). */
const sample = JSON.parse(
  fs.readFileSync(path.join(__dirname, "fixtures", "all-scenarios.report.json"), "utf8"),
) as DrillReport;

const scenario: ScenarioReport = {
  name: "crash",
  description: "the primary is killed",
  expectation: "fail over",
  passed: true,
  checks: [],
  startedAtMs: 0,
  faultAtMs: 5_000,
  finishedAtMs: 10_000,
  promoted: true,
  writer: { initial: "127.0.0.1:1", final: "127.0.0.1:2" },
  decisions: [],
  figures: null,
  targets: [],
  timeline: [
    { atMs: 4_000, offsetSeconds: -1, event: "probe", detail: "ok in 3 ms", ok: true },
    { atMs: 5_000, offsetSeconds: 0, event: "fault-injected", detail: "SIGKILL <primary>" },
    { atMs: 6_000, offsetSeconds: 1, event: "probe", detail: "unreachable in 1 ms", ok: false },
    {
      atMs: 8_000,
      offsetSeconds: 3,
      event: "decision",
      detail: "promote-replica: RDS reports the primary as failed",
    },
    { atMs: 8_100, offsetSeconds: 3.1, event: "decision", detail: "none: nothing to do" },
    { atMs: 8_300, offsetSeconds: 3.3, event: "writer-switched", detail: "writer a → b" },
  ],
  writes: { startOffsetSeconds: -1, bucketMs: 250, acked: [3, 0, 0, 2], failed: [0, 4, 0, 0] },
  notifications: [],
  engineReportLocation: null,
  executions: [],
  cleanup: { complete: true, detail: "ok" },
};
const small = {
  schemaVersion: 1,
  tool: "tapstack-drill",
  startedAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:01:00.000Z",
  outputDir: "/tmp/x",
  settings: { policy: DRILL_POLICY },
  production: { policy: DRILL_POLICY, notes: [] },
  passed: true,
  scenarios: [scenario, { ...scenario, name: "blip", passed: false }],
} as unknown as DrillReport;

const attr = (element: string, name: string): string | undefined =>
  new RegExp(`\\s${name}="([^"]*)"`).exec(element)?.[1];
const num = (element: string, name: string): number => Number(attr(element, name));

/** The SVG's root size. */
const rootSize = (svg: string) => {
  const root = /^<svg [^>]*>/.exec(svg)![0];
  return { width: num(root, "width"), height: num(root, "height") };
};

/** Every drawn text: its content (tooltips left out) and its box, from an estimate of its glyphs. */
interface TextBox {
  readonly text: string;
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
}
/** Average glyph width per em: DejaVu Sans, the chart's first font, draws this text narrower. */
const GLYPH_EM = 0.6;
function textBoxes(svg: string): TextBox[] {
  return [...svg.matchAll(/<text([^>]*)>(.*?)<\/text>/g)].map((m) => {
    const element = `<text${m[1]}>`;
    const text = m[2].replace(/<title>.*?<\/title>/g, "").replace(/&[a-z]+;/g, "_");
    const size = Number(attr(element, "font-size") ?? 11);
    const bold = attr(element, "font-weight") === "bold";
    const width = text.length * size * (bold ? GLYPH_EM + 0.06 : GLYPH_EM);
    const x = num(element, "x");
    const y = num(element, "y");
    const anchor = attr(element, "text-anchor");
    const x0 = anchor === "middle" ? x - width / 2 : anchor === "end" ? x - width : x;
    return { text, x0, x1: x0 + width, y0: y - size * 0.8, y1: y + size * 0.2 };
  });
}
const overlap = (a: TextBox, b: TextBox) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

/** The panel of a scenario: its `<g class="scenario">` element. */
const panel = (svg: string, name: string): string =>
  new RegExp(`<g class="scenario" data-scenario="${name}">[\\s\\S]*?</g>`).exec(svg)![0];

/** WCAG contrast ratio of two `#rrggbb` colours. */
function contrast(a: string, b: string): number {
  const luminance = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe("renderTimelineSvg", () => {
  const svg = renderTimelineSvg(sample);

  it("draws one panel per scenario under a legend", () => {
    expect(svg.match(/<g class="scenario"/g)).toHaveLength(7);
    expect(svg).toContain(">crash — passed</text>");
    expect(svg).toContain(">restore-test — passed</text>");
    expect(svg.indexOf('<g class="legend">')).toBeLessThan(svg.indexOf('<g class="scenario"'));
    const size = rootSize(svg);
    expect(size.width).toBeGreaterThanOrEqual(1100);
    expect(size.height).toBeGreaterThan(7 * 200);
  });

  it("explains every colour and mark in the legend, and n/a against —", () => {
    const legend = /<g class="legend">[\s\S]*?\n<\/g>/.exec(svg)![0];
    const labels = [...legend.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels.slice(0, 14)).toEqual([
      "probe answered",
      "probe failed",
      "commits acknowledged / 250 ms (above the line)",
      "failed write attempts / 250 ms (below the line)",
      "fault (or request)",
      "fault cleared",
      "replay paused",
      "decision / alert",
      "fenced",
      "approved",
      "promote / promoted",
      "restore / restored",
      "writer switched",
      "first write",
    ]);
    expect(labels[14]).toContain("Figures: n/a = does not apply to the scenario, — = not measured.");
    expect(legend).toContain(`fill="${COLOURS.failedWrite}"`);
    expect(legend).toContain(`stroke="${COLOURS.writerSwitched}"`);
  });

  it("titles give rounded figures, n/a where a figure does not apply, never a unit without a value", () => {
    const figures = [...svg.matchAll(/<text class="figures"[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(figures[0]).toBe(
      "detection 2.95 s · promotion 0.11 s · writer switched 3.16 s · RTO 3.22 s · lost commits 0 of 751",
    );
    expect(figures[4]).toBe(
      "detection n/a · promotion 0.12 s · writer switched 0.30 s · RTO 0.35 s · lost commits 0 of 752",
    );
    expect(figures[6]).toBe(
      "detection n/a · promotion n/a · writer switched n/a · RTO n/a · lost commits 0 of 795",
    );
    for (const f of figures) expect(f).not.toMatch(/(—|n\/a) (s|ms)\b/);
  });

  it("puts every panel on one time scale", () => {
    const range = sharedRange(sample.scenarios);
    // lagging-replica's replay pause (-13.9 s) and partition's last writes (10.1 s) set everyone's range.
    expect(range).toEqual({ from: -14, to: 11 });
    const ticks = (name: string) =>
      [
        ...panel(svg, name).matchAll(/<text x="([\d.]+)" y="[\d.]+" text-anchor="middle">(-?\d+)<\/text>/g),
      ].map((m) => `${m[2]}@${m[1]}`);
    const crash = ticks("crash");
    expect(crash.map((t) => t.split("@")[0])).toEqual([
      "-14",
      "-12",
      "-10",
      "-8",
      "-6",
      "-4",
      "-2",
      "0",
      "2",
      "4",
      "6",
      "8",
      "10",
    ]);
    for (const s of sample.scenarios) expect(ticks(s.name)).toEqual(crash);
    const faults = sample.scenarios.map((s) =>
      num(/<line class="marker" data-event="fault-injected"[^>]*>/.exec(panel(svg, s.name))![0], "x1"),
    );
    expect(new Set(faults).size).toBe(1);
  });

  it("labels markers with their kind and time, the fault by what it is in the scenario", () => {
    const labels = (name: string) =>
      [...panel(svg, name).matchAll(/<text class="marker-label"[^>]*>([^<]*)</g)].map((m) => m[1]);
    expect(labels("switchover")).toEqual([
      "switchover requested 0.00 s",
      "decision: promote 0.00 s",
      "fenced 0.11 s",
      "promote 0.17 s",
      "promoted 0.29 s",
      "writer switched 0.30 s",
      "first write 0.35 s",
    ]);
    // Clients saw no outage in the partition: its first write marks nothing.
    expect(labels("partition")).toEqual([
      "fault 0.00 s",
      "alert 3.47 s",
      "alert 6.47 s",
      "fault cleared 8.01 s",
    ]);
    expect(labels("restore-test")[0]).toBe("restore test starts 0.00 s");
    expect(labels("region-lost")).toContain("restored 7.52 s");
  });

  it("places no text over another", () => {
    const boxes = textBoxes(svg);
    expect(boxes.length).toBeGreaterThan(150);
    const clashes: string[] = [];
    boxes.forEach((a, i) =>
      boxes.slice(i + 1).forEach((b) => {
        if (overlap(a, b)) clashes.push(`${a.text} / ${b.text}`);
      }),
    );
    expect(clashes).toEqual([]);
  });

  it("crosses no marker label with another marker's line", () => {
    const crossings: string[] = [];
    for (const s of sample.scenarios) {
      const g = panel(svg, s.name);
      const lines = [...g.matchAll(/<line class="marker"[^>]*>/g)].map((m) => ({
        x: num(m[0], "x1"),
        y0: num(m[0], "y1"),
        y1: num(m[0], "y2"),
      }));
      const labels = textBoxes(g).filter((b) => / -?\d+\.\d\d s$/.test(b.text));
      for (const l of lines)
        for (const b of labels)
          if (l.x > b.x0 && l.x < b.x1 && l.y0 < b.y1 && b.y0 < l.y1) crossings.push(`${s.name}: ${b.text}`);
    }
    expect(crossings).toEqual([]);
  });

  it("draws failed writes as visible bars in a colour that contrasts with the acknowledged ones", () => {
    const failed = [...svg.matchAll(/<rect class="failed-write"[^>]*>/g)].map((m) => m[0]);
    expect(failed.length).toBeGreaterThan(40);
    for (const r of failed) {
      expect(num(r, "width")).toBeGreaterThanOrEqual(FAILED_MIN_WIDTH);
      expect(num(r, "height")).toBeGreaterThanOrEqual(FAILED_MIN_HEIGHT);
      expect(attr(r, "fill")).toBe(COLOURS.failedWrite);
    }
    // blip's single failed attempt is still a bar of the minimum size.
    expect(panel(svg, "blip")).toMatch(
      /<rect class="failed-write"[^>]*height="6"[^>]*><title>1 failed write attempts/,
    );
    expect(contrast(COLOURS.failedWrite, "#ffffff")).toBeGreaterThan(3);
    expect(contrast(COLOURS.acked, "#ffffff")).toBeGreaterThan(3);
    expect(COLOURS.failedWrite).not.toBe(COLOURS.acked);
  });

  it("speaks of the local control plane in the tooltips, never of RDS reporting", () => {
    expect(svg).toContain("the local control plane (standing in for RDS) reports the primary pg-primary");
    expect(svg).not.toContain("RDS reports");
  });

  it("colours probes by outcome and keeps their detail as a tooltip", () => {
    const small_ = renderTimelineSvg(small);
    const probes =
      small_.match(/<circle class="probe"[^>]*fill="(#[0-9a-f]+)"><title>([^<]*)<\/title>/g) ?? [];
    expect(probes).toHaveLength(4);
    expect(probes[0]).toContain(`fill="${COLOURS.probeOk}"><title>-1 s: ok in 3 ms</title>`);
    expect(probes[1]).toContain(`fill="${COLOURS.probeFailed}"><title>1 s: unreachable in 1 ms</title>`);
  });

  it("marks the fault, real decisions and the writer switch, but not 'none' decisions", () => {
    const small_ = renderTimelineSvg(small);
    const markers = [...small_.matchAll(/class="marker" data-event="([a-z-]+)"/g)].map((m) => m[1]);
    expect(markers.slice(0, 3)).toEqual(["fault-injected", "decision", "writer-switched"]);
    expect(small_).not.toContain("none: nothing to do");
    expect(small_).toContain("SIGKILL &lt;primary&gt;");
    expect(small_).toContain(
      "3 s decision: promote-replica: the local control plane (standing in for RDS) reports the primary as failed",
    );
  });
});

describe("placeLabels", () => {
  it("moves a label down when it would overlap the one before or be crossed by a later line", () => {
    const rows = placeLabels([
      { x: 100, width: 60 },
      { x: 120, width: 60 },
      { x: 300, width: 60 },
      { x: 170, width: 20 },
    ]).map((p) => p.row);
    // 120 overlaps 100's label; 300 is clear; 170's line would cross 120's label (row 1) unless below it.
    expect(rows).toEqual([0, 1, 0, 2]);
  });
});

describe("the chart as a picture", () => {
  const svg = renderTimelineSvg(sample);
  const { width, height } = rootSize(svg);
  const image = new Resvg(svg, {
    background: "#ffffff",
    font: { defaultFontFamily: "DejaVu Sans" },
  }).render();

  it("renders to a PNG of the SVG's size", () => {
    expect(image.width).toBe(width);
    expect(image.height).toBe(height);
    const png = image.asPng();
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(20_000);
  });

  it("shows every failed-write bar in its colour, not hidden by another mark", () => {
    const pixels = image.pixels;
    const rgb = (px: number, py: number) => {
      const i = (Math.floor(py) * image.width + Math.floor(px)) * 4;
      return `#${[pixels[i], pixels[i + 1], pixels[i + 2]].map((c) => c.toString(16).padStart(2, "0")).join("")}`;
    };
    const bars = [...svg.matchAll(/<rect class="failed-write"[^>]*>/g)].map((m) => m[0]);
    const seen = bars.map((r) => rgb(num(r, "x") + num(r, "width") / 2, num(r, "y") + num(r, "height") / 2));
    expect(new Set(seen)).toEqual(new Set([COLOURS.failedWrite]));
  });
});

describe("escapeXml", () => {
  it("escapes the five XML special characters", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });
});
