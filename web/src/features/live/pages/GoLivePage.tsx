// The Go Live page: loads the caller's key and streams, keeps them in
// state, saves the form through liveService and follows the current
// stream's status. The key lives in React state and on screen only: never
// in a URL, storage, a log line or an error.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CreateStreamRequest, Stream, StreamKeyView, UpdateStreamRequest } from '../../../api/types';
import { ApiRequestError, newIdempotencyKey } from '../../../services/apiClient';
import { liveService } from '../../../services/liveService';
import { GoLiveView } from './go-live-page/GoLiveView';
import { describeError } from './go-live-page/describeError';
import { fieldErrorsFromApi, formatStartTime } from './go-live-page/streamForm';
import type { CreateStreamData, Feedback, FieldErrors, LivePhase } from './go-live-page/types';
import { useGoLiveStatus } from './go-live-page/useGoLiveStatus';
import { useStreamHealth } from './go-live-page/useStreamHealth';

type LoadState = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready' };

const NO_ERRORS: FieldErrors = {};

function upsert(streams: Stream[], stream: Stream): Stream[] {
  return streams.some((s) => s.id === stream.id) ? streams.map((s) => (s.id === stream.id ? stream : s)) : [stream, ...streams];
}

/** The update of a stream; the recording choice only before it goes live (the catalog refuses it after). */
function toUpdateRequest(data: CreateStreamData, live: boolean): UpdateStreamRequest {
  return {
    title: data.title,
    description: data.description || null,
    category: data.category || null,
    tags: data.tags,
    thumbnail_url: data.thumbnailUrl ?? null,
    ...(data.scheduledAt ? { scheduled_at: data.scheduledAt } : {}),
    ...(live ? {} : { record_replay: data.recordReplay }),
  };
}

function toCreateRequest(data: CreateStreamData): CreateStreamRequest {
  return {
    title: data.title,
    ...(data.description ? { description: data.description } : {}),
    ...(data.category ? { category: data.category } : {}),
    ...(data.tags.length ? { tags: data.tags } : {}),
    ...(data.thumbnailUrl ? { thumbnail_url: data.thumbnailUrl } : {}),
    ...(data.scheduledAt ? { scheduled_at: data.scheduledAt } : {}),
    record_replay: data.recordReplay,
  };
}

