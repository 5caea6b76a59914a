// The real stack of the end-to-end tests (stack.mjs), kept up for
// scripts/fuzz.sh until SIGTERM (or SIGINT/SIGHUP; stack.mjs then stops every
// process it started, by PID). Once every service is ready it prints, one
// per line, KEY=VALUE settings (the gateway's and the services' URLs, the
// WebSocket origin the stack allows, and the shared secrets the stack was
// started with), then a line `FUZZ_STACK_READY=1`. Needs what `npm run e2e`
// needs: the debug binaries and the "test" infrastructure; without a built
// client (web/dist) it serves a placeholder page, which the fuzzing never
// looks at. FUZZ_STACK_MAX_S (default 3600) bounds how long it stays up.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_URL, PORTS, ROOT, WEB_DIR, startStack } from './stack.mjs';

const HOST = '127.0.0.1';
const MAX_S = Number(process.env.FUZZ_STACK_MAX_S ?? 3600);

/** A value of .env.example, read the way stack.mjs reads it. */
function sharedSetting(key, fallback) {
  const file = join(ROOT, '.env.example');
  if (!existsSync(file)) return fallback;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim().replace(/^export /, '');
    if (line.startsWith(`${key}=`)) return line.slice(key.length + 1).replace(/^(["'])(.*)\1$/, '$2');
  }
  return fallback;
}

if (!process.env.E2E_WEB_DIST_DIR && !existsSync(join(WEB_DIR, 'dist', 'index.html'))) {
  const dist = join(ROOT, '.dev', 'fuzz', 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Veza Live</title>\n');
  process.env.E2E_WEB_DIST_DIR = dist;
}

let stack;
try {
  stack = await startStack();
} catch (error) {
  process.stderr.write(`fuzz-stack: ${error.message}\n`);
  process.exit(1);
}

const url = (port) => `http://${HOST}:${port}`;
const settings = {
  FUZZ_GATEWAY_URL: BASE_URL,
  FUZZ_CATALOG_URL: url(PORTS.catalog),
  FUZZ_STREAM_KEY_URL: url(PORTS.streamKey),
  FUZZ_INGEST_URL: url(PORTS.ingest),
  FUZZ_CHAT_URL: url(PORTS.chat),
  FUZZ_ALLOWED_ORIGIN: BASE_URL,
  FUZZ_JWT_SECRET: sharedSetting('JWT_SECRET', 'e2e-only-jwt-secret-0123456789abcdef0123456789'),
  FUZZ_INTERNAL_TOKEN: sharedSetting('INTERNAL_TOKEN', 'e2e-internal-token-0123456789'),
};
for (const [key, value] of Object.entries(settings)) process.stdout.write(`${key}=${value}\n`);
process.stdout.write('FUZZ_STACK_READY=1\n');

let stopping = false;
function stop(why) {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`fuzz-stack: ${why}, stopping\n`);
  stack.stop().finally(() => process.exit(1));
}

// Stay up; a service that dies ends the run (its log is in web/test-results/logs).
for (const proc of stack.procs) {
  proc.exited.then((result) => stop(`${proc.name} exited (${JSON.stringify(result)})`));
}
setTimeout(() => stop(`up for ${MAX_S} s`), MAX_S * 1000);
