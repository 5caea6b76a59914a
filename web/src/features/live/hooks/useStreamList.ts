// One listing of streams (live, scheduled or replays), page by page with
// the API's cursor.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { Stream } from '../../../api/types';
import { ApiRequestError } from '../../../services/apiClient';
import { type ListStreamsQuery, liveService } from '../../../services/liveService';

export interface StreamList {
  streams: Stream[];
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  hasMore: boolean;
  loadingMore: boolean;
  /** The last "load more" failed (what was shown stays). */
  moreFailed: boolean;
  loadMore: () => void;
  retry: () => void;
}

function message(error: unknown): string {
  return error instanceof ApiRequestError ? error.message : 'Something went wrong.';
}

export function useStreamList(query: ListStreamsQuery): StreamList {
  const key = JSON.stringify(query);
  const [streams, setStreams] = useState<Stream[]>([]);
  const [status, setStatus] = useState<StreamList['status']>('loading');
  const [error, setError] = useState<string | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreFailed, setMoreFailed] = useState(false);
  const [generation, setGeneration] = useState(0);
  const more = useRef<AbortController | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    setStatus('loading');
    setError(null);
    liveService.listStreams(JSON.parse(key) as ListStreamsQuery, controller.signal).then(
      (page) => {
        setStreams(page.data);
        setCursor(page.meta.next_cursor ?? null);
        setHasMore(page.meta.has_more && Boolean(page.meta.next_cursor));
        setStatus('ready');
      },
      (failure: unknown) => {
        if (controller.signal.aborted) return;
        setError(message(failure));
        setStatus('error');
      },
    );
    return () => {
      controller.abort();
      more.current?.abort();
    };
  }, [key, generation]);

  const loadMore = useCallback(() => {
    if (!cursor || loadingMore) return;
    const controller = new AbortController();
    more.current = controller;
    setLoadingMore(true);
    setMoreFailed(false);
    liveService.listStreams({ ...(JSON.parse(key) as ListStreamsQuery), cursor }, controller.signal).then(
      (page) => {
        setStreams((shown) => {
          const ids = new Set(shown.map((s) => s.id));
          return [...shown, ...page.data.filter((s) => !ids.has(s.id))];
        });
        setCursor(page.meta.next_cursor ?? null);
        setHasMore(page.meta.has_more && Boolean(page.meta.next_cursor));
        setLoadingMore(false);
      },
      () => {
        if (controller.signal.aborted) return;
        setMoreFailed(true);
        setLoadingMore(false);
      },
    );
  }, [cursor, key, loadingMore]);

  const retry = useCallback(() => setGeneration((g) => g + 1), []);
  return { streams, status, error, hasMore, loadingMore, moreFailed, loadMore, retry };
}