export default function GoLivePage() {
  const [load, setLoad] = useState<LoadState>({ kind: 'loading' });
  const [keyView, setKeyView] = useState<StreamKeyView | null>(null);
  const [streams, setStreams] = useState<Stream[]>([]);
  const [waiting, setWaiting] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>(NO_ERRORS);
  const [actionFeedback, setActionFeedback] = useState<Feedback | null>(null);
  const [keyFeedback, setKeyFeedback] = useState<Feedback | null>(null);
  const [attempt, setAttempt] = useState(0);
  /** One idempotency key per logical create, reused when the same body is retried. */
  const pendingCreate = useRef<{ body: string; key: string } | null>(null);

  const current = streams.find((s) => s.id === keyView?.stream_id) ?? null;

  /** Reads the key and the streams; makes sure the current stream is among them. */
  const fetchAll = useCallback(async (signal?: AbortSignal) => {
    const [key, mine] = await Promise.all([liveService.getMyStreamKey(signal), liveService.getMyStreams(signal)]);
    const list = mine.some((s) => s.id === key.stream_id) ? mine : upsert(mine, await liveService.getStream(key.stream_id, signal));
    return { key, list };
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoad({ kind: 'loading' });
    fetchAll(controller.signal)
      .then(({ key, list }) => {
        setKeyView(key);
        setStreams(list);
        setLoad({ kind: 'ready' });
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        setLoad({ kind: 'error', message: describeError(error) });
      });
    return () => controller.abort();
  }, [fetchAll, attempt]);

  const onPolled = useCallback((stream: Stream) => setStreams((list) => upsert(list, stream)), []);
  const live = useGoLiveStatus(current?.id, { waiting, onPolled });

  const status = live.status ?? current?.status ?? null;
  const phase: LivePhase =
    status === 'live' ? 'live' : status === 'ended' ? 'ended' : waiting ? 'waiting' : status === 'scheduled' ? 'scheduled' : 'idle';
  const viewerCount = live.viewerCount ?? current?.viewer_count ?? null;
  const health = useStreamHealth(current?.id, phase === 'live');

  const reportFailure = (error: unknown) => {
    const fields = error instanceof ApiRequestError ? fieldErrorsFromApi(error) : NO_ERRORS;
    setFieldErrors(fields);
    const text =
      error instanceof ApiRequestError && error.status === 400 && Object.keys(fields).length === 0
        ? error.message
        : describeError(error);
    setActionFeedback({ kind: 'error', text });
  };

  const onCreateStream = async (data: CreateStreamData) => {
    setFieldErrors(NO_ERRORS);
    setActionFeedback(null);
    try {
      let saved: Stream;
      if (current && status !== 'ended') {
        saved = await liveService.updateStream(current.id, toUpdateRequest(data, status === 'live'));
        setStreams((list) => upsert(list, saved));
      } else {
        const request = toCreateRequest(data);
        const body = JSON.stringify(request);
        if (pendingCreate.current?.body !== body) pendingCreate.current = { body, key: newIdempotencyKey() };
        saved = await liveService.createStream(request, pendingCreate.current.key);
        pendingCreate.current = null;
        // The key makes the newest draft live next: read which stream that is
        // (if that read fails, the new stream is the best guess).
        const next = await fetchAll().catch(() => null);
        const created = saved;
        if (next) {
          setKeyView(next.key);
          setStreams(upsert(next.list, created));
        } else {
          setStreams((list) => upsert(list, created));
          setKeyView((key) => (key ? { ...key, stream_id: created.id } : key));
        }
      }
      if (data.scheduledAt) {
        setWaiting(false);
        setActionFeedback({
          kind: 'notice',
          text: `Scheduled for ${formatStartTime(saved.scheduled_at ?? data.scheduledAt)}.`,
        });
      } else if (saved.status !== 'live') {
        setWaiting(true);
      } else {
        setActionFeedback({ kind: 'notice', text: 'Saved. Viewers see the new details.' });
      }
    } catch (error) {
      reportFailure(error);
    }
  };

  const onRegenerateKey = async () => {
    setKeyFeedback(null);
    try {
      const key = await liveService.regenerateStreamKey();
      setKeyView(key);
      setKeyFeedback({
        kind: 'notice',
        text: 'A new key is active. The old key no longer works: paste the new one into your encoder.',
      });
      if (!streams.some((s) => s.id === key.stream_id)) {
        const stream = await liveService.getStream(key.stream_id).catch(() => null);
        if (stream) setStreams((list) => upsert(list, stream));
      }
    } catch (error) {
      setKeyFeedback({ kind: 'error', text: `The key was not regenerated. ${describeError(error)}` });
    }
  };

  const onUploadThumbnail = async (file: File): Promise<string | null> => {
    if (!current) return null;
    setFieldErrors((errors) => {
      const { thumbnailFile: _dropped, ...rest } = errors;
      return rest;
    });
    try {
      const updated = await liveService.uploadThumbnail(current.id, file);
      setStreams((list) => upsert(list, updated));
      return updated.thumbnail_url ?? null;
    } catch (error) {
      setFieldErrors((errors) => ({ ...errors, thumbnailFile: describeError(error) }));
      return null;
    }
  };

  /** After a stream ended: the key's next stream (a fresh draft) becomes current. */
  const onPrepareNext = () => {
    setActionFeedback(null);
    setFieldErrors(NO_ERRORS);
    fetchAll()
      .then(({ key, list }) => {
        setWaiting(false);
        setKeyView(key);
        setStreams(list);
      })
      .catch((error: unknown) => setActionFeedback({ kind: 'error', text: describeError(error) }));
  };

  return (
    <GoLiveView
      streamKey={keyView?.stream_key ?? null}
      rtmpUrl={keyView?.rtmp_url ?? ''}
      onCreateStream={onCreateStream}
      onRegenerateKey={onRegenerateKey}
      isLoading={load.kind === 'loading'}
      error={load.kind === 'error' ? load.message : null}
      onRetry={() => setAttempt((n) => n + 1)}
      stream={current}
      phase={phase}
      viewerCount={viewerCount}
      health={health}
      replayStreamId={phase === 'ended' ? (current?.id ?? null) : null}
      fieldErrors={fieldErrors}
      actionFeedback={actionFeedback}
      keyFeedback={keyFeedback}
      onUploadThumbnail={onUploadThumbnail}
      onPrepareNext={onPrepareNext}
    />
  );
}
