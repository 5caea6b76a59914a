import { act, renderHook, waitFor } from '@testing-library/react';
import type { ChatMessage } from '../../../api/types';
import { makeMessage } from '../../../mocks/fixtures';
import { dropAndReconnect, liveHarness, viewerSession } from '../testing/liveTestUtils';
import { useLiveStreamChat } from './useLiveStreamChat';

const STREAM = '11111111-1111-4111-8111-111111111111';

function joined(history: ChatMessage[], overrides: Record<string, unknown> = {}) {
  return {
    type: 'joined' as const,
    stream_id: STREAM,
    can_send: true,
    viewer_count: 3,
    status: 'live' as const,
    last_seq: history.reduce((m, x) => Math.max(m, x.seq), 0),
    history,
    ...overrides,
  };
}

function message(seq: number, overrides: Partial<ChatMessage> = {}) {
  return { type: 'message' as const, ...makeMessage(seq, { stream_id: STREAM, ...overrides }) };
}

const seqs = (messages: ChatMessage[]) => messages.map((m) => m.seq);

async function joinedViewer(history: ChatMessage[] = [makeMessage(1, { stream_id: STREAM }), makeMessage(2, { stream_id: STREAM })]) {
  const harness = liveHarness(viewerSession);
  const hook = renderHook(() => useLiveStreamChat(STREAM), { wrapper: harness.wrapper });
  await harness.open();
  harness.receive(joined(history));
  return { harness, hook };
}

