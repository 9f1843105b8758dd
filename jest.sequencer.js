/**
 * Jest's order, rearranged so that both cores stay busy on a 2-core machine running 4 workers:
 *
 * - Integration files first, unit files (short) last, to fill the gaps at the end.
 * - Among the integration files, those that run real PostgreSQL (`test/drill/`, the PostgreSQL
 *   adapters) spend most of their time waiting on clusters and clocks; the others (simulator
 *   timelines, whole-program synths, spawned CLIs) are CPU-bound. The two kinds alternate, so that
 *   the workers waiting on PostgreSQL leave the cores to the ones computing instead of all four
 *   waiting at once (measured: 16 CPU-seconds idle in a 116 s run when the drill files ran together).
 * - Jest runs the longest files first when its cache holds their durations. A fresh clone has none
 *   and jest orders by file size, which puts the simulator matrix (two short files, the suite's
 *   longest CPU work) last: those go first then.
 */
const Sequencer = require("@jest/test-sequencer").default;

const isIntegration = (test) => test.path.endsWith(".integration.test.ts");
const waitsOnPostgres = (test) => /\/test\/(drill|lambda\/adapters\/postgres)\//.test(test.path);
const isMatrix = (test) => /\/test\/simulator\/matrix-\d+\.integration\.test\.ts$/.test(test.path);

class Interleaved extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    // `duration` is what the base class read from jest's cache (undefined on a fresh clone).
    const timed = ordered.some((test) => test.duration != null);
    const integration = ordered.filter(isIntegration);
    let computing = integration.filter((t) => !waitsOnPostgres(t));
    if (!timed) computing = [...computing.filter(isMatrix), ...computing.filter((t) => !isMatrix(t))];
    const waiting = integration.filter(waitsOnPostgres);
    const alternated = [];
    for (let i = 0; i < Math.max(computing.length, waiting.length); i++) {
      if (i < computing.length) alternated.push(computing[i]);
      if (i < waiting.length) alternated.push(waiting[i]);
    }
    return [...alternated, ...ordered.filter((t) => !isIntegration(t))];
  }
}

module.exports = Interleaved;
