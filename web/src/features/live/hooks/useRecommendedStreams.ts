// The streams live now, most watched first, for the stream page's
// "More live now" and its previous/next queue.
import { useEffect, useState } from 'react';
import type { Stream } from '../../../api/types';
import { liveService } from '../../../services/liveService';

const RECOMMENDED_LIMIT = 9;

export interface Recommended {
  /** Live streams other than the current one. */
  others: Stream[];
  previous: Stream | null;
  next: Stream | null;
}

/** Previous and next of `currentId` in a queue; next is the first when it is not in it. */
export function queueNeighbours(queue: Stream[], currentId: string): Pick<Recommended, 'previous' | 'next'> {
  const index = queue.findIndex((s) => s.id === currentId);
  if (index < 0) return { previous: null, next: queue[0] ?? null };
  return { previous: queue[index - 1] ?? null, next: queue[index + 1] ?? null };
}

export function useRecommendedStreams(currentId: string): Recommended {
  const [queue, setQueue] = useState<Stream[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    liveService.listStreams({ is_live: true, limit: RECOMMENDED_LIMIT }, controller.signal).then(
      (page) => setQueue(page.data),
      () => {
        // Recommendations are extra: without them the page is still whole.
      },
    );
    return () => controller.abort();
  }, [currentId]);
  return { others: queue.filter((s) => s.id !== currentId), ...queueNeighbours(queue, currentId) };
}
