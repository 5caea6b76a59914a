// The live stream's inbound signal for its streamer, polled every couple
// of seconds while live (the figures themselves are sampled that often).
import { useEffect, useRef, useState } from 'react';
import type { StreamHealth } from '../../../../api/types';
import { liveService } from '../../../../services/liveService';

export const HEALTH_POLL_MS = 2000;

interface Options {
  /** Injected in tests. */
  getHealth?: (id: string, signal?: AbortSignal) => Promise<StreamHealth>;
  intervalMs?: number;
}

/** The latest health of `streamId` while `live`; null otherwise or before the first answer. */
export function useStreamHealth(
  streamId: string | null | undefined,
  live: boolean,
  { getHealth = liveService.getStreamHealth, intervalMs = HEALTH_POLL_MS }: Options = {},
): StreamHealth | null {
  const [health, setHealth] = useState<StreamHealth | null>(null);
  const fetchHealth = useRef(getHealth);
  fetchHealth.current = getHealth;

  useEffect(() => {
    setHealth(null);
    if (!streamId || !live) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      fetchHealth
        .current(streamId, controller.signal)
        .then((h) => {
          if (!controller.signal.aborted) setHealth(h);
        })
        // A failed poll keeps the last figures; the next one retries.
        .catch(() => undefined)
        .finally(() => {
          if (!controller.signal.aborted) timer = setTimeout(poll, intervalMs);
        });
    };
    poll();
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [streamId, live, intervalMs]);

  return health;
}
