import { MOCK_REGENERATED_KEY, MOCK_RTMP_URL, MOCK_STREAM_KEY, liveStreams, replayStreams } from '../mocks/fixtures';
import { mockState } from '../mocks/handlers-live';
import { server } from '../mocks/server';
import { ApiRequestError, setAuthToken } from './apiClient';
import { liveService } from './liveService';

describe('liveService against the MSW handlers', () => {
  beforeEach(() => setAuthToken('test-token'));
  afterEach(() => setAuthToken(null));

  it('getMyStreamKey answers the key, the RTMP URL and the current stream, and needs a sign-in', async () => {
    const key = await liveService.getMyStreamKey();
    expect(key).toEqual({ stream_key: MOCK_STREAM_KEY, rtmp_url: MOCK_RTMP_URL, stream_id: mockState().mine[0]!.id });
    setAuthToken(null);
    await expect(liveService.getMyStreamKey()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
  });

  it('regenerateStreamKey answers a new key that the next read returns', async () => {
    const fresh = await liveService.regenerateStreamKey();
    expect(fresh.stream_key).toBe(MOCK_REGENERATED_KEY);
    await expect(liveService.getMyStreamKey()).resolves.toMatchObject({ stream_key: MOCK_REGENERATED_KEY });
  });

  it('getMyStreams answers owner views carrying the key', async () => {
    const mine = await liveService.getMyStreams();
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ stream_key: MOCK_STREAM_KEY, rtmp_url: MOCK_RTMP_URL });
  });

  it('createStream sends an Idempotency-Key and answers the created stream', async () => {
    const seen: (string | null)[] = [];
    const onRequest = ({ request }: { request: Request }) => {
      if (request.method === 'POST') seen.push(request.headers.get('Idempotency-Key'));
    };
    server.events.on('request:start', onRequest);
    try {
      const created = await liveService.createStream({ title: '  Sunday jazz  ', tags: ['jazz'] });
      expect(created).toMatchObject({ title: 'Sunday jazz', tags: ['jazz'], stream_key: MOCK_STREAM_KEY });
      await liveService.createStream({ title: 'Again' }, 'chosen-key');
    } finally {
      server.events.removeListener('request:start', onRequest);
    }
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen[1]).toBe('chosen-key');
    expect(mockState().created).toBe(2);
  });

  it('updateStream changes the stream, and a refusal carries the field details', async () => {
    const id = mockState().mine[0]!.id;
    await expect(liveService.updateStream(id, { title: 'Renamed' })).resolves.toMatchObject({ title: 'Renamed' });
    const refused = await liveService.updateStream(id, { title: 'x'.repeat(141) }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiRequestError);
    expect((refused as ApiRequestError).fieldMessage('title')).toBeTruthy();
    expect(mockState().mine[0]!.title).toBe('Renamed');
  });

  it('uploadThumbnail sends the image with its type and answers the new thumbnail_url', async () => {
    const id = mockState().mine[0]!.id;
    const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
    const updated = await liveService.uploadThumbnail(id, png);
    expect(updated.thumbnail_url).toContain(`/media/thumbnails/${id}/`);
    const text = new Blob(['hello'], { type: 'text/plain' });
    await expect(liveService.uploadThumbnail(id, text)).rejects.toMatchObject({ status: 415 });
  });

  it('listStreams passes the filters and answers the page with its meta', async () => {
    const live = await liveService.listStreams({ is_live: true, limit: 1 });
    expect(live.data.map((s) => s.id)).toEqual([liveStreams[0]!.id]);
    expect(live.meta).toEqual({ limit: 1, next_cursor: null, has_more: false });
    const replays = await liveService.listStreams({ is_vod: true });
    expect(replays.data.map((s) => s.id)).toEqual(replayStreams.map((s) => s.id));
  });

  it('getStream of an unknown stream is a 404 ApiRequestError', async () => {
    await expect(liveService.getStream('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({
      status: 404,
      code: 'not_found',
    });
  });
});
