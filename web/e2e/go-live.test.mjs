// End to end: a streamer goes live from the browser with a real encoder, a
// second user watches and chats, the key is regenerated (cutting the
// encoder), and the stream ends up among the replays; then a short broadcast
// is recorded and its replay plays from the start, at 2× when chosen. Real
// gateway, services, PostgreSQL, NATS, nginx-rtmp and ffmpeg (see
// stack.mjs); Debian's Chromium through playwright-core. Steps run in order;
// after a failure the rest are skipped, and the pages' screenshots and the
// services' logs are reported.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { NGINX_ERROR_LOG, logTails, onInterrupt, poll, startStack, tail } from './stack.mjs';
import {
  SCREENSHOT_DIR,
  VIEWPORT,
  expectNumber,
  expectText,
  gradientPng,
  launchBrowser,
  screenshot,
  stableNumber,
  startEncoder,
  stopProcess,
} from './support.mjs';

const suffix = randomBytes(3).toString('hex');
const streamerName = `streamer_${suffix}`;
const viewerName = `viewer_${suffix}`;
const stream = {
  title: `Late-night synth session ${suffix}`,
  description: 'Patching a modular synth live, taking requests in the chat.',
  category: 'Music',
  tags: 'synth, ambient, live-coding',
};
const replayTitle = `Twelve-second sketch ${suffix}`;
/** How long the recorded broadcast publishes, in seconds. */
const REPLAY_BROADCAST_S = 12;

/** Everything the steps share. */
const s = {
  stack: null,
  browser: null,
  streamer: null, // { context, page }
  viewer: null,
  streamerStreamPage: null,
  streamId: null,
  replay: null, // the recorded stream once its replay is ready
  keys: [],
  chat: { hello: '', reply: '' },
  encoder: null,
  viewerCountBefore: 0,
  broken: null,
  requests: [],
  consoleLines: [],
  pageErrors: [],
};

function note(text) {
  process.stdout.write(`# ${text}\n`);
}

