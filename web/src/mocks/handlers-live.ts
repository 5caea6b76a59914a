// MSW handlers for the live API, shared by the unit tests (msw/node) and
// Storybook (msw-storybook-addon). They keep a small in-memory state that
// `resetMockState` restores between tests, and check the bearer token the
// way the services do (401 without one).
import { http, HttpResponse } from 'msw';
import type { Stream } from '../api/types';
import {
  MOCK_REGENERATED_KEY,
  MOCK_RTMP_URL,
  MOCK_STREAM_KEY,
  MOCK_USERNAME,
  MOCK_USER_ID,
  liveStreams,
  makeHealth,
  makeMessage,
  makeStream,
  replayStreams,
  scheduledStreams,
} from './fixtures';

const API = '*/api/v1';

interface MockState {
  key: string;
  mine: Stream[];
  created: number;
}

function initialState(): MockState {
  return { key: MOCK_STREAM_KEY, mine: [makeStream({ user_id: MOCK_USER_ID })], created: 0 };
}

let state = initialState();

/** Restores the handlers' data (called after each test). */
export function resetMockState(): void {
  state = initialState();
}

/** The handlers' current data, for assertions. */
export function mockState(): Readonly<MockState> {
  return state;
}

function ok<T>(data: T, status = 200) {
  return HttpResponse.json({ success: true, data }, { status });
}

function fail(status: number, code: string, message: string, details?: { field: string; message: string }[]) {
  return HttpResponse.json(
    { success: false, error: { code, message, ...(details ? { details } : {}), request_id: 'req-mock' } },
    { status },
  );
}

function authorized(request: Request): boolean {
  return /^Bearer \S+$/.test(request.headers.get('Authorization') ?? '');
}

function ownerView(stream: Stream): Stream {
  return { ...stream, stream_key: state.key, rtmp_url: MOCK_RTMP_URL };
}

type Body = Record<string, unknown>;

function validate(body: Body, requireTitle: boolean) {
  const details: { field: string; message: string }[] = [];
  const title = typeof body.title === 'string' ? body.title.trim() : undefined;
  if (requireTitle && !title) details.push({ field: 'title', message: 'must not be empty' });
  if (title !== undefined && [...title].length > 140) details.push({ field: 'title', message: 'at most 140 characters' });
  if (typeof body.description === 'string' && body.description.length > 5000)
    details.push({ field: 'description', message: 'at most 5000 characters' });
  if (Array.isArray(body.tags) && body.tags.length > 10) details.push({ field: 'tags', message: 'at most 10 tags' });
  if (typeof body.scheduled_at === 'string' && Date.parse(body.scheduled_at) <= Date.now())
    details.push({ field: 'scheduled_at', message: 'must be in the future' });
  if ('record_replay' in body && typeof body.record_replay !== 'boolean')
    details.push({ field: 'record_replay', message: 'must be true or false' });
  return details;
}

/** The recording choice is read when the stream goes live: it cannot change after. */
function recordReplayLocked(stream: Stream, body: Body): boolean {
  return (
    typeof body.record_replay === 'boolean' &&
    body.record_replay !== stream.record_replay &&
    (stream.status === 'live' || stream.status === 'ended')
  );
}

function applyUpdate(stream: Stream, body: Body): Stream {
  const next: Stream = { ...stream, updated_at: new Date().toISOString() };
  if (typeof body.title === 'string') next.title = body.title.trim();
  if ('description' in body) next.description = (body.description as string | null) ?? null;
  if ('category' in body) next.category = (body.category as string | null) ?? null;
  if (Array.isArray(body.tags)) next.tags = body.tags as string[];
  if (typeof body.record_replay === 'boolean') next.record_replay = body.record_replay;
  if ('thumbnail_url' in body) next.thumbnail_url = (body.thumbnail_url as string | null) ?? null;
  if ('scheduled_at' in body) {
    next.scheduled_at = (body.scheduled_at as string | null) ?? null;
    if (next.status === 'draft' && next.scheduled_at) next.status = 'scheduled';
  }
  return next;
}

