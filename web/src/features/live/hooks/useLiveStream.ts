// One stream for its page: loaded once, then kept current by the socket.
// A `stream_status` frame that disagrees with what was loaded (a scheduled
// stream going live, a live one ending) re-fetches it, for its new
// `stream_url` and times; so does a `stream_replay` frame (an ended
// stream's replay ready, or gone), for the replay's `stream_url`. The
// viewer count is the socket's; only while the socket is not open (or the
// room does not answer) a slow poll stands in, also for a replay being
// prepared.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Stream } from '../../../api/types';
import { ApiRequestError } from '../../../services/apiClient';
import { useLiveSocket, useSocketState, useStreamLiveState } from '../../../services/LiveSocketContext';
import { liveService } from '../../../services/liveService';

/** How often the fallback poll re-reads the stream. */
export const FALLBACK_POLL_MS = 30_000;
/** Re-fetches after a status or replay frame, while the catalog has not caught up yet. */
const STATUS_REFETCH_TRIES = 5;

/**
 * Fetches the stream until `done` holds for it (or the tries run out),
 * applying each copy; returns a function that cancels.
 */
function refetchUntil(streamId: string, apply: (stream: Stream) => void, done: (stream: Stream) => boolean): () => void {
  let cancelled = false;
  let tries = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const again = () => {
    tries += 1;
    if (tries < STATUS_REFETCH_TRIES) timer = setTimeout(refetch, 500 * 2 ** tries);
  };
  const refetch = () => {
    liveService.getStream(streamId).then(
      (next) => {
        if (cancelled) return;
        apply(next);
        if (!done(next)) again();
      },
      () => {
        if (!cancelled) again();
      },
    );
  };
  refetch();
  return () => {
    cancelled = true;
    clearTimeout(timer);
  };
}

export type LiveStreamLoad =
  | { kind: 'loading' }
  | { kind: 'ready'; stream: Stream }
  | { kind: 'not_found' }
  | { kind: 'error'; message: string };

export interface LiveStreamPage {
  load: LiveStreamLoad;
  /** The freshest viewer count known (socket first, else the last poll). */
  viewerCount: number | null;
  reload: () => void;
}

export function useLiveStream(streamId: string): LiveStreamPage {
  const [load, setLoad] = useState<LiveStreamLoad>({ kind: 'loading' });
  const [generation, setGeneration] = useState(0);
  const [viewerCount, setViewerCount] = useState<number | null>(null);
  const live = useStreamLiveState(streamId);
  const socket = useLiveSocket();
  const socketState = useSocketState();
  const stream = load.kind === 'ready' ? load.stream : null;

  const apply = useCallback((next: Stream) => {
    setLoad({ kind: 'ready', stream: next });
    setViewerCount(next.viewer_count);
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: 'loading' });
    setViewerCount(null);
    liveService.getStream(streamId, controller.signal).then(apply, (error: unknown) => {
      if (controller.signal.aborted) return;
      if (error instanceof ApiRequestError && (error.status === 404 || error.code === 'not_found')) {
        setLoad({ kind: 'not_found' });
      } else {
        setLoad({
          kind: 'error',
          message: error instanceof ApiRequestError ? error.message : 'The stream could not be loaded.',
        });
      }
    });
    return () => controller.abort();
  }, [streamId, generation, apply]);

  // Every frame of the room carries the current count (the same number included).
  useEffect(() => {
    if (live.viewerCount !== null) setViewerCount(live.viewerCount);
  }, [live]);

  const loadedStatus = stream?.status ?? null;
  useEffect(() => {
    if (!loadedStatus || !live.status || live.status === loadedStatus) return undefined;
    const target = live.status;
    return refetchUntil(streamId, apply, (next) => next.status === target);
  }, [streamId, loadedStatus, live.status, apply]);

  const loadedReplay = stream?.replay_status ?? null;
  useEffect(() => {
    if (!loadedReplay || !live.replayStatus || live.replayStatus === loadedReplay) return undefined;
    const target = live.replayStatus;
    return refetchUntil(streamId, apply, (next) => next.replay_status === target);
  }, [streamId, loadedReplay, live.replayStatus, apply]);

  // A draft has no chat room, so its join was refused: join again once it opens.
  const previousStatus = useRef(loadedStatus);
  useEffect(() => {
    if (previousStatus.current === 'draft' && loadedStatus !== null && loadedStatus !== 'draft') socket.rejoin(streamId);
    previousStatus.current = loadedStatus;
  }, [socket, streamId, loadedStatus]);

  const pushed = socketState === 'open' && live.status !== null;
  const pollable = loadedStatus !== null && (loadedStatus !== 'ended' || loadedReplay === 'processing');
  useEffect(() => {
    if (pushed || !pollable) return undefined;
    const timer = setInterval(() => {
      liveService.getStream(streamId).then(apply, () => {
        // Keep what is shown; the next poll tries again.
      });
    }, FALLBACK_POLL_MS);
    return () => clearInterval(timer);
  }, [streamId, pushed, pollable, apply]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { load, viewerCount, reload };
}
