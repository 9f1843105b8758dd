/**
 * Jest's order, with the integration files first. Jest runs the longest files first when its cache
 * holds their durations; on a fresh clone it has none and orders by file size, which put
 * minute-long real-PostgreSQL files behind short unit files and left the workers idle at the end.
 */
const Sequencer = require("@jest/test-sequencer").default;

const isIntegration = (test) => test.path.endsWith(".integration.test.ts");

class IntegrationFirst extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    return [...ordered.filter(isIntegration), ...ordered.filter((t) => !isIntegration(t))];
  }
}

module.exports = IntegrationFirst;