describe('useLiveStreamChat', () => {
  it('joins the room and shows the history of the joined frame, oldest first', async () => {
    const harness = liveHarness(viewerSession);
    const { result } = renderHook(() => useLiveStreamChat(STREAM), { wrapper: harness.wrapper });
    await harness.open();
    expect(harness.sentOf('join')).toEqual([{ type: 'join', stream_id: STREAM }]);
    expect(result.current.sendBlock).toBe('joining');
    harness.receive(joined([makeMessage(1, { stream_id: STREAM }), makeMessage(2, { stream_id: STREAM })]));
    expect(seqs(result.current.messages)).toEqual([1, 2]);
    expect(result.current.messages[0]?.content).toBe('message 1');
    expect(result.current.sendBlock).toBeNull();
  });

  it('adds live messages once each, whatever their arrival order', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive(message(4));
    harness.receive(message(3));
    harness.receive(message(4));
    expect(seqs(hook.result.current.messages)).toEqual([1, 2, 3, 4]);
  });

  it('rejoins with since_seq = the last seq seen after a drop and merges the replay without duplicates', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive(message(3));
    const next = await dropAndReconnect(harness);
    expect(next.sent.filter((f) => f.type === 'join')).toEqual([{ type: 'join', stream_id: STREAM, since_seq: 3 }]);
    // The server replays from since_seq; an overlapping message must not show twice.
    harness.receive(joined([makeMessage(3, { stream_id: STREAM }), makeMessage(4, { stream_id: STREAM })]));
    expect(seqs(hook.result.current.messages)).toEqual([1, 2, 3, 4]);
  });

  it('merges a second joined frame on the same connection instead of duplicating', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive(joined([makeMessage(1, { stream_id: STREAM }), makeMessage(2, { stream_id: STREAM }), makeMessage(3, { stream_id: STREAM })]));
    expect(seqs(hook.result.current.messages)).toEqual([1, 2, 3]);
  });

  it('sends with a fresh client_msg_id and shows the message pending until its echo', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => {
      expect(hook.result.current.send('  hello there  ')).toBe(true);
    });
    const [sent] = harness.sentOf('send');
    expect(sent).toMatchObject({ type: 'send', stream_id: STREAM, content: 'hello there' });
    expect(sent?.client_msg_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(hook.result.current.pending).toMatchObject([{ content: 'hello there', status: 'sending' }]);
    act(() => {
      hook.result.current.send('second');
    });
    expect(harness.sentOf('send')[1]?.client_msg_id).not.toBe(sent?.client_msg_id);
    harness.receive(message(3, { content: 'hello there', client_msg_id: sent?.client_msg_id, user_id: viewerSession.userId }));
    expect(hook.result.current.pending.map((p) => p.content)).toEqual(['second']);
    expect(hook.result.current.messages.at(-1)?.content).toBe('hello there');
  });

  it('resends a pending message with the same client_msg_id after a reconnect', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => {
      hook.result.current.send('are you there?');
    });
    const id = harness.sentOf('send')[0]?.client_msg_id;
    const next = await dropAndReconnect(harness);
    expect(hook.result.current.pending[0]?.status).toBe('queued');
    // Not before the room has answered the join.
    expect(next.sent.filter((f) => f.type === 'send')).toEqual([]);
    harness.receive(joined([]));
    expect(harness.sentOf('send')).toEqual([{ type: 'send', stream_id: STREAM, content: 'are you there?', client_msg_id: id }]);
    harness.receive(message(3, { content: 'are you there?', client_msg_id: id }));
    expect(hook.result.current.pending).toEqual([]);
    expect(seqs(hook.result.current.messages)).toEqual([1, 2, 3]);
  });

  it('settles a pending message found in the replay without sending it again', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => {
      hook.result.current.send('made it');
    });
    const id = harness.sentOf('send')[0]?.client_msg_id;
    await dropAndReconnect(harness);
    harness.receive(joined([makeMessage(3, { stream_id: STREAM, content: 'made it', client_msg_id: id })]));
    expect(hook.result.current.pending).toEqual([]);
    expect(harness.sentOf('send')).toEqual([]);
  });

  it('removes a deleted message', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive({ type: 'message_deleted', stream_id: STREAM, id: makeMessage(1).id });
    expect(seqs(hook.result.current.messages)).toEqual([2]);
  });

  it('waits out a rate limit: sending is refused until retry_after_ms has passed', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => {
      hook.result.current.send('one too many');
    });
    harness.receive({ type: 'error', code: 'rate_limited', message: 'too many messages, wait before sending again', retry_after_ms: 80, stream_id: STREAM });
    expect(hook.result.current.sendBlock).toBe('waiting');
    expect(hook.result.current.slowMode).toBe(false);
    expect(hook.result.current.pending[0]?.status).toBe('failed');
    act(() => {
      expect(hook.result.current.send('again')).toBe(false);
    });
    await waitFor(() => expect(hook.result.current.sendBlock).toBeNull());
    act(() => hook.result.current.retry(hook.result.current.pending[0]!.clientMsgId));
    const sends = harness.sentOf('send');
    expect(sends).toHaveLength(2);
    expect(sends[1]?.client_msg_id).toBe(sends[0]?.client_msg_id);
  });

  it('tells slow mode apart from the rate limit', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive({ type: 'error', code: 'rate_limited', message: 'slow mode: wait before sending again', retry_after_ms: 5000, stream_id: STREAM });
    expect(hook.result.current.slowMode).toBe(true);
    expect(hook.result.current.retryAt).toBeGreaterThan(Date.now() + 4000);
  });

  it('blocks a banned viewer, told by an error frame or by the join', async () => {
    const { harness, hook } = await joinedViewer();
    harness.receive({ type: 'error', code: 'banned', message: 'you are banned from this chat', stream_id: STREAM });
    expect(hook.result.current.sendBlock).toBe('banned');

    const other = liveHarness(viewerSession);
    const second = renderHook(() => useLiveStreamChat(STREAM), { wrapper: other.wrapper });
    await other.open();
    other.receive(joined([], { can_send: false }));
    expect(second.result.current.sendBlock).toBe('banned');
  });

  it('is read-only in an ended room and after room_closed', async () => {
    const harness = liveHarness(viewerSession);
    const { result } = renderHook(() => useLiveStreamChat(STREAM), { wrapper: harness.wrapper });
    await harness.open();
    harness.receive(joined([makeMessage(1, { stream_id: STREAM })], { status: 'ended', can_send: false }));
    expect(result.current.sendBlock).toBe('closed');
    expect(result.current.banned).toBe(false);
    expect(result.current.messages).toHaveLength(1);

    const { harness: live, hook } = await joinedViewer();
    live.receive({ type: 'error', code: 'room_closed', message: 'this chat is read-only', stream_id: STREAM });
    expect(hook.result.current.sendBlock).toBe('closed');
    live.receive(joined([]));
    live.receive({ type: 'stream_status', stream_id: STREAM, status: 'ended' });
    expect(hook.result.current.sendBlock).toBe('closed');
  });

  it('keeps an anonymous viewer read-only and never sends', async () => {
    const harness = liveHarness(null);
    const { result } = renderHook(() => useLiveStreamChat(STREAM), { wrapper: harness.wrapper });
    await harness.open();
    harness.receive(joined([makeMessage(1, { stream_id: STREAM })], { can_send: false }));
    expect(result.current.sendBlock).toBe('anonymous');
    expect(result.current.banned).toBe(false);
    act(() => {
      expect(result.current.send('hi')).toBe(false);
    });
    expect(harness.sentOf('send')).toEqual([]);
  });

  it('refuses empty and over-long content locally and shows validation errors from the server', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => {
      expect(hook.result.current.send('   ')).toBe(false);
      expect(hook.result.current.send('x'.repeat(501))).toBe(false);
    });
    expect(harness.sentOf('send')).toEqual([]);
    act(() => {
      expect(hook.result.current.send('é'.repeat(500))).toBe(true);
    });
    harness.receive({ type: 'error', code: 'validation_failed', message: 'the message is empty', stream_id: STREAM });
    expect(hook.result.current.notice).toEqual({ code: 'validation_failed', message: 'the message is empty' });
    expect(hook.result.current.pending[0]?.status).toBe('failed');
  });

  it('reports the socket state while reconnecting', async () => {
    const { harness, hook } = await joinedViewer();
    act(() => harness.server().drop());
    expect(hook.result.current.socketState).toBe('reconnecting');
    expect(hook.result.current.joined).toBe(false);
    await waitFor(() => expect(harness.Fake.instances).toHaveLength(2));
    act(() => harness.server().open());
    expect(hook.result.current.socketState).toBe('open');
  });
});
