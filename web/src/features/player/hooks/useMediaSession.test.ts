import { act, renderHook } from '@testing-library/react';
import { type MediaSessionOptions, positionOf, useMediaPositionState, useMediaSession } from './useMediaSession';

type Handler = MediaSessionActionHandler | null;

class FakeMediaMetadata {
  title: string;
  artist: string;
  album: string;
  artwork: MediaImage[];
  constructor(init: MediaMetadataInit) {
    this.title = init.title ?? '';
    this.artist = init.artist ?? '';
    this.album = init.album ?? '';
    this.artwork = [...(init.artwork ?? [])];
  }
}

function stubMediaSession() {
  const handlers = new Map<MediaSessionAction, Handler>();
  const session = {
    metadata: null as FakeMediaMetadata | null,
    playbackState: 'none' as MediaSessionPlaybackState,
    setActionHandler: vi.fn((action: MediaSessionAction, handler: Handler) => {
      handlers.set(action, handler);
    }),
    setPositionState: vi.fn((_state?: MediaPositionState) => undefined),
  };
  Object.defineProperty(navigator, 'mediaSession', { value: session, configurable: true });
  vi.stubGlobal('MediaMetadata', FakeMediaMetadata);
  return { session, handlers };
}

function baseOptions(overrides: Partial<MediaSessionOptions> = {}): MediaSessionOptions {
  return {
    title: 'Sunset techno session',
    artist: 'luna_beats',
    artwork: 'http://localhost/media/thumbnails/abc/123.jpg',
    onPlay: vi.fn(),
    onPause: vi.fn(),
    onSeek: vi.fn(),
    ...overrides,
  };
}

const call = (handler: Handler | undefined, details: Partial<MediaSessionActionDetails> = {}) =>
  handler?.({ action: 'play', ...details } as MediaSessionActionDetails);

describe('useMediaSession', () => {
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'mediaSession');
    vi.unstubAllGlobals();
  });

  it('publishes the title, artist and artwork', () => {
    const { session } = stubMediaSession();
    renderHook(() => useMediaSession(baseOptions()));
    expect(session.metadata).toBeInstanceOf(FakeMediaMetadata);
    expect(session.metadata).toMatchObject({
      title: 'Sunset techno session',
      artist: 'luna_beats',
      artwork: [{ src: 'http://localhost/media/thumbnails/abc/123.jpg', sizes: '1280x720', type: 'image/jpeg' }],
    });
  });

  it('wires play, pause and 10 s seeks, honouring a seek offset the system gives', () => {
    const { handlers } = stubMediaSession();
    const options = baseOptions();
    renderHook(() => useMediaSession(options));
    call(handlers.get('play'));
    call(handlers.get('pause'));
    call(handlers.get('seekbackward'));
    call(handlers.get('seekforward'));
    call(handlers.get('seekforward'), { seekOffset: 30 });
    expect(options.onPlay).toHaveBeenCalledTimes(1);
    expect(options.onPause).toHaveBeenCalledTimes(1);
    expect(vi.mocked(options.onSeek!).mock.calls).toEqual([[-10], [10], [30]]);
  });

  it('offers a seek to a time only with a handler for it, ignoring one without a time', () => {
    const { handlers } = stubMediaSession();
    const onSeekTo = vi.fn();
    const { rerender } = renderHook((props: MediaSessionOptions) => useMediaSession(props), {
      initialProps: baseOptions(),
    });
    expect(handlers.get('seekto')).toBeNull();
    rerender(baseOptions({ onSeekTo }));
    call(handlers.get('seekto'), { seekTime: 42.5 });
    call(handlers.get('seekto'), { seekTime: 7, fastSeek: true });
    call(handlers.get('seekto'));
    expect(onSeekTo.mock.calls).toEqual([
      [42.5, false],
      [7, true],
    ]);
    rerender(baseOptions({ onSeekTo: null }));
    expect(handlers.get('seekto')).toBeNull();
  });

  it('offers previous and next only where a queue has them', () => {
    const { handlers } = stubMediaSession();
    const onNext = vi.fn();
    const { rerender } = renderHook((props: MediaSessionOptions) => useMediaSession(props), {
      initialProps: baseOptions({ onNext }),
    });
    expect(handlers.get('previoustrack')).toBeNull();
    call(handlers.get('nexttrack'));
    expect(onNext).toHaveBeenCalledTimes(1);
    rerender(baseOptions({ onNext: null }));
    expect(handlers.get('nexttrack')).toBeNull();
  });

  it('updates the metadata and handlers when the stream changes', () => {
    const { session, handlers } = stubMediaSession();
    const { rerender } = renderHook((props: MediaSessionOptions) => useMediaSession(props), {
      initialProps: baseOptions(),
    });
    const onPlay = vi.fn();
    rerender(baseOptions({ title: 'Jazz piano requests', artist: 'marco_keys', artwork: null, onPlay, playbackState: 'playing' }));
    expect(session.metadata).toMatchObject({ title: 'Jazz piano requests', artist: 'marco_keys', artwork: [] });
    expect(session.playbackState).toBe('playing');
    call(handlers.get('play'));
    expect(onPlay).toHaveBeenCalledTimes(1);
  });

  it('clears the metadata and every handler on unmount', () => {
    const { session, handlers } = stubMediaSession();
    const { unmount } = renderHook(() => useMediaSession(baseOptions({ onPrevious: vi.fn(), onNext: vi.fn(), playbackState: 'playing' })));
    unmount();
    expect(session.metadata).toBeNull();
    expect(session.playbackState).toBe('none');
    for (const action of ['play', 'pause', 'seekbackward', 'seekforward', 'seekto', 'previoustrack', 'nexttrack'] as const) {
      expect(handlers.get(action)).toBeNull();
    }
  });

  it('survives an action the browser does not support', () => {
    const { session } = stubMediaSession();
    session.setActionHandler.mockImplementation((action: MediaSessionAction) => {
      if (action === 'seekforward') throw new TypeError('unsupported action');
    });
    expect(() => renderHook(() => useMediaSession(baseOptions())).unmount()).not.toThrow();
  });

  it('does nothing, without throwing, where the API is missing', () => {
    expect('mediaSession' in navigator).toBe(false);
    expect(() => renderHook(() => useMediaSession(baseOptions())).unmount()).not.toThrow();
  });

  it('sets no metadata where MediaMetadata is missing, but still the handlers', () => {
    const { session } = stubMediaSession();
    vi.stubGlobal('MediaMetadata', undefined);
    renderHook(() => useMediaSession(baseOptions()));
    expect(session.metadata).toBeNull();
    expect(session.setActionHandler).toHaveBeenCalledWith('play', expect.any(Function));
  });
});

