// The real Veza Live stack for the end-to-end tests, on its own ports:
// api-gateway (serving web/dist), live-catalog, stream-key, ingest-events and
// chat-gateway from the already-built debug binaries, nginx-rtmp through
// scripts/nginx.sh (profile "e2e"), against the PostgreSQL and NATS of the
// "test" profile (scripts/infra.sh up test). Each run gets fresh databases,
// its own NATS subject prefix and an empty media folder, shared by
// live-catalog (thumbnails; it serves the replays) and ingest-events (it
// records the replays from nginx-rtmp's HLS output). Every process started
// here is stopped by its PID, also when the run fails or is interrupted.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = resolve(WEB_DIR, '..');
export const RESULTS_DIR = join(WEB_DIR, 'test-results');
export const LOG_DIR = join(RESULTS_DIR, 'logs');
const PIDS_FILE = join(RESULTS_DIR, 'e2e-pids.json');
const SCRIPTS = join(ROOT, 'scripts');
const NGINX_DIR = join(ROOT, '.dev', 'e2e', 'nginx');
/** The media store of the run (thumbnails and replays), emptied at each start. */
const MEDIA_DIR = join(ROOT, '.dev', 'e2e', 'media');

/** The e2e ports, distinct from `make run` (8080–8084, 1935, 8090) and from the Rust tests (port 0, or 29000 and up below the ephemeral range). */
export const PORTS = Object.freeze({
  gateway: 18080,
  catalog: 18081,
  streamKey: 18082,
  ingest: 18083,
  chat: 18084,
  rtmp: 19350,
  nginxHttp: 18090,
});

const HOST = '127.0.0.1';
export const BASE_URL = `http://${HOST}:${PORTS.gateway}`;
export const RTMP_PUBLISH_BASE = `rtmp://${HOST}:${PORTS.rtmp}/live`;
export const HLS_BASE = `http://${HOST}:${PORTS.nginxHttp}/hls`;

const DATABASES = { catalog: 'e2e_live_catalog', streamKey: 'e2e_stream_key', ingest: 'e2e_ingest_events', chat: 'e2e_chat' };

/** Processes started by this module, by PID (also the leftovers file of an aborted run). */
const started = new Map();
let nginxUp = false;
let handlersInstalled = false;

