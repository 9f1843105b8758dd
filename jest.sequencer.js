/**
 * The order of the test files, chosen so that both cores stay busy on a 2-core machine running
 * five workers, and the same on every run:
 *
 * - Integration files first, unit files (short) last, to fill the gaps at the end.
 * - Among the integration files, those that run real PostgreSQL (`test/drill/`, the PostgreSQL
 *   adapters, the restore check's handler) spend most of their time waiting on clusters and clocks; the others (simulator
 *   timelines, whole-program synths, spawned CLIs) are CPU-bound. The two kinds alternate, so that
 *   the workers waiting on PostgreSQL leave the cores to the ones computing instead of all of them
 *   waiting at once (measured: 16 CPU-seconds idle in a 116 s run when the drill files ran together).
 * - The simulator matrix (two short files, the suite's longest CPU work) first, then the larger
 *   files first within each kind.
 *
 * Jest's own order (the longest and the failed files first once its cache holds their durations,
 * by file size before) is not used: with it a second run took 117-121 s against 103-109 s for
 * this order (2 cores, the same commit).
 */
const { statSync } = require("node:fs");
const Sequencer = require("@jest/test-sequencer").default;

const isIntegration = (test) => test.path.endsWith(".integration.test.ts");
const waitsOnPostgres = (test) =>
  /\/test\/(drill|lambda\/adapters\/postgres|lambda\/restore-check)\//.test(test.path);
const isMatrix = (test) => /\/test\/simulator\/matrix-\d+\.integration\.test\.ts$/.test(test.path);

class Interleaved extends Sequencer {
  sort(tests) {
    const size = new Map(tests.map((t) => [t.path, statSync(t.path).size]));
    const bySize = [...tests].sort(
      (a, b) => size.get(b.path) - size.get(a.path) || a.path.localeCompare(b.path),
    );
    const integration = bySize.filter(isIntegration);
    const computing = integration.filter((t) => !waitsOnPostgres(t));
    const first = [...computing.filter(isMatrix), ...computing.filter((t) => !isMatrix(t))];
    const waiting = integration.filter(waitsOnPostgres);
    const alternated = [];
    for (let i = 0; i < Math.max(first.length, waiting.length); i++) {
      if (i < first.length) alternated.push(first[i]);
      if (i < waiting.length) alternated.push(waiting[i]);
    }
    return [...alternated, ...bySize.filter((t) => !isIntegration(t))];
  }
}

module.exports = Interleaved;