function watchPage(page, who) {
  page.on('console', (msg) => s.consoleLines.push(`${who} ${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (error) => s.pageErrors.push(`${who}: ${error.message}`));
  page.on('request', (req) => s.requests.push(req.url()));
}

/**
 * Records the Media Session action handlers a page sets, so the test can
 * list and call them as the operating system's media keys would.
 */
function recordMediaSessionHandlers() {
  const handlers = new Map();
  Object.defineProperty(window, '__mediaSessionHandlers', { value: handlers });
  const session = navigator.mediaSession;
  if (!session) return;
  const set = session.setActionHandler.bind(session);
  session.setActionHandler = (action, handler) => {
    if (handler) handlers.set(action, handler);
    else handlers.delete(action);
    set(action, handler);
  };
}

async function newUser(who) {
  const context = await s.browser.newContext({ viewport: VIEWPORT, baseURL: s.stack.baseUrl, locale: 'en-GB', timezoneId: 'Europe/Paris' });
  context.setDefaultTimeout(10_000);
  await context.addInitScript(recordMediaSessionHandlers);
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.stack.baseUrl });
  context.on('page', (page) => watchPage(page, who));
  const page = await context.newPage();
  return { context, page };
}

async function signIn(page, username, next) {
  await page.goto(next ? `/signin?next=${encodeURIComponent(next)}` : '/signin');
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expectText(page.getByTestId('navbar-user'), username, { what: `${username} signed in` });
}

/** The signed-in user's token, as the page keeps it. */
async function tokenOf(page) {
  const raw = await page.evaluate(() => localStorage.getItem('veza-live.session'));
  assert.ok(raw, 'the page keeps a session');
  return JSON.parse(raw).token;
}

async function api(path, token, init = {}) {
  const res = await fetch(`${s.stack.baseUrl}/api/v1${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
  const body = await res.json();
  return { status: res.status, body };
}

/** The video element's playback state. */
function videoState(page) {
  return page.getByTestId('live-video').evaluate((v) => ({
    currentTime: v.currentTime,
    videoWidth: v.videoWidth,
    videoHeight: v.videoHeight,
    paused: v.paused,
    readyState: v.readyState,
    playbackRate: v.playbackRate,
    duration: v.duration,
  }));
}

/** A length as the page shows it: "1:02:05", "0:12". */
function clock(seconds) {
  const total = Math.max(0, Math.round(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/** Waits until the video's time advances by at least `seconds` with frames decoded. */
async function expectVideoPlaying(page, { timeoutMs = 30_000, seconds = 1 } = {}) {
  const first = await poll(
    'the video to start playing',
    async () => {
      const v = await videoState(page);
      return v.currentTime > 0 && v.videoWidth > 0 && !v.paused ? v : null;
    },
    { timeoutMs, intervalMs: 250 },
  );
  const later = await poll(
    'the video time to advance',
    async () => {
      const v = await videoState(page);
      return v.currentTime >= first.currentTime + seconds ? v : null;
    },
    { timeoutMs: 10_000, intervalMs: 250 },
  );
  return { first, later };
}

function statusBadge(page) {
  return page.getByRole('main').locator('.badge').filter({ hasText: /^(Live|Scheduled|Replay)$/ });
}

async function reportFailure(name) {
  const pages = [
    ['streamer', s.streamer?.page],
    ['streamer-stream', s.streamerStreamPage],
    ['viewer', s.viewer?.page],
  ];
  for (const [who, page] of pages) {
    if (!page || page.isClosed()) continue;
    try {
      const file = await screenshot(page, `failed-${who}`);
      process.stderr.write(`# failure screenshot (${who}, ${page.url()}): ${file}\n`);
    } catch {
      // the page may be gone
    }
  }
  process.stderr.write(`\n==== step failed: ${name} — service logs ====\n${logTails(25)}\n`);
  process.stderr.write(`---- nginx-rtmp error log ----\n${tail(NGINX_ERROR_LOG, 15)}\n`);
  if (s.pageErrors.length) process.stderr.write(`---- page errors ----\n${s.pageErrors.join('\n')}\n`);
  const browserErrors = s.consoleLines.filter((l) => / error: /.test(l)).slice(-15);
  if (browserErrors.length) process.stderr.write(`---- browser console errors ----\n${browserErrors.join('\n')}\n`);
}

function withTimeout(promise, ms, name) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step "${name}" took longer than ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** One step of the scenario, bounded; skipped once an earlier step failed. */
function step(name, fn, { timeoutMs = 45_000 } = {}) {
  it(name, { timeout: timeoutMs + 15_000 }, async (t) => {
    if (s.broken) {
      t.skip(`after the failure of "${s.broken}"`);
      return;
    }
    try {
      await withTimeout(fn(t), timeoutMs, name);
    } catch (error) {
      s.broken = name;
      await reportFailure(name);
      throw error;
    }
  });
}

describe('Go Live end to end (real stack, Chromium)', { timeout: 330_000 }, () => {
  before(async () => {
    const t0 = Date.now();
    rmSync(SCREENSHOT_DIR, { recursive: true, force: true });
    s.stack = await startStack();
    s.browser = await launchBrowser();
    onInterrupt(() => s.browser.close());
    note(`stack up and Chromium ${s.browser.version()} launched in ${Date.now() - t0} ms (NATS prefix ${s.stack.natsPrefix})`);
  });

  after(async () => {
    if (s.encoder) await stopProcess(s.encoder, 2_000);
    if (s.browser) await s.browser.close().catch(() => {});
    if (s.stack) await s.stack.stop();
  });

  step('the streamer signs in with a username', async () => {
    s.streamer = await newUser('streamer');
    const { page } = s.streamer;
    await page.goto('/signin');
    await page.getByLabel('Username', { exact: true }).waitFor();
    await screenshot(page, '01-signin');
    await signIn(page, streamerName);
  });

  step('the Navbar "Go Live" button opens /live/go-live', async () => {
    const { page } = s.streamer;
    await page.getByRole('banner').getByRole('button', { name: 'Go Live', exact: true }).click();
    await page.waitForURL('**/live/go-live', { timeout: 10_000 });
    await page.getByLabel('Title', { exact: true }).waitFor({ timeout: 15_000 });
    assert.equal(await page.getByText(/coming soon/i).count(), 0, 'no "coming soon" notice');
  });

  step('the streamer fills the stream configuration', async () => {
    const { page } = s.streamer;
    await page.getByLabel('Title', { exact: true }).fill(stream.title);
    await page.getByLabel('Description', { exact: true }).fill(stream.description);
    await page.getByLabel('Category', { exact: true }).fill(stream.category);
    await page.getByLabel('Tags', { exact: true }).fill(stream.tags);
    assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), stream.title);
  });

  step('the streamer uploads a thumbnail and sees its preview', async () => {
    const { page } = s.streamer;
    const png = gradientPng(640, 360);
    await page.getByLabel('Thumbnail image', { exact: true }).setInputFiles({ name: 'thumbnail.png', mimeType: 'image/png', buffer: png });
    const preview = page.getByRole('img', { name: /thumbnail/i });
    const size = await poll(
      'the thumbnail preview to load',
      async () => {
        const img = preview.first();
        if (!(await img.isVisible())) return null;
        const dims = await img.evaluate((el) => ({ w: el.naturalWidth, h: el.naturalHeight, src: el.currentSrc }));
        return dims.w > 0 ? dims : null;
      },
      { timeoutMs: 15_000 },
    );
    note(`thumbnail preview ${size.w}×${size.h} from ${size.src.startsWith('blob:') ? 'a local blob' : new URL(size.src).pathname}`);
    await screenshot(page, '02-go-live-form');
  });

  step('the key is masked, revealed, copied and read back from the clipboard', async () => {
    const { page } = s.streamer;
    const keyBox = page.getByTestId('stream-key');
    const masked = await poll('the key to load', async () => {
      const text = ((await keyBox.textContent()) ?? '').trim();
      return text && !/no key/i.test(text) ? text : null;
    });
    await page.getByRole('button', { name: 'Reveal key' }).click();
    const revealed = await poll('the key to show', async () => {
      const text = ((await keyBox.textContent()) ?? '').trim();
      return text !== masked ? text : null;
    });
    assert.match(revealed, /^[0-9a-f-]{32,}$/i, 'the revealed key looks like a key');
    assert.ok(!masked.includes(revealed), 'the masked text does not hold the key');
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied').first().waitFor({ state: 'visible', timeout: 5_000 });
    const clipboard = await page.evaluate(() => navigator.clipboard.readText());
    assert.equal(clipboard, revealed, 'the clipboard holds the key');
    s.keys.push(clipboard);
    await page.getByRole('button', { name: 'Hide key' }).click();
    await expectText(keyBox, masked, { what: 'the key masked again' });
    await expectText(page.getByTestId('rtmp-url'), s.stack.rtmpPublishBase, { what: 'the RTMP server URL' });
    await page.getByRole('button', { name: 'Copy server URL' }).click();
    await poll('the server URL in the clipboard', async () =>
      (await page.evaluate(() => navigator.clipboard.readText())) === s.stack.rtmpPublishBase,
    );
    for (const app of ['OBS Studio', 'Streamlabs']) {
      await page.getByText(app, { exact: false }).first().waitFor({ timeout: 2_000 });
    }
  });

  step('"Go Live Now" saves the stream and waits for the encoder', async () => {
    const { page } = s.streamer;
    await page.getByRole('button', { name: 'Go Live Now' }).click();
    await expectText(page.getByTestId('live-status'), 'Waiting for your encoder…', { timeoutMs: 10_000 });
    const token = await tokenOf(page);
    const key = await api('/live/streams/me/key', token);
    assert.equal(key.status, 200);
    s.streamId = key.body.data.stream_id;
    const link = page.getByRole('link', { name: 'Open stream page' });
    assert.equal(await link.getAttribute('href'), `/live/${s.streamId}`);
    const mine = await api('/live/streams/me', token);
    const saved = mine.body.data.find((x) => x.id === s.streamId);
    assert.ok(saved, 'the stream is among the streamer’s streams');
    assert.equal(saved.title, stream.title);
    assert.equal(saved.description, stream.description);
    assert.equal(saved.category, stream.category);
    assert.deepEqual(saved.tags, ['synth', 'ambient', 'live-coding']);
    assert.match(saved.thumbnail_url ?? '', /\/media\/thumbnails\//, 'the uploaded thumbnail is the stream’s');
    const thumb = await fetch(saved.thumbnail_url);
    assert.equal(thumb.status, 200);
    assert.match(thumb.headers.get('content-type') ?? '', /^image\//);
    note(`thumbnail served as ${thumb.headers.get('content-type')}, cache-control "${thumb.headers.get('cache-control')}"`);
    await screenshot(page, '03-go-live-waiting');
  });

  step('publishing with ffmpeg and the copied key turns the page live', async () => {
    const { page } = s.streamer;
    // Marks the document: if it is still there when live, the page was updated without a reload.
    await page.evaluate(() => {
      window.__e2eSameDocument = true;
    });
    const t0 = Date.now();
    s.encoder = startEncoder(`${s.stack.rtmpPublishBase}/${s.keys[0]}`, s.keys[0]);
    await expectText(page.getByTestId('live-status'), 'You are live', { timeoutMs: 20_000 });
    note(`"You are live" ${Date.now() - t0} ms after ffmpeg started`);
    assert.equal(await page.evaluate(() => window.__e2eSameDocument === true), true, 'no reload');
    s.viewerCountBefore = await stableNumber(page.getByTestId('live-viewer-count'), {
      what: 'the live viewer count to settle',
    });
    note(`viewer count on the Go Live page before any viewer: ${s.viewerCountBefore}`);
    assert.equal(s.encoder.exit, null, 'ffmpeg is still publishing');
  });

  step('the Go Live page shows the encoder’s signal in its health panel', async () => {
    const { page } = s.streamer;
    const t0 = Date.now();
    await expectText(page.getByTestId('health-video'), /H264 640×360 @ 30 fps/, {
      timeoutMs: 20_000,
      what: 'the encoder’s picture in the health panel',
    });
    await expectText(page.getByTestId('health-verdict'), /Excellent|Unstable/, { what: 'a verdict on a live signal' });
    await expectText(page.getByTestId('health-bitrate'), /b\/s$/, { what: 'the inbound bitrate' });
    note(
      `health panel: "${await page.getByTestId('health-verdict').textContent()}", ` +
        `${await page.getByTestId('health-bitrate').textContent()}, ${Date.now() - t0} ms after going live`,
    );
    await screenshot(page, '03b-go-live-health');
  });

  step('a second user opens the stream page and the video plays', async () => {
    s.viewer = await newUser('viewer');
    const { page } = s.viewer;
    await signIn(page, viewerName, `/live/${s.streamId}`);
    await page.waitForURL(`**/live/${s.streamId}`);
    const opened = Date.now();
    await expectText(page.getByRole('heading', { level: 1 }), stream.title, { what: 'the stream title as h1' });
    await expectText(statusBadge(page), /^Live$/, { what: 'the Live badge' });
    const fragments = [];
    page.on('response', (res) => {
      if (/\/hls\/.+\.ts(\?|$)/.test(res.url()) && res.ok()) fragments.push(res.url());
    });
    const canDecode = await page.evaluate(
      () => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001e,mp4a.40.2"'),
    );
    if (canDecode) {
      const { first, later } = await expectVideoPlaying(page);
      note(
        `video playing ${Date.now() - opened} ms after the page opened: ${first.videoWidth}×${first.videoHeight}, currentTime ${first.currentTime.toFixed(2)} → ${later.currentTime.toFixed(2)} s`,
      );
    } else {
      note('this Chromium cannot decode H.264/AAC through MediaSource: asserting on hls.js fragment loading instead');
      await poll('hls.js to load fragments', () => fragments.length >= 2, { timeoutMs: 25_000 });
    }
  }, { timeoutMs: 60_000 });

  step('the viewer count rises on the streamer’s and the viewer’s pages', async () => {
    const expected = s.viewerCountBefore + 1;
    const onGoLive = await expectNumber(s.streamer.page.getByTestId('live-viewer-count'), (n) => n === expected, {
      what: `the Go Live page’s viewer count to rise to ${expected}`,
    });
    const onStream = await expectNumber(s.viewer.page.getByTestId('viewer-count'), (n) => n === expected, {
      what: `the stream page’s viewer count to read ${expected}`,
    });
    note(`viewer count: Go Live page ${s.viewerCountBefore} → ${onGoLive}, stream page ${onStream}`);
    const { page } = s.streamer;
    await page.bringToFront();
    await screenshot(page, '04-go-live-live', 'go-live.png');
  });

  step('chat goes both ways between the viewer and the streamer', async () => {
    s.streamerStreamPage = await s.streamer.context.newPage();
    const mine = s.streamerStreamPage;
    await mine.goto(`/live/${s.streamId}`);
    await mine.getByLabel('Chat message', { exact: true }).waitFor();
    const viewerPage = s.viewer.page;
    await viewerPage.bringToFront();

    const hello = `Hi from the viewer! ${suffix}`;
    s.chat.hello = hello;
    await viewerPage.getByLabel('Chat message', { exact: true }).fill(hello);
    await viewerPage.getByRole('button', { name: 'Send' }).click();
    for (const [who, page] of [
      ['viewer', viewerPage],
      ['streamer', mine],
    ]) {
      const item = page.getByTestId('chat-messages').locator('li').filter({ hasText: hello });
      await expectText(item, viewerName, { what: `the viewer's message on the ${who}'s stream page` });
    }

    await mine.bringToFront();
    const reply = `Welcome ${viewerName}, thanks for tuning in`;
    s.chat.reply = reply;
    await mine.getByLabel('Chat message', { exact: true }).fill(reply);
    await mine.getByRole('button', { name: 'Send' }).click();
    const item = viewerPage.getByTestId('chat-messages').locator('li').filter({ hasText: reply });
    await expectText(item, streamerName, { what: "the streamer's reply on the viewer's page" });
    await screenshot(mine, '05-stream-streamer');
    await viewerPage.bringToFront();
    await screenshot(viewerPage, '06-stream-viewer', 'stream.png');
  });

  step('the playback speed is changed and kept after a reload', async () => {
    const { page } = s.viewer;
    const speed = page.getByTestId('playback-speed');
    await expectText(speed, '1×', { what: 'the default speed' });
    assert.equal(await speed.getAttribute('aria-label'), 'Playback speed 1×');
    await speed.click();
    await expectText(speed, '1.25×', { what: 'the next speed' });
    assert.equal(await speed.getAttribute('aria-label'), 'Playback speed 1.25×');
    assert.equal((await videoState(page)).playbackRate, 1, 'a live edge plays at 1×');

    await page.getByRole('button', { name: 'Choose playback speed' }).click();
    const menu = page.getByRole('menu', { name: 'Playback speed' });
    const items = (await menu.getByRole('menuitemradio').allTextContents()).map((t) => t.replace(/\s*Normal$/, '').trim());
    assert.deepEqual(items, ['0.5×', '0.75×', '1×', '1.25×', '1.5×', '2×'], 'six speeds in the menu');
    assert.equal(await menu.getByRole('menuitemradio', { checked: true }).textContent(), '1.25×');
    await page.keyboard.press('Escape');

    await page.reload();
    await expectText(speed, '1.25×', { timeoutMs: 15_000, what: 'the saved speed after the reload' });
    assert.equal(await speed.getAttribute('aria-label'), 'Playback speed 1.25×');
    await expectVideoPlaying(page, { seconds: 0.5 });
    assert.equal((await videoState(page)).playbackRate, 1, 'still 1× at the live edge after the reload');
    note('speed 1.25× kept across the reload; the live edge plays at 1×');
  });

  step('the stream page publishes its Media Session metadata and handlers', async () => {
    const { page } = s.viewer;
    const session = await poll('the Media Session metadata', () =>
      page.evaluate(() => {
        const m = navigator.mediaSession?.metadata;
        return m ? { title: m.title, artist: m.artist, artwork: m.artwork.map((a) => a.src) } : null;
      }),
    );
    assert.equal(session.title, stream.title);
    assert.equal(session.artist, streamerName);
    assert.ok(session.artwork.length > 0 && session.artwork.every((src) => src.includes('/media/thumbnails/')), 'artwork = the thumbnail');
    const actions = await page.evaluate(() => [...window.__mediaSessionHandlers.keys()].sort());
    for (const action of ['pause', 'play', 'seekbackward', 'seekforward']) assert.ok(actions.includes(action), `a ${action} handler`);
    // The media keys drive the video.
    await page.evaluate(() => window.__mediaSessionHandlers.get('pause')({ action: 'pause' }));
    await poll('the video to pause', async () => (await videoState(page)).paused);
    await page.evaluate(() => window.__mediaSessionHandlers.get('play')({ action: 'play' }));
    await poll('the video to play again', async () => !(await videoState(page)).paused);
    note(`Media Session: "${session.title}" by ${session.artist}, ${session.artwork.length} artwork sizes, handlers ${actions.join(', ')}`);
  });

  step('regenerating the key cuts the encoder and ends the stream', async () => {
    const { page } = s.streamer;
    await page.bringToFront();
    await page.getByRole('button', { name: 'Regenerate key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).waitFor();
    await expectText(dialog, /stops working[\s\S]*disconnected/, { what: 'the dialog to say the key stops and the encoder is cut' });
    const t0 = Date.now();
    await dialog.getByRole('button', { name: 'Regenerate', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });

    const exit = await withTimeout(s.encoder.exited, 15_000, 'ffmpeg to be cut');
    note(`ffmpeg cut ${Date.now() - t0} ms after the confirmation (exit ${exit.code ?? exit.signal})`);
    await expectText(page.getByTestId('live-status'), 'Stream ended', { timeoutMs: 20_000 });
    const replay = page.getByRole('link', { name: 'Watch the replay' });
    assert.equal(await replay.getAttribute('href'), `/live/${s.streamId}`);
    note(`"Stream ended" ${Date.now() - t0} ms after the confirmation`);

    await page.getByRole('button', { name: 'Reveal key' }).click();
    const fresh = await poll('the new key to show', async () => {
      const text = ((await page.getByTestId('stream-key').textContent()) ?? '').trim();
      return /^[0-9a-f-]{32,}$/i.test(text) ? text : null;
    });
    assert.notEqual(fresh, s.keys[0], 'the key changed');
    s.keys.push(fresh);
    await page.getByRole('button', { name: 'Hide key' }).click();
    await screenshot(page, '07-go-live-ended');

    await expectText(statusBadge(s.viewer.page), /^Replay$/, { timeoutMs: 20_000, what: 'the stream page to show the replay state' });

    // The old key is dead: a publish with it is refused.
    const retry = startEncoder(`${s.stack.rtmpPublishBase}/${s.keys[0]}`, s.keys[0]);
    const refused = await withTimeout(retry.exited, 15_000, 'the old key to be refused');
    assert.notEqual(refused.code, 0, 'ffmpeg with the old key fails');
  });

  step('the ended stream is listed among the replays on /live', async () => {
    const { page } = s.viewer;
    await page.goto('/live');
    const replays = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Replays' }) });
    const card = replays.getByRole('link', { name: new RegExp(stream.title) });
    await card.first().waitFor({ timeout: 15_000 });
    const live = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Live now' }) });
    assert.equal(await live.getByRole('link', { name: new RegExp(stream.title) }).count(), 0, 'no longer live');
    await screenshot(page, '08-listing');
    await card.first().click();
    await page.waitForURL(`**/live/${s.streamId}`);
    await expectText(statusBadge(page), /^Replay$/, { what: 'the replay badge' });
    // The ended room is read-only, and its history is still shown.
    const messages = page.getByTestId('chat-messages').locator('li');
    await expectText(messages.filter({ hasText: s.chat.hello }), viewerName, { what: 'the viewer’s message in the replay’s chat' });
    await expectText(messages.filter({ hasText: s.chat.reply }), streamerName, { what: 'the streamer’s reply in the replay’s chat' });
    assert.equal(await page.getByRole('button', { name: 'Send' }).isEnabled(), false, 'an ended chat takes no message');
    await screenshot(page, '09-stream-replay');
  });

  step('a 12 s broadcast with "Record a replay" becomes a replay', async () => {
    const { page } = s.streamer;
    await page.bringToFront();
    await page.getByRole('button', { name: 'Set up your next stream' }).click();
    await expectText(page.getByTestId('live-status'), 'You are offline', { what: 'the next stream set up' });
    const token = await tokenOf(page);
    const key = await api('/live/streams/me/key', token);
    const id = key.body.data.stream_id;
    assert.notEqual(id, s.streamId, 'a new stream is the current one');
    await poll('the page to follow the new stream', async () =>
      (await page.getByRole('link', { name: 'Open stream page' }).getAttribute('href')) === `/live/${id}`,
    );
    const record = page.getByRole('checkbox', { name: 'Record a replay' });
    assert.equal(await record.isEnabled(), true, 'the recording choice is open before going live');
    await record.check();
    await page.getByLabel('Title', { exact: true }).fill(replayTitle);
    await page.getByRole('button', { name: 'Go Live Now' }).click();
    await expectText(page.getByTestId('live-status'), 'Waiting for your encoder…', { timeoutMs: 10_000 });
    const saved = await api(`/live/streams/${id}`, token);
    assert.equal(saved.body.data.record_replay, true, 'the stream is to be recorded');

    const t0 = Date.now();
    s.encoder = startEncoder(`${s.stack.rtmpPublishBase}/${s.keys[1]}`, s.keys[1], { seconds: REPLAY_BROADCAST_S });
    await expectText(page.getByTestId('live-status'), 'You are live', { timeoutMs: 15_000 });
    assert.equal(await record.isDisabled(), true, 'the recording choice is locked while live');
    const exit = await withTimeout(s.encoder.exited, (REPLAY_BROADCAST_S + 10) * 1000, 'ffmpeg to finish its broadcast');
    note(`broadcast of ${((Date.now() - t0) / 1000).toFixed(1)} s (ffmpeg exit ${exit.code ?? exit.signal})`);
    await expectText(page.getByTestId('live-status'), 'Stream ended', { timeoutMs: 15_000 });

    const ended = Date.now();
    let seen = null;
    const ready = await poll(
      'the replay to be ready',
      async () => {
        const { body } = await api(`/live/streams/${id}`);
        seen = body.data?.replay_status ?? null;
        return seen === 'ready' ? body.data : null;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch((error) => {
      throw new Error(`${error.message}; last replay_status: ${seen}`);
    });
    note(`replay ready ${Date.now() - ended} ms after the end: ${ready.duration_seconds} s at ${new URL(ready.stream_url).pathname}`);
    assert.equal(new URL(ready.stream_url).pathname, `/media/replays/${id}/index.m3u8`, 'the replay’s VOD playlist');
    assert.equal(new URL(ready.stream_url).origin, s.stack.baseUrl, 'served through the gateway');
    assert.ok(
      ready.duration_seconds >= REPLAY_BROADCAST_S - 6 && ready.duration_seconds <= REPLAY_BROADCAST_S + 3,
      `a replay about as long as the broadcast (${ready.duration_seconds} s)`,
    );
    const playlist = await fetch(ready.stream_url);
    assert.equal(playlist.status, 200);
    assert.match(await playlist.text(), /#EXT-X-ENDLIST/, 'a finished (VOD) playlist');
    s.replay = ready;
  }, { timeoutMs: 65_000 });

  step('the replay plays from its start, and twice as fast at 2×', async () => {
    const { page } = s.viewer;
    await page.bringToFront();
    const id = s.replay.id;
    const segments = [];
    page.on('response', (res) => {
      if (res.url().includes(`/media/replays/${id}/`) && res.ok()) segments.push(res.url());
    });
    await page.goto(`/live/${id}`);
    await expectText(page.getByRole('heading', { level: 1 }), replayTitle, { what: 'the replay’s title as h1' });
    await expectText(statusBadge(page), /^Replay$/, { what: 'the replay badge' });
    const length = clock(s.replay.duration_seconds);
    await expectText(page.getByTestId('replay-duration'), new RegExp(`^${length}$`), { what: `the duration ${length}` });

    const canDecode = await page.evaluate(
      () => typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('video/mp4; codecs="avc1.64001e,mp4a.40.2"'),
    );
    if (!canDecode) {
      note('this Chromium cannot decode H.264/AAC through MediaSource: asserting on the replay’s loading instead');
      await poll('hls.js to load the replay', () => segments.some((u) => /\.ts(\?|$)/.test(u)), { timeoutMs: 15_000 });
      return;
    }
    const start = await poll(
      'the replay to start playing',
      async () => {
        const v = await videoState(page);
        return v.currentTime > 0 && v.videoWidth > 0 && !v.paused ? v : null;
      },
      { timeoutMs: 15_000, intervalMs: 100 },
    );
    assert.ok(start.currentTime < 3, `the replay starts at its beginning, not a live edge (currentTime ${start.currentTime.toFixed(2)} s)`);
    assert.ok(
      Number.isFinite(start.duration) && Math.abs(start.duration - s.replay.duration_seconds) < 2,
      `a timeline as long as the replay (${start.duration} s)`,
    );

    await page.getByRole('button', { name: 'Choose playback speed' }).click();
    await page.getByRole('menu', { name: 'Playback speed' }).getByRole('menuitemradio', { name: '2×', exact: true }).click();
    await expectText(page.getByTestId('playback-speed'), /^2×$/, { what: 'the 2× speed chosen' });
    await poll('the video to play at 2×', async () => (await videoState(page)).playbackRate === 2, { timeoutMs: 3_000 });
    const run = await page.getByTestId('live-video').evaluate(async (v) => {
      const wall0 = performance.now();
      const time0 = v.currentTime;
      await new Promise((r) => setTimeout(r, 2_000));
      return { video: v.currentTime - time0, wall: (performance.now() - wall0) / 1000, from: time0, to: v.currentTime };
    });
    const ratio = run.video / run.wall;
    note(
      `replay: started at ${start.currentTime.toFixed(2)} s of ${start.duration.toFixed(1)} s; at 2× ${run.from.toFixed(2)} → ${run.to.toFixed(2)} s in ${run.wall.toFixed(2)} s (×${ratio.toFixed(2)})`,
    );
    assert.ok(ratio >= 1.5 && ratio <= 2.5, `the replay advances about twice as fast as the clock (×${ratio.toFixed(2)})`);

    // The system's media controls seek within the replay.
    const actions = await page.evaluate(() => [...window.__mediaSessionHandlers.keys()]);
    assert.ok(actions.includes('seekto'), 'a seekto handler on a replay');
    await page.evaluate(() => window.__mediaSessionHandlers.get('seekto')({ action: 'seekto', seekTime: 1 }));
    await poll('the Media Session seek back to 1 s', async () => (await videoState(page)).currentTime < 3, { timeoutMs: 5_000 });
    await screenshot(page, '10-stream-replay-playing');
  });

  step('the key never reached a URL, local storage or a console line', async () => {
    assert.equal(s.keys.length, 2);
    for (const key of s.keys) {
      assert.equal(s.requests.filter((u) => u.includes(key)).length, 0, 'no request URL holds a key');
      assert.equal(s.consoleLines.filter((l) => l.includes(key)).length, 0, 'no console line holds a key');
      for (const user of [s.streamer, s.viewer]) {
        const state = JSON.stringify(await user.context.storageState());
        assert.ok(!state.includes(key), 'no local storage entry or cookie holds a key');
      }
    }
    assert.deepEqual(s.pageErrors, [], 'no uncaught error in the pages');
    note(`${s.requests.length} requests and ${s.consoleLines.length} console lines checked`);
  });
});