function mediaWith(duration: number, currentTime = 0, playbackRate = 1): HTMLVideoElement {
  const media = document.createElement('video');
  Object.defineProperty(media, 'duration', { configurable: true, get: () => duration });
  media.currentTime = currentTime;
  media.playbackRate = playbackRate;
  return media;
}

describe('useMediaPositionState', () => {
  afterEach(() => {
    Reflect.deleteProperty(navigator, 'mediaSession');
    vi.unstubAllGlobals();
  });

  it('is the position within a finite duration, at the current speed', () => {
    expect(positionOf(mediaWith(600, 42, 1.5))).toEqual({ duration: 600, playbackRate: 1.5, position: 42 });
    expect(positionOf(mediaWith(600, 700))).toEqual({ duration: 600, playbackRate: 1, position: 600 });
    expect(positionOf(mediaWith(Infinity, 42))).toBeNull();
    expect(positionOf(mediaWith(NaN))).toBeNull();
  });

  it('publishes the position when the duration, speed or position jump, and clears it at the end', () => {
    const { session } = stubMediaSession();
    const media = mediaWith(600, 0, 1);
    const { rerender, unmount } = renderHook(({ enabled }) => useMediaPositionState(media, enabled), {
      initialProps: { enabled: true },
    });
    expect(session.setPositionState).toHaveBeenLastCalledWith({ duration: 600, playbackRate: 1, position: 0 });
    media.playbackRate = 2;
    act(() => {
      media.dispatchEvent(new Event('ratechange'));
    });
    expect(session.setPositionState).toHaveBeenLastCalledWith({ duration: 600, playbackRate: 2, position: 0 });
    media.currentTime = 120;
    act(() => {
      media.dispatchEvent(new Event('seeked'));
    });
    expect(session.setPositionState).toHaveBeenLastCalledWith({ duration: 600, playbackRate: 2, position: 120 });
    rerender({ enabled: false });
    expect(session.setPositionState).toHaveBeenLastCalledWith(undefined);
    const calls = session.setPositionState.mock.calls.length;
    act(() => {
      media.dispatchEvent(new Event('seeked'));
    });
    expect(session.setPositionState).toHaveBeenCalledTimes(calls);
    unmount();
  });

  it('survives a browser that refuses the state or lacks the method', () => {
    const { session } = stubMediaSession();
    session.setPositionState.mockImplementation(() => {
      throw new TypeError('bad position');
    });
    expect(() => renderHook(() => useMediaPositionState(mediaWith(600), true)).unmount()).not.toThrow();
    Reflect.deleteProperty(session, 'setPositionState');
    expect(() => renderHook(() => useMediaPositionState(mediaWith(600), true)).unmount()).not.toThrow();
  });
});
