import { act, render, screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { liveStreams, makeStream, replayStreams, replayUrl, scheduledStreams } from '../../../../mocks/fixtures';
import { server } from '../../../../mocks/server';
import { liveHarness } from '../../testing/liveTestUtils';
import LiveView from './LiveView';

const hlsMock = vi.hoisted(() => {
  interface State {
    config: Record<string, unknown>;
    src: string | null;
    media: HTMLMediaElement | null;
    destroyed: boolean;
    handlers: Map<string, (...args: unknown[]) => void>;
  }
  const instances: State[] = [];
  class FakeHls {
    static isSupported = () => true;
    static Events = { ERROR: 'hlsError', MANIFEST_PARSED: 'hlsManifestParsed' };
    static ErrorTypes = { NETWORK_ERROR: 'networkError', MEDIA_ERROR: 'mediaError' };
    state: State;
    constructor(config: Record<string, unknown> = {}) {
      this.state = { config, src: null, media: null, destroyed: false, handlers: new Map() };
      instances.push(this.state);
    }
    on(event: string, handler: (...args: unknown[]) => void) {
      this.state.handlers.set(event, handler);
    }
    loadSource(src: string) {
      this.state.src = src;
    }
    attachMedia(media: HTMLMediaElement) {
      this.state.media = media;
    }
    recoverMediaError() {}
    swapAudioCodec() {}
    destroy() {
      this.state.destroyed = true;
    }
  }
  return { FakeHls, instances };
});

vi.mock('hls.js', () => ({ default: hlsMock.FakeHls }));

function renderStream(id: string) {
  const harness = liveHarness(null, { path: '/live/:streamId', entry: `/live/${id}` });
  const view = render(<LiveView />, { wrapper: harness.wrapper });
  return { harness, view };
}

function joinedFrame(id: string, status: 'live' | 'scheduled' | 'ended', viewers = 0) {
  return { type: 'joined' as const, stream_id: id, can_send: false, viewer_count: viewers, status, last_seq: 0, history: [] };
}

/** The API answering `stream` for its id (and whatever `current()` says, when given). */
function serve(current: () => ReturnType<typeof makeStream>) {
  server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: current() })));
}

/** A replay's video as the browser would have it once its playlist is loaded: a timeline of `duration` s. */
function giveTimeline(video: HTMLVideoElement, duration: number) {
  Object.defineProperty(video, 'duration', { configurable: true, get: () => duration });
  Object.defineProperty(video, 'seekable', {
    configurable: true,
    get: () => ({ length: 1, start: () => 0, end: () => duration }),
  });
  act(() => {
    video.dispatchEvent(new Event('durationchange'));
  });
}

type Handler = MediaSessionActionHandler | null;

/** A Media Session that records its handlers and position states. */
function stubMediaSession() {
  const handlers = new Map<MediaSessionAction, Handler>();
  const session = {
    metadata: null as unknown,
    playbackState: 'none' as MediaSessionPlaybackState,
    setActionHandler: vi.fn((action: MediaSessionAction, handler: Handler) => {
      handlers.set(action, handler);
    }),
    setPositionState: vi.fn((_state?: MediaPositionState) => undefined),
  };
  Object.defineProperty(navigator, 'mediaSession', { value: session, configurable: true });
  vi.stubGlobal(
    'MediaMetadata',
    class {
      constructor(readonly init: MediaMetadataInit) {}
    },
  );
  const call = (action: MediaSessionAction, details: Partial<MediaSessionActionDetails> = {}) =>
    act(() => {
      handlers.get(action)?.({ action, ...details } as MediaSessionActionDetails);
    });
  return { session, handlers, call };
}

