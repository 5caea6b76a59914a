// `npm run e2e`: runs the end-to-end tests with Node's test runner, bounded
// in time. The tests start and stop their own stack (stack.mjs); it needs the
// built client (`npm run build`), the debug binaries
// (`cargo build --workspace --bins`) and the "test" infrastructure
// (`scripts/infra.sh up test`). Extra arguments go to `node --test`
// (e.g. `--test-name-pattern`). Exit status: the test runner's.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const TIME_LIMIT_MS = Number(process.env.E2E_TIME_LIMIT_MS ?? 340_000);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => join(here, f));

// Its own process group, so a stop signal reaches the runner and the test
// process alike; the test process then stops the stack by PID.
const child = spawn(
  process.execPath,
  ['--test', '--test-reporter=spec', '--test-concurrency=1', ...process.argv.slice(2), ...files],
  { stdio: 'inherit', detached: true, cwd: dirname(here) },
);

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
  // Whatever the runner does, nothing outlives this script for long.
  setTimeout(() => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, 15_000).unref();
}

const limit = setTimeout(() => {
  process.stderr.write(`e2e: over the ${TIME_LIMIT_MS / 1000} s limit, stopping\n`);
  stop('SIGTERM');
}, TIME_LIMIT_MS);

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));

child.on('exit', (code, signal) => {
  clearTimeout(limit);
  process.exit(code ?? (signal ? 1 : 0));
});
