// The Media Session (lock screen, headset keys, the browser's media hub):
// what is playing, the actions it offers and, for media with a timeline,
// where the playhead is. Feature-detected: without the API, or without
// `MediaMetadata`, it does nothing.
import { useEffect, useRef } from 'react';

/** Seconds a seek action moves when the system names no offset. */
export const DEFAULT_SEEK_OFFSET_S = 10;

export interface MediaSessionOptions {
  title: string;
  artist?: string | null;
  album?: string | null;
  /** Artwork image URL (e.g. the stream's thumbnail). */
  artwork?: string | null;
  playbackState?: MediaSessionPlaybackState;
  onPlay?: () => void;
  onPause?: () => void;
  /** Moves the playhead by this many seconds (negative: back). */
  onSeek?: (offsetSeconds: number) => void;
  /**
   * Moves the playhead to this time, in seconds (`fast`: the system scrubs
   * and prefers speed to precision). Only for media with a timeline (a
   * replay); absent or null clears the action.
   */
  onSeekTo?: ((seconds: number, fast: boolean) => void) | null;
  /** Only where a queue has a previous item; absent or null clears the action. */
  onPrevious?: (() => void) | null;
  /** Only where a queue has a next item; absent or null clears the action. */
  onNext?: (() => void) | null;
}

type Handlers = Pick<MediaSessionOptions, 'onPlay' | 'onPause' | 'onSeek' | 'onSeekTo' | 'onPrevious' | 'onNext'>;

const ACTIONS: MediaSessionAction[] = ['play', 'pause', 'seekbackward', 'seekforward', 'seekto', 'previoustrack', 'nexttrack'];

function mediaSession(): MediaSession | null {
  return typeof navigator !== 'undefined' && 'mediaSession' in navigator ? navigator.mediaSession : null;
}

function setHandler(session: MediaSession, action: MediaSessionAction, handler: MediaSessionActionHandler | null) {
  try {
    session.setActionHandler(action, handler);
  } catch {
    // The browser does not know this action: nothing to offer.
  }
}

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', webp: 'image/webp', gif: 'image/gif' };

/** Artwork entries for one image URL, typed from its extension (thumbnails are at most 1280×720). */
export function artworkFor(src: string): MediaImage[] {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(src)?.[1]?.toLowerCase() ?? '';
  const type = IMAGE_TYPES[extension];
  return [{ src, sizes: '1280x720', ...(type ? { type } : {}) }];
}

/** Publishes metadata and action handlers while mounted; clears them on unmount. */
export function useMediaSession(options: MediaSessionOptions): void {
  const { title, artist, album, artwork, playbackState } = options;
  const handlers = useRef<Handlers>(options);
  handlers.current = options;
  const hasPrevious = Boolean(options.onPrevious);
  const hasNext = Boolean(options.onNext);
  const hasSeekTo = Boolean(options.onSeekTo);

  useEffect(() => {
    const session = mediaSession();
    if (!session || typeof MediaMetadata === 'undefined') return undefined;
    session.metadata = new MediaMetadata({
      title,
      artist: artist ?? '',
      album: album ?? '',
      artwork: artwork ? artworkFor(artwork) : [],
    });
    return undefined;
  }, [title, artist, album, artwork]);

  useEffect(() => {
    const session = mediaSession();
    if (!session) return undefined;
    const seek = (direction: 1 | -1) => (details: MediaSessionActionDetails) => {
      const offset = details.seekOffset ?? DEFAULT_SEEK_OFFSET_S;
      handlers.current.onSeek?.(direction * offset);
    };
    setHandler(session, 'play', () => handlers.current.onPlay?.());
    setHandler(session, 'pause', () => handlers.current.onPause?.());
    setHandler(session, 'seekbackward', seek(-1));
    setHandler(session, 'seekforward', seek(1));
    setHandler(
      session,
      'seekto',
      hasSeekTo
        ? (details) => {
            if (typeof details.seekTime === 'number' && Number.isFinite(details.seekTime)) {
              handlers.current.onSeekTo?.(details.seekTime, Boolean(details.fastSeek));
            }
          }
        : null,
    );
    setHandler(session, 'previoustrack', hasPrevious ? () => handlers.current.onPrevious?.() : null);
    setHandler(session, 'nexttrack', hasNext ? () => handlers.current.onNext?.() : null);
    return undefined;
  }, [hasPrevious, hasNext, hasSeekTo]);

  useEffect(() => {
    const session = mediaSession();
    if (session && playbackState) session.playbackState = playbackState;
  }, [playbackState]);

  useEffect(
    () => () => {
      const session = mediaSession();
      if (!session) return;
      for (const action of ACTIONS) setHandler(session, action, null);
      session.metadata = null;
      session.playbackState = 'none';
    },
    [],
  );
}

/** The position state of a media element, or null while it has no finite duration (a live stream). */
export function positionOf(media: HTMLMediaElement): MediaPositionState | null {
  const { duration, currentTime, playbackRate } = media;
  if (!Number.isFinite(duration) || duration <= 0 || !Number.isFinite(currentTime) || playbackRate <= 0) return null;
  return { duration, playbackRate, position: Math.min(Math.max(0, currentTime), duration) };
}

function setPosition(session: MediaSession, state?: MediaPositionState): void {
  if (typeof session.setPositionState !== 'function') return;
  try {
    session.setPositionState(state);
  } catch {
    // A state the browser refuses (it checks the numbers): keep the last one.
  }
}

/**
 * Keeps the Media Session's position state (the system's seek bar) on a
 * media element with a timeline, while `enabled`: set when its duration,
 * speed or position jump (the system extrapolates in between), cleared
 * when disabled or unmounted.
 */
export function useMediaPositionState(media: HTMLMediaElement | null, enabled: boolean): void {
  useEffect(() => {
    const session = mediaSession();
    if (!session || !media || !enabled) return undefined;
    const update = () => {
      const state = positionOf(media);
      if (state) setPosition(session, state);
    };
    const events = ['loadedmetadata', 'durationchange', 'ratechange', 'seeked', 'play', 'pause', 'playing'] as const;
    for (const event of events) media.addEventListener(event, update);
    update();
    return () => {
      for (const event of events) media.removeEventListener(event, update);
      setPosition(session);
    };
  }, [media, enabled]);
}