/** Polls `check` every `intervalMs` until it returns a truthy value; throws after `timeoutMs`. */
export async function poll(what, check, { timeoutMs = 15_000, intervalMs = 200 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * The cargo target folder holding the debug binaries: `CARGO_TARGET_DIR`
 * when set (scripts/test.sh sets it to the folder it built), else the newer
 * build of `$HOME/.cache/veza-live/target` (what `.ci/run` uses) and `target/`.
 */
export function targetDir() {
  if (process.env.CARGO_TARGET_DIR) return resolve(ROOT, process.env.CARGO_TARGET_DIR);
  const builtAt = (dir) => {
    try {
      return statSync(join(dir, 'debug', 'api-gateway')).mtimeMs;
    } catch {
      return -1;
    }
  };
  const candidates = [join(homedir(), '.cache', 'veza-live', 'target'), join(ROOT, 'target')];
  return candidates.reduce((best, dir) => (builtAt(dir) > builtAt(best) ? dir : best));
}

/** KEY=VALUE lines of a dotenv file (values not evaluated, quotes removed). */
function readEnvFile(file) {
  const vars = {};
  if (!existsSync(file)) return vars;
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim().replace(/^export /, '');
    if (!line || line.startsWith('#') || !line.includes('=')) continue;
    const key = line.slice(0, line.indexOf('='));
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) continue;
    vars[key] = line.slice(line.indexOf('=') + 1).replace(/^(["'])(.*)\1$/, '$2');
  }
  return vars;
}

function portInUse(port) {
  return new Promise((done) => {
    const socket = connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** psql of the newest PostgreSQL under /usr/lib/postgresql (as scripts/common.sh picks it), else the one on PATH. */
function psqlBin() {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(join(base, v, 'bin', 'psql')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return join(base, versions[0], 'bin', 'psql');
  }
  return 'psql';
}

function recreateDatabases(adminUrl) {
  const sql = Object.values(DATABASES)
    .map((db) => `DROP DATABASE IF EXISTS ${db} WITH (FORCE);\nCREATE DATABASE ${db} OWNER veza;`)
    .join('\n');
  const result = spawnSync(psqlBin(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', adminUrl], {
    input: sql,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (result.status !== 0) {
    throw new Error(
      `could not create the e2e databases on ${adminUrl} (is the test infra up? scripts/infra.sh up test): ${
        result.stderr || result.error?.message || 'psql failed'
      }`,
    );
  }
}

function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function savePids() {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const rows = [...started.entries()].map(([pid, p]) => ({ pid, bin: p.bin }));
  writeFileSync(PIDS_FILE, JSON.stringify(rows));
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The executable of a live process, or null. */
function exeOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] ?? null;
  } catch {
    return null;
  }
}

/** Stops processes an aborted earlier run left behind (only those still running the same binary). */
function killLeftovers() {
  if (existsSync(PIDS_FILE)) {
    let rows = [];
    try {
      rows = JSON.parse(readFileSync(PIDS_FILE, 'utf8'));
    } catch {
      rows = [];
    }
    for (const { pid, bin } of rows) {
      if (Number.isInteger(pid) && exeOf(pid) === bin) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    rmSync(PIDS_FILE, { force: true });
  }
  nginxDown();
}

function nginxEnv() {
  return { ...process.env, RTMP_PORT: String(PORTS.rtmp), NGINX_HTTP_PORT: String(PORTS.nginxHttp) };
}

function nginxDown() {
  spawnSync('bash', [join(SCRIPTS, 'nginx.sh'), 'down', 'e2e'], {
    env: { ...nginxEnv(), VEZA_QUIET: '1' },
    stdio: 'ignore',
    timeout: 15_000,
  });
  nginxUp = false;
}

/**
 * Starts `bin` with exactly `env` (plus PATH/HOME/LANG), detached in its own
 * process group so a terminal's Ctrl-C reaches only the test process, which
 * then stops it; output goes to `logFile`, through `filter` when given.
 */
export function startProcess(name, bin, args, env, { logFile = join(LOG_DIR, `${name}.log`), filter } = {}) {
  mkdirSync(dirname(logFile), { recursive: true });
  const base = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C.UTF-8', NO_COLOR: '1' };
  const out = openSync(logFile, 'w');
  const stdio = filter ? ['ignore', 'pipe', 'pipe'] : ['ignore', out, out];
  const child = spawn(bin, args, { env: { ...base, ...env }, stdio, detached: true, cwd: ROOT });
  if (filter) {
    const write = (chunk) => appendFileSync(out, filter(chunk.toString('utf8')));
    child.stdout.on('data', write);
    child.stderr.on('data', write);
  }
  const exited = new Promise((done) => {
    child.once('error', (error) => done({ code: null, signal: null, error: error.message }));
    child.once('close', (code, signal) => done({ code, signal }));
  });
  const proc = { name, bin, child, logFile, exited, exit: null };
  exited.then((result) => {
    proc.exit = result;
    started.delete(child.pid);
    closeSync(out);
  });
  if (child.pid === undefined) throw new Error(`${name} (${bin}) could not start`);
  started.set(child.pid, proc);
  savePids();
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopProcess(proc, graceMs = 5_000) {
  if (proc.exit) return proc.exit;
  try {
    process.kill(proc.child.pid, 'SIGTERM');
  } catch {
    return proc.exited;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(proc.child.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }, graceMs);
  const result = await proc.exited;
  clearTimeout(timer);
  return result;
}

/** Kills everything still running, synchronously (exit and signal paths). */
function killAllNow() {
  for (const pid of started.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  started.clear();
  if (nginxUp) nginxDown();
  rmSync(PIDS_FILE, { force: true });
}

/** Async clean-ups (e.g. closing the browser) run, bounded, before an interrupted run exits. */
const interruptCleanups = new Set();

/** Runs `fn` (at most 5 s) if the run is interrupted; returns a function that unregisters it. */
export function onInterrupt(fn) {
  interruptCleanups.add(fn);
  return () => interruptCleanups.delete(fn);
}

function installHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAllNow);
  let interrupted = false;
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ]) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      // The test runner may be gone already: writing to its pipe must not crash the clean-up.
      for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
      killAllNow();
      const cleanups = [...interruptCleanups].map((fn) => Promise.resolve().then(fn).catch(() => {}));
      const bound = new Promise((r) => setTimeout(r, 5_000));
      Promise.race([Promise.all(cleanups), bound]).finally(() => process.exit(code));
    });
  }
}

/** The last `lines` lines of a log file, without the readiness probes' request lines. */
export function tail(file, lines = 40) {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .filter((line) => !line.includes('GET /readyz'));
  return text.slice(-lines).join('\n');
}

/** Every log of the run, tailed, for a failure report. */
export function logTails(lines = 30) {
  if (!existsSync(LOG_DIR)) return '';
  return readdirSync(LOG_DIR)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .map((f) => `---- last lines of ${join('web/test-results/logs', f)} ----\n${tail(join(LOG_DIR, f), lines)}`)
    .join('\n');
}

async function waitReady(proc, port) {
  try {
    await poll(
      `${proc.name} to be ready on ${HOST}:${port}`,
      async () => {
        if (proc.exit) throw new Error(`${proc.name} exited (${JSON.stringify(proc.exit)})`);
        const res = await fetch(`http://${HOST}:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
        return res.ok;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  } catch (error) {
    throw new Error(`${error.message}\n---- last lines of ${proc.logFile} ----\n${tail(proc.logFile)}`);
  }
}

/**
 * Starts the whole stack and resolves once every service answers /readyz and
 * nginx-rtmp listens. `stop()` tears it down.
 */
export async function startStack() {
  installHandlers();
  rmSync(LOG_DIR, { recursive: true, force: true });
  mkdirSync(LOG_DIR, { recursive: true });
  killLeftovers();

  const bins = targetDir();
  const dist = resolve(WEB_DIR, process.env.E2E_WEB_DIST_DIR ?? 'dist');
  if (!existsSync(join(dist, 'index.html'))) throw new Error(`${dist}/index.html is missing: run npm run build in web/`);
  for (const name of ['api-gateway', 'live-catalog', 'stream-key', 'ingest-events', 'chat-gateway']) {
    if (!existsSync(join(bins, 'debug', name))) {
      throw new Error(`${join(bins, 'debug', name)} is missing: run cargo build --workspace --bins`);
    }
  }
  for (const [name, port] of Object.entries(PORTS)) {
    if (await portInUse(port)) throw new Error(`port ${port} (${name}) is already in use: is another e2e run alive?`);
  }

  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://veza@127.0.0.1:25432/postgres';
  const natsUrl = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:24222';
  recreateDatabases(adminUrl);

  // Shared secrets as the dev commands use them; every URL and address is the e2e stack's own.
  const shared = readEnvFile(join(ROOT, '.env.example'));
  const prefix = `e2e${randomBytes(6).toString('hex')}`;
  const common = {
    NATS_URL: natsUrl,
    NATS_SUBJECT_PREFIX: prefix,
    JWT_SECRET: shared.JWT_SECRET ?? 'e2e-only-jwt-secret-0123456789abcdef0123456789',
    RUST_LOG: process.env.E2E_RUST_LOG ?? 'info',
    LOG_FORMAT: 'pretty',
    HTTP_WORKERS: '1',
    DATABASE_POOL_SIZE: '4',
  };
  const hlsPublic = HLS_BASE;
  const services = [
    {
      name: 'live-catalog',
      port: PORTS.catalog,
      env: {
        DATABASE_URL: databaseUrl(adminUrl, DATABASES.catalog),
        HLS_PUBLIC_URL: hlsPublic,
        MEDIA_STORE: MEDIA_DIR,
        // Thumbnails and replays are served through the gateway, same origin as the page.
        MEDIA_PUBLIC_URL: `${BASE_URL}/media`,
      },
    },
    {
      name: 'stream-key',
      port: PORTS.streamKey,
      env: {
        DATABASE_URL: databaseUrl(adminUrl, DATABASES.streamKey),
        STREAM_KEY_ENC_KEY: shared.STREAM_KEY_ENC_KEY,
        STREAM_KEY_HMAC_KEY: shared.STREAM_KEY_HMAC_KEY,
        RTMP_PUBLIC_URL: RTMP_PUBLISH_BASE,
      },
    },
    {
      name: 'ingest-events',
      port: PORTS.ingest,
      env: {
        DATABASE_URL: databaseUrl(adminUrl, DATABASES.ingest),
        INTERNAL_TOKEN: shared.INTERNAL_TOKEN ?? 'e2e-internal-token-0123456789',
        RTMP_RELAY_URL: `rtmp://${HOST}:${PORTS.rtmp}/hls`,
        RTMP_CONTROL_URL: `http://${HOST}:${PORTS.nginxHttp}/control`,
        RTMP_STAT_URL: `http://${HOST}:${PORTS.nginxHttp}/stat`,
        HEALTH_SAMPLE_INTERVAL_MS: '1000',
        VIEWER_PUBLISH_INTERVAL_MS: '500',
        // Replays: recorded from this stack's nginx-rtmp HLS output into the
        // catalog's media store; short broadcasts count, new segments are
        // picked up every second.
        MEDIA_STORE: MEDIA_DIR,
        RTMP_HLS_URL: HLS_BASE,
        REPLAY_MIN_SECONDS: '5',
        REPLAY_POLL_INTERVAL_MS: '1000',
      },
    },
    {
      name: 'chat-gateway',
      port: PORTS.chat,
      env: { DATABASE_URL: databaseUrl(adminUrl, DATABASES.chat), ALLOWED_ORIGINS: BASE_URL },
    },
    {
      name: 'api-gateway',
      port: PORTS.gateway,
      env: {
        LIVE_CATALOG_URL: `http://${HOST}:${PORTS.catalog}`,
        STREAM_KEY_URL: `http://${HOST}:${PORTS.streamKey}`,
        CHAT_URL: `http://${HOST}:${PORTS.chat}`,
        INGEST_URL: `http://${HOST}:${PORTS.ingest}`,
        ALLOWED_ORIGINS: BASE_URL,
        LIVE_DEV_AUTH: 'true',
        WEB_DIST_DIR: dist,
        HLS_PUBLIC_URL: hlsPublic,
      },
    },
  ];

  rmSync(MEDIA_DIR, { recursive: true, force: true });
  const procs = [];
  const stack = {
    baseUrl: BASE_URL,
    rtmpPublishBase: RTMP_PUBLISH_BASE,
    hlsBase: HLS_BASE,
    natsPrefix: prefix,
    procs,
    async stop() {
      for (const proc of [...procs].reverse()) await stopProcess(proc);
      if (nginxUp) nginxDown();
      for (const proc of started.values()) await stopProcess(proc, 2_000);
      rmSync(PIDS_FILE, { force: true });
    },
  };

  try {
    for (const svc of services) {
      const env = { ...common, ...svc.env, LISTEN_ADDR: `${HOST}:${svc.port}` };
      procs.push(Object.assign(startProcess(svc.name, join(bins, 'debug', svc.name), [], env), { port: svc.port }));
    }
    await Promise.all(procs.map((p) => waitReady(p, p.port)));

    // A fresh error log per run, so a failure report shows this run's lines only.
    for (const file of ['error.log', 'access.log']) rmSync(join(NGINX_DIR, file), { force: true });
    const nginx = spawnSync('bash', [join(SCRIPTS, 'nginx.sh'), 'up', 'e2e', `http://${HOST}:${PORTS.ingest}`], {
      env: nginxEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    nginxUp = true;
    writeFileSync(join(LOG_DIR, 'nginx-start.log'), `${nginx.stdout ?? ''}${nginx.stderr ?? ''}`);
    if (nginx.status !== 0) throw new Error(`nginx-rtmp did not start:\n${nginx.stderr}`);
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

/** The nginx-rtmp error log of the e2e profile (diagnostics). */
export const NGINX_ERROR_LOG = join(NGINX_DIR, 'error.log');
