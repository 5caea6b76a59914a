// A stand-in for the browser's WebSocket that speaks the chat protocol
// without a server, for unit tests (driven frame by frame) and stories
// (scripted: it answers joins and echoes sends like the chat-gateway).
import type { ChatMessage } from '../api/types';
import type { ClientFrame, ServerFrame } from '../services/chatProtocol';
import { LiveSocket } from '../services/liveSocket';

type Handler<E> = ((event: E) => void) | null;

export interface FakeWebSocket {
  readonly url: string;
  readyState: number;
  /** Frames the client sent, parsed. */
  readonly sent: ClientFrame[];
  onopen: Handler<Event>;
  onmessage: Handler<MessageEvent>;
  onclose: Handler<CloseEvent>;
  onerror: Handler<Event>;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Server side: accept the connection. */
  open(): void;
  /** Server side: send a frame. */
  receive(frame: ServerFrame): void;
  /** Server side: the connection drops. */
  drop(code?: number): void;
}

export interface FakeWebSocketClass {
  new (url: string): FakeWebSocket;
  /** Every socket made, oldest first. */
  readonly instances: FakeWebSocket[];
  /** The newest socket. */
  latest(): FakeWebSocket;
}

/** A fresh fake WebSocket class with its own list of instances. */
export function createFakeWebSocketClass(onClientFrame?: (socket: FakeWebSocket, frame: ClientFrame) => void): FakeWebSocketClass {
  const instances: FakeWebSocket[] = [];
  class Fake implements FakeWebSocket {
    static readonly instances = instances;
    static latest(): FakeWebSocket {
      const socket = instances[instances.length - 1];
      if (!socket) throw new Error('no socket was opened');
      return socket;
    }
    readonly url: string;
    readyState = 0;
    readonly sent: ClientFrame[] = [];
    onopen: Handler<Event> = null;
    onmessage: Handler<MessageEvent> = null;
    onclose: Handler<CloseEvent> = null;
    onerror: Handler<Event> = null;
    constructor(url: string) {
      this.url = url;
      instances.push(this);
    }
    send(data: string): void {
      if (this.readyState !== 1) throw new Error('send on a socket that is not open');
      const frame = JSON.parse(data) as ClientFrame;
      this.sent.push(frame);
      onClientFrame?.(this, frame);
    }
    close(code = 1000): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      this.onclose?.(new CloseEvent('close', { code }));
    }
    open(): void {
      this.readyState = 1;
      this.onopen?.(new Event('open'));
    }
    receive(frame: ServerFrame): void {
      this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(frame) }));
    }
    drop(code = 1006): void {
      this.close(code);
    }
  }
  return Fake;
}

export interface ScriptedRoom {
  can_send?: boolean;
  viewer_count?: number;
  status?: 'scheduled' | 'live' | 'ended';
  history?: ChatMessage[];
  /** An error frame answering every send instead of an echo. */
  sendError?: { code: string; message: string; retry_after_ms?: number };
  /** The join is refused with this code (e.g. `not_found`). */
  joinError?: string;
}

export interface ScriptedSocketOptions {
  rooms?: Record<string, ScriptedRoom>;
  /** The author of echoed messages. */
  user?: { id: string; username: string };
  /** Never connects: the page shows it reconnecting. */
  offline?: boolean;
  /** The first connection drops after this long and the next ones fail: reconnecting, history shown. */
  dropAfterMs?: number;
}

/** A LiveSocket on a scripted server, for stories: joins answered, sends echoed. */
export function createScriptedLiveSocket(options: ScriptedSocketOptions = {}): LiveSocket {
  const seqs = new Map<string, number>();
  const user = options.user ?? { id: '6f1c2b1e-8c7a-4c55-9a3e-2f5b7d9e0a11', username: 'dj_nova' };
  const Fake = createFakeWebSocketClass((socket, frame) => {
    const reply = (answer: ServerFrame) => setTimeout(() => socket.receive(answer), 30);
    if (frame.type === 'join') {
      const room = options.rooms?.[frame.stream_id] ?? {};
      if (room.joinError) {
        reply({ type: 'error', code: room.joinError, message: 'no chat room for this stream', stream_id: frame.stream_id });
        return;
      }
      const history = room.history ?? [];
      const last = history.reduce((max, m) => Math.max(max, m.seq), 0);
      seqs.set(frame.stream_id, Math.max(seqs.get(frame.stream_id) ?? 0, last));
      reply({
        type: 'joined',
        stream_id: frame.stream_id,
        can_send: room.can_send ?? true,
        viewer_count: room.viewer_count ?? 0,
        status: room.status ?? 'live',
        last_seq: last,
        history: history.filter((m) => frame.since_seq === undefined || m.seq > frame.since_seq),
      });
    } else if (frame.type === 'send') {
      const room = options.rooms?.[frame.stream_id] ?? {};
      if (room.sendError) {
        reply({ type: 'error', stream_id: frame.stream_id, ...room.sendError });
        return;
      }
      const seq = (seqs.get(frame.stream_id) ?? 0) + 1;
      seqs.set(frame.stream_id, seq);
      reply({
        type: 'message',
        stream_id: frame.stream_id,
        seq,
        id: crypto.randomUUID(),
        user_id: user.id,
        username: user.username,
        content: frame.content.trim(),
        created_at: new Date().toISOString(),
        ...(frame.client_msg_id ? { client_msg_id: frame.client_msg_id } : {}),
      });
    } else if (frame.type === 'ping') {
      reply({ type: 'pong' });
    }
  });
  let connections = 0;
  const Impl = function ScriptedWebSocket(url: string) {
    const socket = new Fake(url);
    connections += 1;
    const fails = options.offline || (options.dropAfterMs !== undefined && connections > 1);
    if (fails) {
      setTimeout(() => socket.drop(), 10);
    } else {
      setTimeout(() => socket.open(), 10);
      if (options.dropAfterMs !== undefined) setTimeout(() => socket.drop(), options.dropAfterMs);
    }
    return socket;
  } as unknown as typeof WebSocket;
  const failing = options.offline || options.dropAfterMs !== undefined;
  return new LiveSocket({ url: 'ws://stories.invalid/ws', WebSocketImpl: Impl, baseBackoffMs: failing ? 60_000 : 500 });
}
