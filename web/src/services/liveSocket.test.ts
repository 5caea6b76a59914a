import { makeMessage } from '../mocks/fixtures';
import { FakeWebSocket, asWebSocket } from '../test/FakeWebSocket';
import { LiveSocket } from './liveSocket';

const ROOM = '11111111-1111-4111-8111-111111111111';

function joined(lastSeq: number, history = [] as ReturnType<typeof makeMessage>[]) {
  return { type: 'joined', stream_id: ROOM, can_send: true, viewer_count: 3, status: 'live', last_seq: lastSeq, history };
}

describe('LiveSocket', () => {
  beforeEach(() => {
    FakeWebSocket.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  function connect(token: string | null = 'tok') {
    const socket = new LiveSocket({ url: 'ws://localhost/ws', token, WebSocketImpl: asWebSocket, baseBackoffMs: 100 });
    const frames: unknown[] = [];
    const unsubscribe = socket.subscribe(ROOM, (f) => frames.push(f));
    return { socket, frames, unsubscribe };
  }

  it('joins the room once open and passes the token in the query', () => {
    connect();
    const ws = FakeWebSocket.latest();
    expect(new URL(ws.url).searchParams.get('token')).toBe('tok');
    expect(ws.sent).toEqual([]);
    ws.open();
    expect(ws.sent).toEqual([{ type: 'join', stream_id: ROOM }]);
  });

  it('connects anonymously without a token parameter', () => {
    connect(null);
    expect(new URL(FakeWebSocket.latest().url).searchParams.has('token')).toBe(false);
  });

  it('hands a room its frames and no other room’s', () => {
    const { frames } = connect();
    const ws = FakeWebSocket.latest();
    ws.open();
    ws.receive({ type: 'viewer_count', stream_id: ROOM, count: 7 });
    ws.receive({ type: 'viewer_count', stream_id: 'other', count: 9 });
    expect(frames).toEqual([{ type: 'viewer_count', stream_id: ROOM, count: 7 }]);
  });

  it('rejoins with since_seq = the last seq seen after a drop, with backoff', () => {
    connect();
    const first = FakeWebSocket.latest();
    first.open();
    first.receive(joined(4, [makeMessage(3), makeMessage(4)]));
    first.receive({ type: 'message', ...makeMessage(5) });
    first.drop();
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(100);
    const second = FakeWebSocket.latest();
    expect(second).not.toBe(first);
    second.open();
    expect(second.framesOfType('join')).toEqual([{ type: 'join', stream_id: ROOM, since_seq: 5 }]);
  });

  it('backs off exponentially while the server stays down, and resets once connected', () => {
    connect();
    FakeWebSocket.latest().drop();
    vi.advanceTimersByTime(100); // 1st retry within 100 ms
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.latest().drop();
    vi.advanceTimersByTime(99); // 2nd retry waits 100..200 ms
    const countAfterShortWait = FakeWebSocket.instances.length;
    vi.advanceTimersByTime(101);
    expect(FakeWebSocket.instances.length).toBe(3);
    expect(countAfterShortWait).toBe(2);
    FakeWebSocket.latest().open();
    FakeWebSocket.latest().drop();
    vi.advanceTimersByTime(100); // back to the first delay
    expect(FakeWebSocket.instances).toHaveLength(4);
  });

  it('sends chat messages only while open', () => {
    const { socket } = connect();
    expect(socket.send(ROOM, 'hi', 'c1')).toBe(false);
    const ws = FakeWebSocket.latest();
    ws.open();
    expect(socket.send(ROOM, 'hi', 'c1')).toBe(true);
    expect(ws.framesOfType('send')).toEqual([{ type: 'send', stream_id: ROOM, content: 'hi', client_msg_id: 'c1' }]);
  });

  it('leaves the room and closes when the last listener goes', () => {
    const { unsubscribe, socket } = connect();
    const ws = FakeWebSocket.latest();
    ws.open();
    unsubscribe();
    expect(ws.framesOfType('leave')).toEqual([{ type: 'leave', stream_id: ROOM }]);
    expect(socket.state).toBe('closed');
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('reconnects with the new token after sign-in', () => {
    const { socket } = connect(null);
    FakeWebSocket.latest().open();
    socket.setToken('fresh');
    const ws = FakeWebSocket.latest();
    expect(new URL(ws.url).searchParams.get('token')).toBe('fresh');
  });

  it('pings while idle', () => {
    connect();
    const ws = FakeWebSocket.latest();
    ws.open();
    vi.advanceTimersByTime(25_000);
    expect(ws.framesOfType('ping')).toHaveLength(1);
  });

  it('gives a later listener the room with its history, without joining again', async () => {
    const { socket } = connect();
    const ws = FakeWebSocket.latest();
    ws.open();
    ws.receive(joined(2, [makeMessage(1), makeMessage(2)]));
    ws.receive({ type: 'message', ...makeMessage(3) });
    ws.receive({ type: 'message_deleted', stream_id: ROOM, id: makeMessage(1).id });
    ws.receive({ type: 'viewer_count', stream_id: ROOM, count: 9 });
    const later: Record<string, unknown>[] = [];
    socket.subscribe(ROOM, (f) => later.push(f as unknown as Record<string, unknown>));
    await Promise.resolve();
    expect(ws.framesOfType('join')).toHaveLength(1);
    expect(later).toHaveLength(1);
    const frame = later[0] as { type: string; viewer_count: number; history: { seq: number }[] };
    expect(frame.type).toBe('joined');
    expect(frame.viewer_count).toBe(9);
    expect(frame.history.map((m) => m.seq)).toEqual([2, 3]);
  });

  it('merges the catch-up of a rejoin into the history later listeners get', async () => {
    const { socket } = connect();
    const first = FakeWebSocket.latest();
    first.open();
    first.receive(joined(1, [makeMessage(1)]));
    first.drop();
    vi.advanceTimersByTime(100);
    const second = FakeWebSocket.latest();
    second.open();
    second.receive(joined(3, [makeMessage(2), makeMessage(3)]));
    const later: { history: { seq: number }[] }[] = [];
    socket.subscribe(ROOM, (f) => later.push(f as unknown as { history: { seq: number }[] }));
    await Promise.resolve();
    expect(later[0]?.history.map((m) => m.seq)).toEqual([1, 2, 3]);
  });
});
