import { act, render, screen, waitFor } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { liveStreams, makeStream, replayStreams, scheduledStreams } from '../../../../mocks/fixtures';
import { server } from '../../../../mocks/server';
import { liveHarness } from '../../testing/liveTestUtils';
import LiveView from './LiveView';

const hlsMock = vi.hoisted(() => {
  const instances: { src: string | null; media: HTMLMediaElement | null; destroyed: boolean; handlers: Map<string, (...args: unknown[]) => void> }[] = [];
  class FakeHls {
    static isSupported = () => true;
    static Events = { ERROR: 'hlsError', MANIFEST_PARSED: 'hlsManifestParsed' };
    static ErrorTypes = { NETWORK_ERROR: 'networkError', MEDIA_ERROR: 'mediaError' };
    state = { src: null as string | null, media: null as HTMLMediaElement | null, destroyed: false, handlers: new Map<string, (...args: unknown[]) => void>() };
    constructor() {
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

describe('LiveView', () => {
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

  it('says a replay is not available yet when an ended stream has no stream_url', async () => {
    const replay = replayStreams[0]!;
    renderStream(replay.id);
    expect(await screen.findByText('The replay is not available yet')).toBeInTheDocument();
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Replay');
    expect(screen.queryByTestId('live-video')).not.toBeInTheDocument();
  });

  it('plays an ended stream’s replay when it has a stream_url, at the saved speed', async () => {
    localStorage.setItem('veza.player.playbackRate', '1.5');
    const replay = makeStream({ ...replayStreams[0]!, stream_url: 'http://127.0.0.1:8090/vod/ambient.m3u8' });
    server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: replay })));
    renderStream(replay.id);
    const video = (await screen.findByTestId('live-video')) as HTMLVideoElement;
    expect(screen.getByTestId('stream-status')).toHaveTextContent('Replay');
    await waitFor(() => expect(hlsMock.instances.at(-1)?.src).toBe(replay.stream_url));
    expect(video.playbackRate).toBe(1.5);
    expect(screen.queryByTestId('viewer-count')).not.toBeInTheDocument();
  });

  it('leaves the live player when the stream ends', async () => {
    const stream = liveStreams[0]!;
    let current = stream;
    server.use(http.get('*/api/v1/live/streams/:id', () => HttpResponse.json({ success: true, data: current })));
    const { harness } = renderStream(stream.id);
    await screen.findByTestId('live-video');
    await harness.open();
    harness.receive(joinedFrame(stream.id, 'live', 5));
    current = { ...stream, status: 'ended', is_live: false, is_vod: true, stream_url: null, ended_at: new Date().toISOString() };
    harness.receive({ type: 'stream_status', stream_id: stream.id, status: 'ended' });
    expect(await screen.findByText('The replay is not available yet')).toBeInTheDocument();
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
