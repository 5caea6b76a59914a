// One chat WebSocket per page, shared by every component that follows a
// stream (chat, viewer count, live status). It joins each followed room,
// rejoins with `since_seq` after a drop (exponential backoff with jitter),
// pings while idle, and hands every frame of a room to that room's
// listeners.
import { type ClientFrame, type ServerFrame, parseServerFrame } from './chatProtocol';

export type SocketState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export type FrameListener = (frame: ServerFrame) => void;

export interface LiveSocketOptions {
  /** Full ws(s) URL; defaults to `/ws` on the page's host. */
  url?: string;
  token?: string | null;
  /** Injected in tests. */
  WebSocketImpl?: typeof WebSocket;
  /** First retry delay; doubled per failure up to `maxBackoffMs`. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  pingIntervalMs?: number;
}

type JoinedFrame = Extract<ServerFrame, { type: 'joined' }>;

/** How many recent messages a room keeps for listeners that come later. */
const SNAPSHOT_MESSAGES = 200;

interface Room {
  listeners: Set<FrameListener>;
  /** Highest message seq seen, for `since_seq` on rejoin. */
  lastSeq: number | null;
  /**
   * The room as the last `joined` frame and the frames since describe it,
   * so a listener that comes later gets a `joined` of its own without a
   * second join on the wire (which the server would count as a leave and a
   * join of a viewer).
   */
  snapshot: JoinedFrame | null;
}

function updateSnapshot(snapshot: JoinedFrame | null, frame: ServerFrame): JoinedFrame | null {
  if (frame.type === 'joined') {
    if (!snapshot) return { ...frame, history: [...frame.history] };
    const known = new Set(snapshot.history.map((m) => m.id));
    const history = [...snapshot.history, ...frame.history.filter((m) => !known.has(m.id))]
      .sort((a, b) => a.seq - b.seq)
      .slice(-SNAPSHOT_MESSAGES);
    return { ...frame, history };
  }
  if (!snapshot) return null;
  switch (frame.type) {
    case 'message': {
      if (snapshot.history.some((m) => m.id === frame.id)) return snapshot;
      const { type: _type, ...message } = frame;
      return { ...snapshot, history: [...snapshot.history, message].slice(-SNAPSHOT_MESSAGES) };
    }
    case 'message_deleted':
      return { ...snapshot, history: snapshot.history.filter((m) => m.id !== frame.id) };
    case 'viewer_count':
      return { ...snapshot, viewer_count: frame.count };
    case 'stream_status':
      return { ...snapshot, status: frame.status };
    default:
      return snapshot;
  }
}

export function defaultSocketUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss:' : 'ws:'}//${host}/ws`;
}

export class LiveSocket {
  private readonly options: Required<Omit<LiveSocketOptions, 'token' | 'url'>> & { url: string };
  private token: string | null;
  private socket: WebSocket | null = null;
  private readonly rooms = new Map<string, Room>();
  private readonly stateListeners = new Set<(state: SocketState) => void>();
  private readonly globalListeners = new Set<FrameListener>();
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = false;
  state: SocketState = 'closed';

  constructor(options: LiveSocketOptions = {}) {
    this.options = {
      url: options.url ?? defaultSocketUrl(),
      WebSocketImpl: options.WebSocketImpl ?? WebSocket,
      baseBackoffMs: options.baseBackoffMs ?? 500,
      maxBackoffMs: options.maxBackoffMs ?? 15_000,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
    };
    this.token = options.token ?? null;
  }