export const handlersLive = [
  http.post(`${API}/auth/dev-token`, async ({ request }) => {
    const body = (await request.json()) as Body;
    const username = typeof body.username === 'string' ? body.username : '';
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(username))
      return fail(400, 'validation_failed', 'invalid username', [{ field: 'username', message: '1..=32 letters, digits, _ - .' }]);
    const payload = btoa(JSON.stringify({ user_id: MOCK_USER_ID, username, exp: 4102444800 }));
    return ok({ token: `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`, user_id: MOCK_USER_ID, username, expires_at: '2100-01-01T00:00:00Z' });
  }),

  http.get(`${API}/live/streams/me/key`, ({ request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const current = state.mine[0]!;
    return ok({ stream_key: state.key, rtmp_url: MOCK_RTMP_URL, stream_id: current.id });
  }),

  http.post(`${API}/live/streams/me/key/regenerate`, ({ request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    state.key = state.key === MOCK_REGENERATED_KEY ? crypto.randomUUID() : MOCK_REGENERATED_KEY;
    return ok({ stream_key: state.key, rtmp_url: MOCK_RTMP_URL, stream_id: state.mine[0]!.id });
  }),

  http.get(`${API}/live/streams/me`, ({ request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    return ok(state.mine.map(ownerView));
  }),

  http.post(`${API}/live/streams`, async ({ request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const body = (await request.json()) as Body;
    const details = validate(body, true);
    if (details.length) return fail(400, 'validation_failed', 'invalid stream', details);
    state.created += 1;
    const stream = applyUpdate(
      makeStream({ id: crypto.randomUUID(), user_id: MOCK_USER_ID, streamer_name: MOCK_USERNAME, description: null, category: null, tags: [] }),
      body,
    );
    state.mine = [stream, ...state.mine];
    return ok(ownerView(stream), 201);
  }),

  http.get(`${API}/live/streams`, ({ request }) => {
    const url = new URL(request.url);
    const limit = Number(url.searchParams.get('limit') ?? 20);
    let data: Stream[] = [];
    if (url.searchParams.get('is_live') === 'true') data = liveStreams;
    else if (url.searchParams.get('scheduled') === 'true') data = scheduledStreams;
    else if (url.searchParams.get('is_vod') === 'true') data = replayStreams;
    else data = [...liveStreams, ...scheduledStreams, ...replayStreams];
    return HttpResponse.json({ success: true, data: data.slice(0, limit), meta: { limit, next_cursor: null, has_more: false } });
  }),

  http.get(`${API}/live/streams/:id/chat/messages`, ({ params }) => {
    const messages = [3, 2, 1].map((seq) => makeMessage(seq, { stream_id: String(params.id) }));
    return HttpResponse.json({ success: true, data: messages, meta: { limit: 50, next_cursor: null, has_more: false } });
  }),

  http.delete(`${API}/live/streams/:id/chat/messages/:messageId`, ({ params, request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    return ok({ id: String(params.messageId), deleted: true });
  }),

  http.post(`${API}/live/streams/:id/chat/bans`, async ({ params, request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const body = (await request.json()) as Body;
    if (typeof body.user_id !== 'string') return fail(400, 'validation_failed', 'user_id is required', [{ field: 'user_id', message: 'required' }]);
    const expires = typeof body.duration_s === 'number' ? new Date(Date.now() + body.duration_s * 1000).toISOString() : null;
    return ok({ stream_id: String(params.id), user_id: body.user_id, banned: true, expires_at: expires }, 201);
  }),

  http.get(`${API}/live/streams/:id/health`, ({ params, request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const mine = state.mine.find((s) => s.id === params.id);
    if (!mine) return fail(403, 'forbidden', 'only the streamer sees a stream\'s health');
    return ok(makeHealth({ stream_id: mine.id, live: mine.status === 'live' }));
  }),

  http.get(`${API}/live/streams/:id`, ({ params, request }) => {
    const all = [...liveStreams, ...scheduledStreams, ...replayStreams];
    const mine = state.mine.find((s) => s.id === params.id);
    if (mine && authorized(request)) return ok(ownerView(mine));
    const found = all.find((s) => s.id === params.id);
    return found ? ok(found) : fail(404, 'not_found', 'stream not found');
  }),

  http.put(`${API}/live/streams/:id/thumbnail`, async ({ params, request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const index = state.mine.findIndex((s) => s.id === params.id);
    if (index < 0) return fail(404, 'not_found', 'stream not found');
    const bytes = await request.arrayBuffer();
    if (bytes.byteLength > 2 * 1024 * 1024) return fail(413, 'payload_too_large', 'at most 2 MiB');
    if (!/^image\/(png|jpeg|webp)$/.test(request.headers.get('Content-Type') ?? ''))
      return fail(415, 'invalid_image', 'not a PNG, JPEG or WebP image');
    const updated = { ...state.mine[index]!, thumbnail_url: `http://localhost/media/thumbnails/${params.id}/0123456789abcdef.jpg` };
    state.mine[index] = updated;
    return ok(ownerView(updated));
  }),

  http.put(`${API}/live/streams/:id`, async ({ params, request }) => {
    if (!authorized(request)) return fail(401, 'unauthorized', 'sign in first');
    const index = state.mine.findIndex((s) => s.id === params.id);
    if (index < 0) return fail(404, 'not_found', 'stream not found');
    const body = (await request.json()) as Body;
    if (Object.keys(body).length === 0) return fail(400, 'validation_failed', 'nothing to update');
    const details = validate(body, false);
    if (details.length) return fail(400, 'validation_failed', 'invalid stream', details);
    if (recordReplayLocked(state.mine[index]!, body))
      return fail(409, 'invalid_state', 'record_replay can only change before the stream goes live');
    const updated = applyUpdate(state.mine[index]!, body);
    state.mine[index] = updated;
    return ok(ownerView(updated));
  }),
];
