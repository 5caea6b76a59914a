// Provides the page's one chat socket (see liveSocket.ts), re-keyed to the
// signed-in user's token, and hooks to follow a stream's room on it.
import { type ReactNode, createContext, useContext, useEffect, useRef, useState } from 'react';
import type { ReplayStatus, StreamStatus } from '../api/types';
import { useAuth } from '../auth/AuthContext';
import type { ServerFrame } from './chatProtocol';
import { LiveSocket, type SocketState } from './liveSocket';

const LiveSocketContext = createContext<LiveSocket | null>(null);

export function LiveSocketProvider({ children, socket }: { children: ReactNode; socket?: LiveSocket }) {
  const { session } = useAuth();
  const [own] = useState(() => socket ?? new LiveSocket({ token: session?.token ?? null }));
  useEffect(() => own.setToken(session?.token ?? null), [own, session?.token]);
  useEffect(() => () => own.close(), [own]);
  return <LiveSocketContext.Provider value={own}>{children}</LiveSocketContext.Provider>;
}

export function useLiveSocket(): LiveSocket {
  const socket = useContext(LiveSocketContext);
  if (!socket) throw new Error('useLiveSocket outside LiveSocketProvider');
  return socket;
}

/** Calls `listener` with every frame of the stream's room while mounted (no-op without a stream id). */
export function useRoomFrames(streamId: string | null | undefined, listener: (frame: ServerFrame) => void): void {
  const socket = useLiveSocket();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => {
    if (!streamId) return undefined;
    return socket.subscribe(streamId, (frame) => latest.current(frame));
  }, [socket, streamId]);
}

/** The socket's connection state. */
export function useSocketState(): SocketState {
  const socket = useLiveSocket();
  const [state, setState] = useState<SocketState>(socket.state);
  useEffect(() => socket.onState(setState), [socket]);
  return state;
}

export interface StreamLiveState {
  status: StreamStatus | null;
  viewerCount: number | null;
  /** The replay's status from the last `stream_replay` frame (null until one comes). */
  replayStatus: ReplayStatus | null;
}

const UNKNOWN: StreamLiveState = { status: null, viewerCount: null, replayStatus: null };

/** A stream's status, viewer count and replay as pushed over the socket (null until the room tells). */
export function useStreamLiveState(streamId: string | null | undefined): StreamLiveState {
  const [state, setState] = useState<StreamLiveState>(UNKNOWN);
  useEffect(() => setState(UNKNOWN), [streamId]);
  useRoomFrames(streamId, (frame) => {
    if (frame.type === 'joined') setState((s) => ({ ...s, status: frame.status, viewerCount: frame.viewer_count }));
    else if (frame.type === 'viewer_count') setState((s) => ({ ...s, viewerCount: frame.count }));
    else if (frame.type === 'stream_status') setState((s) => ({ ...s, status: frame.status }));
    else if (frame.type === 'stream_replay') setState((s) => ({ ...s, replayStatus: frame.replay_status }));
  });
  return state;
}
