// Plays an HLS URL in a <video>: hls.js where Media Source Extensions
// exist, the browser's own HLS otherwise (Safari, iOS). A live stream
// starts at its live edge, a replay (not live) at its very start. Network
// failures start over with a growing delay (a replay from where it was),
// media errors are recovered in place (hls.js already rides out stalls at
// the live edge, which are normal), and an autoplay refused with sound
// falls back to muted autoplay, or to a click.
import Hls, { type ErrorData, type LoadPolicy } from 'hls.js';
import { useCallback, useEffect, useState } from 'react';

export type PlayerStatus = 'idle' | 'loading' | 'playing' | 'recovering' | 'unsupported';
/** What the viewer has to do for sound or picture: unmute, or press play. */
export type PlayerGesture = 'unmute' | 'play' | null;

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 15_000;
/** Media errors recovered in place before starting over. */
const MEDIA_RECOVERIES = 3;
/** Steady retries for a live stream that has not played yet. */
const EARLY_RETRIES = 30;
const EARLY_RETRY_MS = 500;
/** Manifest loading for a live stream that has just gone live: every 250 ms for 10 s, 404 included. */
const EARLY_MANIFEST_POLICY: LoadPolicy = {
  default: {
    maxTimeToFirstByteMs: 10_000,
    maxLoadTimeMs: 20_000,
    timeoutRetry: { maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0 },
    errorRetry: {
      maxNumRetry: 40,
      retryDelayMs: 250,
      maxRetryDelayMs: 250,
      backoff: 'linear',
      shouldRetry: (config, count) => Boolean(config) && count < (config?.maxNumRetry ?? 0),
    },
  },
};
/** Fresh starts from the live edge while a live stream shows no video yet. */
const STARTUP_RESTARTS = 8;
const STARTUP_RESTART_MS = 500;

export interface HlsPlayer {
  status: PlayerStatus;
  gesture: PlayerGesture;
  /** Answers the gesture: unmutes and plays. */
  resolveGesture: () => void;
}

function isNotAllowed(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'NotAllowedError';
}

