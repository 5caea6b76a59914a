// The current stream's status and viewer count for its streamer, pushed
// over the chat socket. A draft has no chat room until it goes live (the
// join answers `not_found`), so while the room is not joined the stream is
// also polled, and the room asked for again as soon as it exists.
import { useEffect, useRef, useState } from 'react';
import type { Stream, StreamStatus } from '../../../../api/types';
import { useLiveSocket, useSocketState } from '../../../../services/LiveSocketContext';
import { liveService } from '../../../../services/liveService';

/** Poll period while waiting for the encoder, and otherwise. */
export const POLL_WAITING_MS = 500;
export const POLL_IDLE_MS = 5000;

export interface GoLiveStatus {
  status: StreamStatus | null;
  viewerCount: number | null;
}

interface Tracked extends GoLiveStatus {
  streamId: string | null;
  joined: boolean;
}

interface Options {
  /** True after "Go Live Now": poll faster. */
  waiting: boolean;
  /** Each polled copy of the stream. */
  onPolled?: (stream: Stream) => void;
  /** Injected in tests. */
  getStream?: (id: string, signal?: AbortSignal) => Promise<Stream>;
}

export function useGoLiveStatus(streamId: string | null | undefined, { waiting, onPolled, getStream = liveService.getStream }: Options): GoLiveStatus {
  const socket = useLiveSocket();
  const socketState = useSocketState();
  const id = streamId ?? null;
  const [tracked, setTracked] = useState<Tracked>({ streamId: id, joined: false, status: null, viewerCount: null });
  const current: Tracked = tracked.streamId === id ? tracked : { streamId: id, joined: false, status: null, viewerCount: null };
  const polled = useRef(onPolled);
  polled.current = onPolled;
  const fetchStream = useRef(getStream);
  fetchStream.current = getStream;

  useEffect(() => {
    if (!id) return undefined;
    const update = (change: (s: Tracked) => Partial<Tracked>) =>
      setTracked((s) => {
        const base = s.streamId === id ? s : { streamId: id, joined: false, status: null, viewerCount: null };
        return { ...base, ...change(base) };
      });
    return socket.subscribe(id, (frame) => {
      switch (frame.type) {
        case 'joined':
          update(() => ({ joined: true, status: frame.status, viewerCount: frame.viewer_count }));
          break;
        case 'viewer_count':
          update(() => ({ viewerCount: frame.count }));
          break;
        case 'stream_status':
          update(() => ({ status: frame.status }));
          break;
        case 'error':
          if (frame.code === 'not_found' || frame.code === 'service_unavailable') update(() => ({ joined: false }));
          break;
        default:
          break;
      }
    });
  }, [socket, id]);

  const following = current.joined && socketState === 'open';
  const ended = current.status === 'ended';
  useEffect(() => {
    if (!id || following || ended) return undefined;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const poll = async () => {
      try {
        const stream = await fetchStream.current(id, controller.signal);
        if (controller.signal.aborted) return;
        polled.current?.(stream);
        setTracked((s) => {
          const base = s.streamId === id ? s : { streamId: id, joined: false, status: null, viewerCount: null };
          return { ...base, status: stream.status, viewerCount: base.joined ? base.viewerCount : stream.viewer_count };
        });
        // The room exists once the stream left draft: follow it on the socket.
        if (stream.status !== 'draft') socket.rejoin(id);
      } catch {
        // A failed poll is retried on the next tick.
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void poll(), waiting ? POLL_WAITING_MS : POLL_IDLE_MS);
    };
    timer = setTimeout(() => void poll(), waiting ? POLL_WAITING_MS : POLL_IDLE_MS);
    return () => {
      controller.abort();
      if (timer) clearTimeout(timer);
    };
  }, [socket, id, following, ended, waiting]);

  return { status: current.status, viewerCount: current.viewerCount };
}
