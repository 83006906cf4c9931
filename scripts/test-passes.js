#!/usr/bin/env node
/**
 * The Jest part of `npm test`, in two passes:
 *   1. every test (unit and integration), the apps on Postgres directly;
 *   2. the integration tests again with the apps behind PgBouncer in transaction mode (TEST_POOLER=pgbouncer,
 *      what `npm run test:pgbouncer` runs alone).
 * The second pass runs even when the first failed; the exit code is non-zero when either did. Arguments go to
 * both passes (`npm test -- --runTestsByPath test/x.e2e-spec.ts`). With TEST_RESULTS_DIR, each pass writes
 * Jest's JSON results there, direct.json and pgbouncer.json (.ci/run adds them up).
 */
const { spawnSync } = require('node:child_process');
const { join } = require('node:path');

const jest = require.resolve('jest/bin/jest');
const args = process.argv.slice(2);
const resultsDir = process.env.TEST_RESULTS_DIR;

const passes = [
  { name: 'direct', title: 'every test, on Postgres directly', args: [], env: {} },
  {
    name: 'pgbouncer',
    title: 'the integration tests behind PgBouncer (TEST_POOLER=pgbouncer)',
    // A filter that matches unit tests only leaves this pass with nothing to run, which is no failure.
    args: ['--selectProjects', 'integration', '--passWithNoTests'],
    env: { TEST_POOLER: 'pgbouncer' },
  },
];

let failed = false;
for (const pass of passes) {
  const output = resultsDir ? ['--json', `--outputFile=${join(resultsDir, `${pass.name}.json`)}`] : [];
  console.log(`\n== jest: ${pass.title}`);
  const started = Date.now();
  const { status } = spawnSync(process.execPath, [jest, ...pass.args, ...output, ...args], {
    stdio: 'inherit',
    env: { ...process.env, ...pass.env },
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`== jest (${pass.name}): ${status === 0 ? 'passed' : 'failed'} in ${seconds} s`);
  // A pass killed by a signal has no status (null): failed too.
  if (status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
