import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { MOCK_REGENERATED_KEY, MOCK_RTMP_URL, MOCK_STREAM_KEY, makeStream } from '../../../mocks/fixtures';
import { mockState } from '../../../mocks/handlers-live';
import { server } from '../../../mocks/server';
import type { ServerFrame } from '../../../services/chatProtocol';
import GoLivePage from './GoLivePage';
import { KEY_MASK } from './go-live-page/StreamKeyPanel';
import { renderWithLiveProviders } from './go-live-page/testHelpers';
import { toLocalInputValue } from './go-live-page/streamForm';

const CURRENT = makeStream().id;

async function renderPage() {
  const rendered = renderWithLiveProviders(<GoLivePage />);
  expect(await screen.findByLabelText('Title')).toHaveValue('Friday night house');
  return rendered;
}

/** Records the JSON bodies of a route, then lets the mock handlers answer. */
function recordBodies(method: 'put' | 'post', path: string) {
  const bodies: { body: unknown; idempotencyKey: string | null }[] = [];
  server.use(
    http[method](path, async ({ request }) => {
      bodies.push({ body: await request.clone().json(), idempotencyKey: request.headers.get('Idempotency-Key') });
      return undefined;
    }),
  );
  return bodies;
}

describe('GoLivePage', () => {
  it('loads the key and the current stream, then shows the form prefilled and the key masked', async () => {
    renderWithLiveProviders(<GoLivePage />);
    expect(screen.getByRole('status')).toHaveTextContent('Loading your stream settings…');
    expect(await screen.findByLabelText('Title')).toHaveValue('Friday night house');
    expect(screen.getByTestId('stream-key')).toHaveTextContent(KEY_MASK);
    expect(screen.getByTestId('rtmp-url')).toHaveTextContent(MOCK_RTMP_URL);
    expect(screen.getByRole('link', { name: 'Open stream page' })).toHaveAttribute('href', `/live/${CURRENT}`);
    expect(screen.getByTestId('live-status')).toHaveTextContent('You are offline');
  });

  it('says the service is unavailable on 503 and loads on Retry', async () => {
    let calls = 0;
    server.use(
      http.get('*/api/v1/live/streams/me/key', () => {
        calls += 1;
        return calls === 1
          ? HttpResponse.json({ success: false, error: { code: 'service_unavailable', message: 'down' } }, { status: 503 })
          : undefined;
      }),
    );
    const { user } = renderWithLiveProviders(<GoLivePage />);
    expect(await screen.findByRole('alert')).toHaveTextContent(/temporarily unavailable/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(await screen.findByLabelText('Title')).toHaveValue('Friday night house');
    expect(calls).toBe(2);
  });

  it('"Go Live Now" updates the draft, waits for the encoder and turns live when the socket says so', async () => {
    const bodies = recordBodies('put', '*/api/v1/live/streams/:id');
    const { user, Sockets } = await renderPage();
    const ws = Sockets.latest();
    act(() => ws.open());
    expect(ws.sent).toContainEqual({ type: 'join', stream_id: CURRENT });
    await user.clear(screen.getByLabelText('Title'));
    await user.type(screen.getByLabelText('Title'), 'Opening night');
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));

    expect(await screen.findByText('Waiting for your encoder…')).toBeInTheDocument();
    expect(bodies).toEqual([
      {
        body: {
          title: 'Opening night',
          description: 'Two hours of deep house from the vinyl crate.',
          category: 'house',
          tags: ['deep', 'vinyl'],
          thumbnail_url: null,
          record_replay: true,
        },
        idempotencyKey: null,
      },
    ]);
    expect(mockState().mine[0]!.title).toBe('Opening night');

    const push = (frame: ServerFrame) => act(() => ws.receive(frame));
    push({ type: 'joined', stream_id: CURRENT, can_send: true, viewer_count: 0, status: 'scheduled', last_seq: 0, history: [] });
    push({ type: 'stream_status', stream_id: CURRENT, status: 'live' });
    expect(screen.getByTestId('live-status')).toHaveTextContent('You are live');
    expect(screen.getByTestId('live-viewer-count')).toHaveTextContent(/^0$/);
    push({ type: 'viewer_count', stream_id: CURRENT, count: 5 });
    expect(screen.getByTestId('live-viewer-count')).toHaveTextContent(/^5$/);

    push({ type: 'stream_status', stream_id: CURRENT, status: 'ended' });
    const status = screen.getByTestId('live-status');
    expect(status).toHaveTextContent('Stream ended');
    expect(within(status).getByRole('link', { name: 'Watch the replay' })).toHaveAttribute('href', `/live/${CURRENT}`);
  });

  it('turns live from a draft whose room did not exist yet: polls the stream and joins its room', async () => {
    const { user, Sockets } = await renderPage();
    const ws = Sockets.latest();
    act(() => ws.open());
    act(() => ws.receive({ type: 'error', code: 'not_found', message: 'no chat room for this stream', stream_id: CURRENT }));
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(await screen.findByText('Waiting for your encoder…')).toBeInTheDocument();

    // The encoder starts: the catalog reports the stream live.
    const mine = mockState().mine as ReturnType<typeof makeStream>[];
    mine[0] = { ...mine[0]!, status: 'live', is_live: true, viewer_count: 1 };
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveTextContent('You are live'), { timeout: 3000 });
    expect(screen.getByTestId('live-viewer-count')).toHaveTextContent(/^1$/);
    await waitFor(() => expect(ws.sent.filter((f) => f.type === 'join')).toHaveLength(2));
    act(() =>
      ws.receive({ type: 'joined', stream_id: CURRENT, can_send: true, viewer_count: 4, status: 'live', last_seq: 0, history: [] }),
    );
    expect(screen.getByTestId('live-viewer-count')).toHaveTextContent(/^4$/);
  });

  it('sends "Record a replay" unticked in the update of a draft', async () => {
    const bodies = recordBodies('put', '*/api/v1/live/streams/:id');
    const { user } = await renderPage();
    await user.click(screen.getByRole('checkbox', { name: 'Record a replay' }));
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(await screen.findByText('Waiting for your encoder…')).toBeInTheDocument();
    expect(bodies[0]!.body).toMatchObject({ record_replay: false });
    expect(mockState().mine[0]!.record_replay).toBe(false);
  });

  it('sends "Record a replay" in the creation of the next stream', async () => {
    const mine = mockState().mine as ReturnType<typeof makeStream>[];
    mine[0] = { ...mine[0]!, status: 'ended', is_vod: true, record_replay: false };
    const bodies = recordBodies('post', '*/api/v1/live/streams');
    const { user } = await renderPage();
    expect(screen.getByRole('checkbox', { name: 'Record a replay' })).not.toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(await screen.findByText('Waiting for your encoder…')).toBeInTheDocument();
    expect(bodies[0]!.body).toMatchObject({ record_replay: false });
    expect(mockState().mine[0]!.record_replay).toBe(false);
  });

  it('locks "Record a replay" while live and leaves it out of the saved changes', async () => {
    const mine = mockState().mine as ReturnType<typeof makeStream>[];
    mine[0] = { ...mine[0]!, status: 'live', is_live: true };
    const bodies = recordBodies('put', '*/api/v1/live/streams/:id');
    const { user } = await renderPage();
    expect(screen.getByTestId('live-status')).toHaveTextContent('You are live');
    const record = screen.getByRole('checkbox', { name: 'Record a replay' });
    expect(record).toBeDisabled();
    expect(record).toHaveAccessibleDescription(/cannot change during the broadcast/);
    await user.click(screen.getByRole('button', { name: 'Save changes' }));
    expect(await screen.findByText('Saved. Viewers see the new details.')).toBeInTheDocument();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.body).not.toHaveProperty('record_replay');
  });

  it('"Schedule Stream" sends the local date as UTC and shows the scheduled time', async () => {
    const bodies = recordBodies('put', '*/api/v1/live/streams/:id');
    const { user } = await renderPage();
    const local = toLocalInputValue(new Date(Date.now() + 5 * 86_400_000));
    fireEvent.change(screen.getByLabelText('Scheduled for'), { target: { value: local } });
    await user.click(screen.getByRole('button', { name: 'Schedule Stream' }));
    await waitFor(() => expect(screen.getByTestId('live-status')).toHaveTextContent(/Scheduled for/));
    const utc = new Date(local).toISOString();
    expect(bodies[0]!.body).toMatchObject({ scheduled_at: utc });
    expect(mockState().mine[0]).toMatchObject({ status: 'scheduled', scheduled_at: utc });
  });

  it('shows the server’s field details next to the fields', async () => {
    server.use(
      http.put('*/api/v1/live/streams/:id', () =>
        HttpResponse.json(
          {
            success: false,
            error: {
              code: 'validation_failed',
              message: 'invalid stream',
              details: [
                { field: 'title', message: 'title must not contain control characters' },
                { field: 'tags[1]', message: 'each tag must be 1 to 25 printable characters' },
              ],
            },
          },
          { status: 400 },
        ),
      ),
    );
    const { user } = await renderPage();
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    await waitFor(() =>
      expect(screen.getByLabelText('Title')).toHaveAccessibleDescription('title must not contain control characters'),
    );
    expect(screen.getByLabelText('Tags')).toHaveAccessibleDescription(/each tag must be 1 to 25 printable characters/);
    expect(screen.getByText('Some fields need your attention.')).toBeInTheDocument();
    expect(screen.getByTestId('live-status')).not.toHaveTextContent('Waiting for your encoder');
  });

  it('creates a new stream when the current one has ended, with an idempotency key, and follows it', async () => {
    const mine = mockState().mine as ReturnType<typeof makeStream>[];
    mine[0] = { ...mine[0]!, status: 'ended', is_vod: true };
    const bodies = recordBodies('post', '*/api/v1/live/streams');
    const { user } = await renderPage();
    expect(screen.getByTestId('live-status')).toHaveTextContent('Stream ended');
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(await screen.findByText('Waiting for your encoder…')).toBeInTheDocument();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.body).toEqual({
      title: 'Friday night house',
      description: 'Two hours of deep house from the vinyl crate.',
      category: 'house',
      tags: ['deep', 'vinyl'],
      record_replay: true,
    });
    expect(bodies[0]!.idempotencyKey).toMatch(/^[0-9a-f-]{36}$/);
    const created = mockState().mine[0]!;
    expect(created.id).not.toBe(CURRENT);
    expect(screen.getByRole('link', { name: 'Open stream page' })).toHaveAttribute('href', `/live/${created.id}`);
  });

  it('regenerates the key only after confirming, then shows the new key masked with a notice', async () => {
    const regenerate = vi.fn();
    server.use(http.post('*/api/v1/live/streams/me/key/regenerate', () => void regenerate()));
    const { user } = await renderPage();
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(regenerate).not.toHaveBeenCalled();
    expect(mockState().key).toBe(MOCK_STREAM_KEY);

    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Regenerate' }));
    expect(await screen.findByText(/A new key is active/)).toBeInTheDocument();
    expect(regenerate).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('stream-key')).toHaveTextContent(KEY_MASK);
    await user.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(screen.getByTestId('stream-key')).toHaveTextContent(MOCK_REGENERATED_KEY);
  });

  it('uploads a thumbnail for the current stream and shows it', async () => {
    const { user } = await renderPage();
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'cover.png', { type: 'image/png' });
    await user.upload(screen.getByLabelText('Thumbnail image'), file);
    const url = `http://localhost/media/thumbnails/${CURRENT}/0123456789abcdef.jpg`;
    expect(await screen.findByRole('img', { name: 'Stream thumbnail' })).toHaveAttribute('src', url);
    expect(screen.getByLabelText('Thumbnail URL')).toHaveValue(url);
    expect(mockState().mine[0]!.thumbnail_url).toBe(url);
  });

  it('never writes the key to storage, the URL or the console', async () => {
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) => vi.spyOn(console, level));
    const setItem = vi.spyOn(Storage.prototype, 'setItem');
    const writeText = vi.fn(async () => {});
    const { user } = await renderPage();
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    await user.click(screen.getByRole('button', { name: 'Reveal key' }));
    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith(MOCK_STREAM_KEY);
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(screen.getByRole('button', { name: 'Regenerate' }));
    await screen.findByText(/A new key is active/);

    const keys = [MOCK_STREAM_KEY, MOCK_REGENERATED_KEY];
    const leaked = (text: string) => keys.some((key) => text.includes(key));
    for (const spy of spies) for (const call of spy.mock.calls) expect(leaked(call.map(String).join(' '))).toBe(false);
    for (const call of setItem.mock.calls) expect(leaked(call.join(' '))).toBe(false);
    for (const storage of [localStorage, sessionStorage])
      for (let i = 0; i < storage.length; i += 1) expect(leaked(storage.getItem(storage.key(i)!) ?? '')).toBe(false);
    expect(leaked(window.location.href)).toBe(false);
  });
});