export function useHlsPlayer(video: HTMLVideoElement | null, src: string | null | undefined, live: boolean): HlsPlayer {
  const [status, setStatus] = useState<PlayerStatus>('idle');
  const [gesture, setGesture] = useState<PlayerGesture>(null);

  useEffect(() => {
    if (!video || !src) {
      setStatus('idle');
      return undefined;
    }
    let disposed = false;
    let hls: Hls | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    let mediaRecoveries = 0;
    let lastMediaRecovery = 0;
    let startupRestarts = 0;
    let played = false;
    let pausedByViewer = false;
    let native = false;
    /** Where a replay starts (again, after a failure): its beginning, or where it was. */
    let resumeAt = 0;

    const keepPosition = () => {
      if (!live && played && Number.isFinite(video.currentTime)) resumeAt = video.currentTime;
    };
    const resumeNative = () => {
      video.currentTime = resumeAt;
    };

    const autoplay = async () => {
      try {
        await video.play();
        if (!disposed && !video.muted) setGesture(null);
      } catch (error) {
        if (disposed || !isNotAllowed(error)) return;
        // Sound needs a gesture: play muted and offer to unmute.
        video.muted = true;
        try {
          await video.play();
          if (!disposed) setGesture('unmute');
        } catch {
          if (!disposed) setGesture('play');
        }
      }
    };

    const startOver = () => {
      if (disposed) return;
      setStatus('recovering');
      keepPosition();
      hls?.destroy();
      hls = null;
      // A stream that just went live has no playlist for its first second or
      // two: until it has played once, retry at a steady pace instead of
      // backing off, so the picture comes as soon as the first fragment does.
      const delay =
        live && !played && failures < EARLY_RETRIES
          ? EARLY_RETRY_MS
          : Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** failures);
      failures += 1;
      clearTimeout(retryTimer);
      retryTimer = setTimeout(start, delay);
    };

    const onHlsError = (_event: string, data: ErrorData) => {
      if (!data.fatal || !hls) return;
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && live && video.videoWidth === 0 && startupRestarts < STARTUP_RESTARTS) {
        // A live stream's first fragment can hold audio only (the encoder's
        // first keyframe comes after its first audio): hls.js then has no
        // video buffer for the next ones, and recovering in place replays
        // the same fragment. Start again from the playlist's live edge.
        startupRestarts += 1;
        setStatus('recovering');
        hls.destroy();
        hls = null;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(start, STARTUP_RESTART_MS);
        return;
      }
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && mediaRecoveries < MEDIA_RECOVERIES) {
        mediaRecoveries += 1;
        const now = Date.now();
        // A second media error right after a recovery: try the other audio codec.
        if (now - lastMediaRecovery < 3_000) hls.swapAudioCodec();
        lastMediaRecovery = now;
        setStatus('recovering');
        hls.recoverMediaError();
        return;
      }
      startOver();
    };

    const start = () => {
      if (disposed) return;
      setStatus((s) => (s === 'recovering' ? s : 'loading'));
      if (Hls.isSupported()) {
        const instance = new Hls({
          backBufferLength: live ? 30 : 90,
          // A live stream joins at its live edge (hls.js's default); a replay
          // plays from its start, whatever its playlist looks like.
          ...(live ? {} : { startPosition: resumeAt }),
          // Until a live stream has played, its playlist may not exist yet
          // (404 for a second or two after going live): keep asking, briefly.
          ...(live && !played ? { manifestLoadPolicy: EARLY_MANIFEST_POLICY } : {}),
        });
        hls = instance;
        instance.on(Hls.Events.ERROR, onHlsError);
        instance.on(Hls.Events.MANIFEST_PARSED, () => {
          if (!pausedByViewer) void autoplay();
        });
        instance.loadSource(src);
        instance.attachMedia(video);
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        native = true;
        video.src = src;
        video.removeEventListener('loadedmetadata', resumeNative);
        if (!live && resumeAt > 0) video.addEventListener('loadedmetadata', resumeNative, { once: true });
        if (!pausedByViewer) void autoplay();
      } else {
        setStatus('unsupported');
      }
    };

    const onPlaying = () => {
      played = true;
      failures = 0;
      mediaRecoveries = 0;
      setStatus('playing');
    };
    const onPlay = () => {
      pausedByViewer = false;
    };
    const onPause = () => {
      // Reloading a source pauses without the event: this one is the viewer's.
      if (!video.ended) pausedByViewer = true;
    };
    const onVolume = () => {
      if (!video.muted) setGesture((g) => (g === 'unmute' ? null : g));
    };
    const onNativeError = () => {
      if (native) startOver();
    };

    video.addEventListener('playing', onPlaying);
    video.addEventListener('play', onPlay);
    video.addEventListener('pause', onPause);
    video.addEventListener('volumechange', onVolume);
    video.addEventListener('error', onNativeError);
    setGesture(null);
    start();

    return () => {
      disposed = true;
      clearTimeout(retryTimer);
      video.removeEventListener('playing', onPlaying);
      video.removeEventListener('play', onPlay);
      video.removeEventListener('pause', onPause);
      video.removeEventListener('volumechange', onVolume);
      video.removeEventListener('error', onNativeError);
      video.removeEventListener('loadedmetadata', resumeNative);
      hls?.destroy();
      hls = null;
      if (native) {
        video.removeAttribute('src');
        video.load();
      }
    };
  }, [video, src, live]);

  const resolveGesture = useCallback(() => {
    if (!video) return;
    video.muted = false;
    Promise.resolve(video.play()).then(
      () => setGesture(null),
      () => setGesture('play'),
    );
  }, [video]);

  return { status, gesture, resolveGesture };
}
