// Mocha's spec reporter, plus the run's counts written as JSON to $KIPVS_TEST_SUMMARY (when set),
// so hack/test.sh can add the unit and kernel runs into one "N passed, M failed" line.
'use strict';
const fs = require('node:fs');
const Mocha = require('mocha');
const { Spec } = Mocha.reporters;
const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const file = process.env.KIPVS_TEST_SUMMARY;
      if (!file) return;
      const s = runner.stats ?? {};
      fs.writeFileSync(file, JSON.stringify({ passed: s.passes ?? 0, failed: s.failures ?? 0, pending: s.pending ?? 0 }));
    });
  }
}
module.exports = SummaryReporter;
