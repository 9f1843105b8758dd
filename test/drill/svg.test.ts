import { DRILL_POLICY } from "../../lib/drill/args";
import type { DrillReport, ScenarioReport } from "../../lib/drill/report";
import { escapeXml, renderTimelineSvg } from "../../lib/drill/svg";

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
    { atMs: 8_000, offsetSeconds: 3, event: "decision", detail: "promote-replica: 3 failures" },
    { atMs: 8_100, offsetSeconds: 3.1, event: "decision", detail: "none: nothing to do" },
    { atMs: 8_300, offsetSeconds: 3.3, event: "writer-switched", detail: "writer a → b" },
  ],
  writes: { startOffsetSeconds: -1, bucketMs: 250, acked: [3, 0, 0, 2], failed: [0, 4, 0, 0] },
  notifications: [],
  engineReportLocation: null,
  executions: [],
  cleanup: { complete: true, detail: "ok" },
};
const report = {
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

describe("renderTimelineSvg", () => {
  const svg = renderTimelineSvg(report);

  it("draws one panel per scenario, sized to fit them", () => {
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="1000" height="640"/);
    expect(svg.match(/<g class="scenario"/g)).toHaveLength(2);
    expect(svg).toContain(">crash — passed</text>");
    expect(svg).toContain(">blip — FAILED</text>");
  });

  it("colours probes by outcome and keeps their detail as a tooltip", () => {
    const probes = svg.match(/<circle class="probe"[^>]*fill="(#[0-9a-f]+)"><title>([^<]*)<\/title>/g) ?? [];
    expect(probes).toHaveLength(4);
    expect(probes[0]).toContain('fill="#2ca02c"><title>-1 s: ok in 3 ms</title>');
    expect(probes[1]).toContain('fill="#d62728"><title>1 s: unreachable in 1 ms</title>');
  });

  it("marks the fault, real decisions and the writer switch, but not 'none' decisions", () => {
    const markers = [...svg.matchAll(/data-event="([a-z-]+)"/g)].map((m) => m[1]);
    expect(markers.slice(0, 3)).toEqual(["fault-injected", "decision", "writer-switched"]);
    expect(svg).not.toContain("none: nothing to do");
    expect(svg).toContain("SIGKILL &lt;primary&gt;");
  });

  it("puts the labels of close markers on different rows", () => {
    const svg = renderTimelineSvg(report);
    const label = (text: string) => {
      const m = new RegExp(`<text x="([\\d.]+)" y="([\\d.]+)" fill="[^"]+">${text}</text>`).exec(svg);
      if (!m) throw new Error(`no label ${text}`);
      return { x: Number(m[1]), y: Number(m[2]) };
    };
    // The decision (3 s) and the writer switch (3.3 s) are 85 px apart: too close for one row.
    expect(label("writer switched").y).not.toBe(label("decision").y);
    // The fault (0 s) is far from both: it takes the first row.
    expect(label("fault").y).toBe(label("decision").y);
  });

  it("draws acknowledged writes above the axis and failed ones below", () => {
    expect(svg.match(/class="ack"/g)).toHaveLength(4);
    expect(svg.match(/class="failed-write"/g)).toHaveLength(2);
    expect(svg).toContain("<title>4 failed write attempts at -0.75 s</title>");
  });
});

describe("escapeXml", () => {
  it("escapes the five XML special characters", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });
});
