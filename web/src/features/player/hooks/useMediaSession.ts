// The Media Session (lock screen, headset keys, the browser's media hub):
// what is playing and the actions it offers. Feature-detected: without the
// API, or without `MediaMetadata`, it does nothing.
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
  /** Only where a queue has a previous item; absent or null clears the action. */
  onPrevious?: (() => void) | null;
  /** Only where a queue has a next item; absent or null clears the action. */
  onNext?: (() => void) | null;
}

type Handlers = Pick<MediaSessionOptions, 'onPlay' | 'onPause' | 'onSeek' | 'onPrevious' | 'onNext'>;

const ACTIONS: MediaSessionAction[] = ['play', 'pause', 'seekbackward', 'seekforward', 'previoustrack', 'nexttrack'];

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
    setHandler(session, 'previoustrack', hasPrevious ? () => handlers.current.onPrevious?.() : null);
    setHandler(session, 'nexttrack', hasNext ? () => handlers.current.onNext?.() : null);
    return undefined;
  }, [hasPrevious, hasNext]);

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