describe('LiveView', () => {
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'mediaSession');
    vi.unstubAllGlobals();
  });

  beforeEach(() => {
    hlsMock.instances.length = 0;
    vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
    vi.spyOn(HTMLMediaElement.prototype, 'load').mockImplementation(() => undefined);
  });

  it('plays a live stream with hls.js and shows the viewer count pushed over the socket', async () => {
    const stream = liveStreams[0]!;
    const { harness, view } = renderStream(stream.id);
    expect(await screen.findByRole('heading', { level: 1, name: stream.title })).toBeInTheDocument();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Live');
    const video = screen.getByTestId('live-video');
    expect(video.tagName).toBe('VIDEO');
    await waitFor(() => expect(hlsMock.instances.at(-1)?.src).toBe(stream.stream_url));
    expect(hlsMock.instances.at(-1)?.media).toBe(video);
    // A live stream joins at its live edge (hls.js's default start).
    expect(hlsMock.instances.at(-1)?.config).not.toHaveProperty('startPosition');
    expect(screen.getByTestId('viewer-count')).toHaveTextContent('128');

    await harness.open();
    harness.receive(joinedFrame(stream.id, 'live', 130));
    expect(screen.getByTestId('viewer-count')).toHaveTextContent('130');
    harness.receive({ type: 'viewer_count', stream_id: stream.id, count: 131 });
    expect(screen.getByTestId('viewer-count')).toHaveTextContent('131');
    expect(screen.getByTestId('playback-speed')).toHaveTextContent('1×');
    expect(screen.getByText('luna_beats', { selector: '.streamer-name' })).toBeInTheDocument();
    expect(screen.getByText('techno', { selector: '.category' })).toBeInTheDocument();
    expect(screen.getByText('#deep')).toBeInTheDocument();

    view.unmount();
    expect(hlsMock.instances.every((h) => h.destroyed)).toBe(true);
  });

  it('counts down to a scheduled stream, then plays it when a stream_status frame says it is live', async () => {
    const scheduled = scheduledStreams[0]!;
    let current = scheduled;
    server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: current })));
    const { harness } = renderStream(scheduled.id);
    expect(await screen.findByRole('heading', { level: 1, name: scheduled.title })).toBeInTheDocument();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Scheduled');
    expect(screen.getByText('Starts in')).toBeInTheDocument();
    expect(screen.getByRole('timer')).toBeInTheDocument();
    expect(screen.queryByTestId('live-video')).not.toBeInTheDocument();

    await harness.open();
    harness.receive(joinedFrame(scheduled.id, 'scheduled'));
    const url = `http://127.0.0.1:8090/hls/${scheduled.id}.m3u8`;
    current = { ...scheduled, status: 'live', is_live: true, stream_url: url, started_at: new Date().toISOString() };
    harness.receive({ type: 'stream_status', stream_id: scheduled.id, status: 'live' });
    expect(await screen.findByTestId('live-video')).toBeInTheDocument();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Live');
    await waitFor(() => expect(hlsMock.instances.at(-1)?.src).toBe(url));
  });

  it('says when an ended stream has no replay', async () => {
    const ended = makeStream({ ...replayStreams[0]!, replay_status: 'none', stream_url: null });
    serve(() => ended);
    renderStream(ended.id);
    expect(await screen.findByText('No replay for this stream')).toBeInTheDocument();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Replay');
    expect(screen.queryByTestId('live-video')).not.toBeInTheDocument();
  });

  it('plays a ready replay from its start, not at a live edge, seekable at the saved speed', async () => {
    localStorage.setItem('veza.player.playbackRate', '1.5');
    const replay = replayStreams[0]!;
    renderStream(replay.id);
    const video = (await screen.findByTestId('live-video')) as HTMLVideoElement;
    expect(video).toHaveAccessibleName(`Replay: ${replay.title}`);
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Replay');
    await waitFor(() => expect(hlsMock.instances.at(-1)?.src).toBe(replayUrl(replay.id)));
    const hls = hlsMock.instances.at(-1)!;
    expect(hls.config).toMatchObject({ startPosition: 0 });
    expect(hls.media).toBe(video);
    expect(video.currentTime).toBe(0);
    expect(video.playbackRate).toBe(1.5);
    expect(screen.getByTestId('playback-speed')).toHaveTextContent('1.5×');
    expect(screen.queryByText('Live: 1×')).not.toBeInTheDocument();
    expect(screen.queryByTestId('viewer-count')).not.toBeInTheDocument();
  });

  it('starts a replay again where it was after a network failure', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      renderStream(replayStreams[0]!.id);
      const video = (await screen.findByTestId('live-video')) as HTMLVideoElement;
      await waitFor(() => expect(hlsMock.instances).toHaveLength(1));
      act(() => {
        video.dispatchEvent(new Event('playing'));
      });
      video.currentTime = 754;
      act(() => hlsMock.instances[0]!.handlers.get('hlsError')?.('hlsError', { fatal: true, type: 'networkError' }));
      await act(() => vi.advanceTimersByTimeAsync(1_500));
      await waitFor(() => expect(hlsMock.instances).toHaveLength(2));
      expect(hlsMock.instances[0]!.destroyed).toBe(true);
      expect(hlsMock.instances[1]!.config).toMatchObject({ startPosition: 754 });
    } finally {
      vi.useRealTimers();
    }
  });

  it('shows when a replay was streamed, how long it lasted and its peak viewers', async () => {
    const replay = makeStream({
      ...replayStreams[0]!,
      started_at: '2026-12-01T17:00:00Z',
      ended_at: '2026-12-01T18:02:06Z',
      duration_seconds: 3_725.2,
      peak_viewers: 1_234,
    });
    serve(() => replay);
    renderStream(replay.id);
    expect(await screen.findByTestId('replay-duration')).toHaveTextContent(/^1:02:05$/);
    expect(screen.getByTestId('peak-viewers')).toHaveTextContent((1_234).toLocaleString());
    const about = screen.getByRole('region', { name: 'About this stream' });
    const times = [...about.querySelectorAll('time')].map((t) => t.getAttribute('dateTime'));
    expect(times).toEqual(['2026-12-01T17:00:00Z', '2026-12-01T18:02:06Z']);
    expect(about).toHaveTextContent(/Started.*2026.*Ended.*2026.*Duration.*1:02:05.*Peak viewers/);
  });

  it('says a replay is being prepared, then plays it from the start once a stream_replay frame says it is ready', async () => {
    const processing = replayStreams[1]!;
    let current = processing;
    let gets = 0;
    server.use(
      http.get('*/api/v1/live/streams/:id', () => {
        gets += 1;
        return HttpResponse.json({ success: true, data: current });
      }),
    );
    const { harness } = renderStream(processing.id);
    expect(await screen.findByText('Replay is being prepared…')).toBeInTheDocument();
    expect(screen.queryByTestId('live-video')).not.toBeInTheDocument();
    expect(screen.getByTestId('replay-duration')).toHaveTextContent('1:02:05');
    await harness.open();
    harness.receive(joinedFrame(processing.id, 'ended'));
    expect(gets).toBe(1);

    current = { ...processing, replay_status: 'ready', stream_url: replayUrl(processing.id), duration_seconds: 3_724 };
    harness.receive({ type: 'stream_replay', stream_id: processing.id, replay_status: 'ready' });
    const video = await screen.findByTestId('live-video');
    expect(gets).toBe(2);
    expect(screen.queryByText('Replay is being prepared…')).not.toBeInTheDocument();
    await waitFor(() => expect(hlsMock.instances.at(-1)?.src).toBe(replayUrl(processing.id)));
    expect(hlsMock.instances.at(-1)?.config).toMatchObject({ startPosition: 0 });
    expect(hlsMock.instances.at(-1)?.media).toBe(video);
    expect(screen.getByTestId('replay-duration')).toHaveTextContent('1:02:04');
  });

  it('asks again while the catalog has not caught up with a stream_replay frame', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const processing = replayStreams[1]!;
      let current = processing;
      let gets = 0;
      server.use(
        http.get('*/api/v1/live/streams/:id', () => {
          gets += 1;
          return HttpResponse.json({ success: true, data: current });
        }),
      );
      const { harness } = renderStream(processing.id);
      await screen.findByText('Replay is being prepared…');
      await harness.open();
      harness.receive({ type: 'stream_replay', stream_id: processing.id, replay_status: 'ready' });
      await waitFor(() => expect(gets).toBe(2));
      current = { ...processing, replay_status: 'ready', stream_url: replayUrl(processing.id) };
      await act(() => vi.advanceTimersByTimeAsync(1_000));
      expect(await screen.findByTestId('live-video')).toBeInTheDocument();
      expect(gets).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('drives a replay from the Media Session: seeks back, forward and to a time, with its position', async () => {
    const { session, handlers, call } = stubMediaSession();
    localStorage.setItem('veza.player.playbackRate', '2');
    renderStream(replayStreams[0]!.id);
    const video = (await screen.findByTestId('live-video')) as HTMLVideoElement;
    await waitFor(() => expect(handlers.get('seekto')).toEqual(expect.any(Function)));
    giveTimeline(video, 3_600);
    expect(session.setPositionState).toHaveBeenLastCalledWith({ duration: 3_600, playbackRate: 2, position: 0 });

    video.currentTime = 100;
    call('seekforward');
    expect(video.currentTime).toBe(110);
    call('seekbackward', { seekOffset: 30 });
    expect(video.currentTime).toBe(80);
    call('seekbackward', { seekOffset: 300 });
    expect(video.currentTime).toBe(0);
    call('seekto', { seekTime: 1_800 });
    expect(video.currentTime).toBe(1_800);
    act(() => {
      video.dispatchEvent(new Event('seeked'));
    });
    expect(session.setPositionState).toHaveBeenLastCalledWith({ duration: 3_600, playbackRate: 2, position: 1_800 });
    call('seekto', { seekTime: 9_999 });
    expect(video.currentTime).toBe(3_600);
    const fastSeek = vi.fn();
    Object.defineProperty(video, 'fastSeek', { configurable: true, value: fastSeek });
    call('seekto', { seekTime: 42, fastSeek: true });
    expect(fastSeek).toHaveBeenCalledWith(42);
  });

  it('offers no seek to a time on a live stream, nor a position', async () => {
    const { session, handlers } = stubMediaSession();
    renderStream(liveStreams[0]!.id);
    const video = (await screen.findByTestId('live-video')) as HTMLVideoElement;
    await waitFor(() => expect(handlers.get('seekforward')).toEqual(expect.any(Function)));
    expect(handlers.get('seekto') ?? null).toBeNull();
    giveTimeline(video, 30);
    expect(session.setPositionState).not.toHaveBeenCalledWith(expect.objectContaining({ duration: 30 }));
  });

  it('leaves the live player when the stream ends', async () => {
    const stream = liveStreams[0]!;
    let current = stream;
    server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: current })));
    const { harness } = renderStream(stream.id);
    await screen.findByTestId('live-video');
    await harness.open();
    harness.receive(joinedFrame(stream.id, 'live', 5));
    current = {
      ...stream,
      status: 'ended',
      is_live: false,
      is_vod: true,
      stream_url: null,
      ended_at: new Date().toISOString(),
      replay_status: 'processing',
    };
    harness.receive({ type: 'stream_status', stream_id: stream.id, status: 'ended' });
    expect(await screen.findByText('Replay is being prepared…')).toBeInTheDocument();
    expect(hlsMock.instances.every((h) => h.destroyed)).toBe(true);
  });

  it('says so when the stream does not exist', async () => {
    renderStream('99999999-9999-4999-8999-999999999999');
    expect(await screen.findByRole('heading', { level: 1, name: 'Stream not found' })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Browse live streams' })).toHaveAttribute('href', '/live');
  });

  it('recommends the other live streams', async () => {
    renderStream(liveStreams[0]!.id);
    const other = await screen.findByRole('link', { name: /Jazz piano requests/ });
    expect(other).toHaveAttribute('href', `/live/${liveStreams[1]!.id}`);
    expect(screen.queryByRole('link', { name: /Sunset techno session/ })).not.toBeInTheDocument();
  });

  it('polls the stream for its viewer count only while the socket is not open', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let gets = 0;
      server.use(
        http.get('*/api/v1/live/streams/:id', () => {
          gets += 1;
          return HttpResponse.json({ success: true, data: { ...liveStreams[0]!, viewer_count: 200 + gets } });
        }),
      );
      const { harness } = renderStream(liveStreams[0]!.id);
      await screen.findByTestId('live-video');
      expect(gets).toBe(1);
      await act(() => vi.advanceTimersByTimeAsync(30_000));
      await waitFor(() => expect(gets).toBe(2));
      expect(screen.getByTestId('viewer-count')).toHaveTextContent('202');

      await harness.open();
      harness.receive(joinedFrame(liveStreams[0]!.id, 'live', 9));
      expect(screen.getByTestId('viewer-count')).toHaveTextContent('9');
      await act(() => vi.advanceTimersByTimeAsync(65_000));
      expect(gets).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('joins the chat again once a draft opens, learnt from the fallback poll', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const draft = makeStream({ id: '15555555-5555-4555-8555-555555555555', status: 'draft' });
      let current = draft;
      server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: current })));
      const { harness } = renderStream(draft.id);
      expect(await screen.findByText('This stream has not started yet')).toBeInTheDocument();
      expect(screen.getByTestId('stream-status')).toHaveTextContent('Offline');
      await harness.open();
      harness.receive({ type: 'error', code: 'not_found', message: 'no chat room for this stream', stream_id: draft.id });
      expect(harness.sentOf('join')).toHaveLength(1);

      current = { ...draft, status: 'live', is_live: true, stream_url: `http://127.0.0.1:8090/hls/${draft.id}.m3u8` };
      await act(() => vi.advanceTimersByTimeAsync(30_000));
      expect(await screen.findByTestId('live-video')).toBeInTheDocument();
      await waitFor(() => expect(harness.sentOf('join')).toHaveLength(2));
    } finally {
      vi.useRealTimers();
    }
  });
});