  /** Follows a room: joins it now (or once connected) and after every reconnect. */
  subscribe(streamId: string, listener: FrameListener): () => void {
    let room = this.rooms.get(streamId);
    const isNew = !room;
    if (!room) {
      room = { listeners: new Set(), lastSeq: null, snapshot: null };
      this.rooms.set(streamId, room);
    }
    room.listeners.add(listener);
    if (isNew) this.sendFrame({ type: 'join', stream_id: streamId });
    else if (room.snapshot) {
      // A later listener gets the room's state and history from what this
      // socket already knows (a join in flight answers every listener).
      const current = room;
      queueMicrotask(() => {
        if (current.snapshot && current.listeners.has(listener)) {
          listener({ ...current.snapshot, history: [...current.snapshot.history] });
        }
      });
    }
    this.ensureConnected();
    return () => {
      const current = this.rooms.get(streamId);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) {
        this.rooms.delete(streamId);
        this.sendFrame({ type: 'leave', stream_id: streamId });
        if (this.rooms.size === 0) this.close();
      }
    };
  }

  /**
   * Asks for a followed room again, e.g. one that did not exist yet when it
   * was first joined (a draft has no room until it is scheduled or live).
   * False when the room is not followed or the socket is not open.
   */
  rejoin(streamId: string): boolean {
    const room = this.rooms.get(streamId);
    if (!room) return false;
    return this.sendFrame({ type: 'join', stream_id: streamId, ...(room.lastSeq !== null ? { since_seq: room.lastSeq } : {}) });
  }

  /** Every frame, of every room (errors without a room included). */
  onFrame(listener: FrameListener): () => void {
    this.globalListeners.add(listener);
    return () => this.globalListeners.delete(listener);
  }

  onState(listener: (state: SocketState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Sends a chat message; false when the socket is not open (the caller keeps it pending). */
  send(streamId: string, content: string, clientMsgId: string): boolean {
    return this.sendFrame({ type: 'send', stream_id: streamId, content, client_msg_id: clientMsgId });
  }

  /** Uses a new token from the next connection on (sign-in or sign-out). */
  setToken(token: string | null): void {
    if (token === this.token) return;
    this.token = token;
    if (this.socket) this.reconnectNow();
  }

  close(): void {
    this.stopped = true;
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket && socket.readyState <= 1) socket.close(1000, 'bye');
    this.setState('closed');
  }

  private ensureConnected(): void {
    this.stopped = false;
    if (this.socket || this.retryTimer) return;
    this.connect();
  }

  private connect(): void {
    this.retryTimer = null;
    const url = new URL(this.options.url, window.location.href);
    if (this.token) url.searchParams.set('token', this.token);
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = new this.options.WebSocketImpl(url.toString());
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.setState('open');
      for (const [streamId, room] of this.rooms) {
        this.sendFrame({
          type: 'join',
          stream_id: streamId,
          ...(room.lastSeq !== null ? { since_seq: room.lastSeq } : {}),
        });
      }
      this.pingTimer = setInterval(() => this.sendFrame({ type: 'ping' }), this.options.pingIntervalMs);
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this.socket !== socket) return;
      const frame = parseServerFrame(event.data);
      if (frame) this.dispatch(frame);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (this.stopped || this.rooms.size === 0) {
        this.setState('closed');
        return;
      }
      this.scheduleRetry();
    };
    socket.onerror = () => {
      // onclose follows and schedules the retry.
    };
  }

  private scheduleRetry(): void {
    const { baseBackoffMs, maxBackoffMs } = this.options;
    const delay = Math.min(maxBackoffMs, baseBackoffMs * 2 ** this.attempt);
    this.attempt += 1;
    const jittered = delay / 2 + Math.random() * (delay / 2);
    this.setState('reconnecting');
    this.retryTimer = setTimeout(() => this.connect(), jittered);
  }

  private reconnectNow(): void {
    const socket = this.socket;
    this.socket = null;
    this.clearTimers();
    if (socket && socket.readyState <= 1) socket.close(1000, 'reconnect');
    this.attempt = 0;
    if (this.rooms.size > 0) this.connect();
  }

  private dispatch(frame: ServerFrame): void {
    for (const listener of this.globalListeners) listener(frame);
    const streamId = 'stream_id' in frame ? frame.stream_id : undefined;
    if (!streamId) return;
    const room = this.rooms.get(streamId);
    if (!room) return;
    if (frame.type === 'message') room.lastSeq = Math.max(room.lastSeq ?? 0, frame.seq);
    if (frame.type === 'joined') {
      const newest = frame.history.reduce((max, m) => Math.max(max, m.seq), frame.last_seq ?? 0);
      room.lastSeq = Math.max(room.lastSeq ?? 0, newest);
    }
    room.snapshot = updateSnapshot(room.snapshot, frame);
    for (const listener of [...room.listeners]) listener(frame);
  }

  private sendFrame(frame: ClientFrame): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== 1) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
  }

  private setState(state: SocketState): void {
    if (this.state === state) return;
    this.state = state;
    for (const listener of this.stateListeners) listener(state);
  }
}
