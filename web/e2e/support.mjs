// Helpers of the end-to-end tests: the browser, bounded waits on the page,
// a generated PNG, the ffmpeg encoder and the screenshots.
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { LOG_DIR, RESULTS_DIR, ROOT, poll, startProcess, stopProcess } from './stack.mjs';

export const SCREENSHOT_DIR = join(RESULTS_DIR, 'screenshots');
const DOCS_SCREENSHOT_DIR = join(ROOT, 'docs', 'screenshots');
export const VIEWPORT = Object.freeze({ width: 1280, height: 800 });

/** Debian's Chromium, headless; never a downloaded browser. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.E2E_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
    timeout: 30_000,
    // The tests stop everything themselves on a signal (stack.mjs), the browser included.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
}

/**
 * Waits until the text of `locator` matches `pattern` and returns it; the
 * error names what was last seen.
 */
export async function expectText(locator, pattern, { timeoutMs = 10_000, what = String(pattern) } = {}) {
  let last = '(nothing)';
  try {
    return await poll(
      what,
      async () => {
        last = (await locator.first().textContent({ timeout: 1_000 })) ?? '';
        const text = last.replace(/\s+/g, ' ').trim();
        return (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)) && text;
      },
      { timeoutMs, intervalMs: 150 },
    );
  } catch (error) {
    throw new Error(`${error.message}; last text seen: ${JSON.stringify(last.trim().slice(0, 300))}`);
  }
}

/** The number in the text of `locator` (null when none). */
export async function numberIn(locator) {
  const text = (await locator.first().textContent({ timeout: 2_000 })) ?? '';
  const match = text.replace(/[,\u202f\u00a0]/g, '').match(/\d+/);
  return match ? Number(match[0]) : null;
}

/** Waits until the number in `locator` satisfies `test`, and returns it. */
export async function expectNumber(locator, test, { timeoutMs = 15_000, what = 'a number' } = {}) {
  let last = null;
  try {
    return await poll(
      what,
      async () => {
        last = await numberIn(locator);
        return last !== null && test(last) ? { value: last } : null;
      },
      { timeoutMs, intervalMs: 200 },
    ).then((r) => r.value);
  } catch (error) {
    throw new Error(`${error.message}; last number seen: ${last}`);
  }
}

/** The number in `locator` once it has not changed for `quietMs` (bounded by `timeoutMs`). */
export async function stableNumber(locator, { quietMs = 2_000, timeoutMs = 12_000, what = 'a steady number' } = {}) {
  let value = null;
  let since = Date.now();
  return poll(
    what,
    async () => {
      const now = await numberIn(locator);
      if (now !== value) {
        value = now;
        since = Date.now();
      }
      return value !== null && Date.now() - since >= quietMs ? { value } : null;
    },
    { timeoutMs, intervalMs: 200 },
  ).then((r) => r.value);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A real RGB PNG (a diagonal gradient), `width`×`height`. */
export function gradientPng(width = 640, height = 360) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // truecolour
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    rows[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      const i = row + 1 + x * 3;
      rows[i] = Math.round(124 + 115 * t); // violet to pink
      rows[i + 1] = Math.round(58 + 40 * (1 - t));
      rows[i + 2] = Math.round(237 - 110 * t);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/**
 * Publishes a test pattern with a 440 Hz tone to `url` with ffmpeg, as an
 * encoder would, for `seconds` (then ffmpeg stops publishing and exits). The
 * key in the URL is replaced by `<key>` in the log.
 */
export function startEncoder(url, key, { seconds = 240 } = {}) {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'warning',
    '-re',
    '-f',
    'lavfi',
    '-i',
    'testsrc2=size=640x360:rate=30',
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440',
    '-t',
    String(seconds),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-g',
    '60',
    '-pix_fmt',
    'yuv420p',
    '-c:a',
    'aac',
    '-f',
    'flv',
    url,
  ];
  return startProcess('ffmpeg', 'ffmpeg', args, {}, {
    logFile: join(LOG_DIR, 'ffmpeg.log'),
    filter: (text) => text.split(key).join('<key>'),
  });
}

export { stopProcess };

/**
 * Saves a viewport screenshot under web/test-results/screenshots/, and with
 * UPDATE_SCREENSHOTS=1 also as docs/screenshots/<docsName>.
 */
export async function screenshot(page, name, docsName) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  if (docsName && process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SCREENSHOT_DIR, { recursive: true });
    copyFileSync(file, join(DOCS_SCREENSHOT_DIR, docsName));
  }
  return file;
}
