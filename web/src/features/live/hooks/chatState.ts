// The chat of one room as a pure reducer over socket frames and the
// viewer's own actions: messages ordered by `seq` and deduplicated by id,
// the viewer's pending messages (matched to their echo by
// `client_msg_id`), and why sending is not possible right now.
import type { ChatMessage, StreamStatus } from '../../../api/types';
import { ChatErrorCode, type ServerFrame } from '../../../services/chatProtocol';

/** Most messages kept in memory; older ones scroll away. */
export const CHAT_MESSAGES_KEPT = 500;

export type PendingStatus = 'queued' | 'sending' | 'failed';

export interface PendingMessage {
  clientMsgId: string;
  content: string;
  createdAt: string;
  /** queued: waiting for the room; sending: on the wire; failed: refused, can be retried. */
  status: PendingStatus;
}

/** A refusal or problem worth telling the viewer, from an `error` frame. */
export interface ChatNotice {
  code: string;
  message: string;
}

export interface ChatState {
  messages: ChatMessage[];
  pending: PendingMessage[];
  /** The room answered a join on the current connection. */
  joined: boolean;
  /** The room could not be joined (no chat for this stream). */
  unavailable: boolean;
  canSend: boolean;
  roomStatus: StreamStatus | null;
  banned: boolean;
  /** The room refused messages (`room_closed`): ended rooms are read-only. */
  closed: boolean;
  /** The server refused the viewer's credentials. */
  signedOut: boolean;
  /** Until when sending waits (rate limit or slow mode), epoch ms. */
  retryAt: number | null;
  /** True when the wait is the room's slow mode. */
  slowMode: boolean;
  notice: ChatNotice | null;
  historyTruncated: boolean;
}

export const initialChatState: ChatState = {
  messages: [],
  pending: [],
  joined: false,
  unavailable: false,
  canSend: false,
  roomStatus: null,
  banned: false,
  closed: false,
  signedOut: false,
  retryAt: null,
  slowMode: false,
  notice: null,
  historyTruncated: false,
};

export type ChatAction =
  | { type: 'reset' }
  | { type: 'frame'; frame: ServerFrame; userId: string | null; now: number }
  | { type: 'disconnected' }
  | { type: 'queue'; message: PendingMessage }
  | { type: 'sent'; clientMsgId: string }
  | { type: 'retry'; clientMsgId: string }
  | { type: 'discard'; clientMsgId: string }
  | { type: 'removed'; id: string }
  | { type: 'waitOver' }
  | { type: 'dismissNotice' };

/** Messages of both lists, one per id, ordered by `seq`, the newest kept. */
export function mergeMessages(current: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  if (incoming.length === 0) return current;
  const byId = new Map(current.map((m) => [m.id, m]));
  let changed = false;
  for (const message of incoming) {
    if (!byId.has(message.id)) {
      byId.set(message.id, message);
      changed = true;
    }
  }
  if (!changed) return current;
  const seqs = new Set<number>();
  const merged = [...byId.values()]
    .sort((a, b) => a.seq - b.seq)
    .filter((m) => (seqs.has(m.seq) ? false : (seqs.add(m.seq), true)));
  return merged.length > CHAT_MESSAGES_KEPT ? merged.slice(-CHAT_MESSAGES_KEPT) : merged;
}

function settle(pending: PendingMessage[], messages: ChatMessage[]): PendingMessage[] {
  const echoed = new Set(messages.map((m) => m.client_msg_id).filter(Boolean));
  const rest = pending.filter((p) => !echoed.has(p.clientMsgId));
  return rest.length === pending.length ? pending : rest;
}

function failInFlight(pending: PendingMessage[]): PendingMessage[] {
  return pending.map((p) => (p.status === 'sending' ? { ...p, status: 'failed' } : p));
}

function onError(state: ChatState, frame: Extract<ServerFrame, { type: 'error' }>, now: number): ChatState {
  const notice = { code: frame.code, message: frame.message };
  switch (frame.code) {
    case ChatErrorCode.rateLimited:
      return {
        ...state,
        pending: failInFlight(state.pending),
        retryAt: now + Math.max(1, frame.retry_after_ms ?? 1000),
        slowMode: /slow/i.test(frame.message),
        notice,
      };
    case ChatErrorCode.banned:
      return { ...state, pending: failInFlight(state.pending), banned: true, canSend: false, notice: null };
    case ChatErrorCode.roomClosed:
      return { ...state, pending: failInFlight(state.pending), closed: true, canSend: false, notice: null };
    case ChatErrorCode.unauthorized:
    case ChatErrorCode.tokenExpired:
      return { ...state, pending: failInFlight(state.pending), signedOut: true, canSend: false, notice: null };
    case ChatErrorCode.notJoined:
      // Sent before the room answered: it goes again after the join.
      return { ...state, pending: state.pending.map((p) => (p.status === 'sending' ? { ...p, status: 'queued' } : p)) };
    case ChatErrorCode.notFound:
    case ChatErrorCode.tooManyRooms:
      if (!state.joined) return { ...state, unavailable: true, canSend: false };
      return { ...state, pending: failInFlight(state.pending), closed: true, canSend: false };
    default:
      return { ...state, pending: failInFlight(state.pending), notice };
  }
}

function onFrame(state: ChatState, frame: ServerFrame, userId: string | null, now: number): ChatState {
  switch (frame.type) {
    case 'joined': {
      const messages = mergeMessages(state.messages, frame.history);
      const accepts = frame.status === 'live' || frame.status === 'scheduled';
      return {
        ...state,
        messages,
        pending: settle(state.pending, frame.history),
        joined: true,
        unavailable: false,
        canSend: frame.can_send,
        roomStatus: frame.status,
        // A signed-in viewer refused in an open room is banned.
        banned: Boolean(userId) && accepts && !frame.can_send,
        closed: !accepts,
        signedOut: false,
        historyTruncated: state.historyTruncated || Boolean(frame.history_truncated),
      };
    }
    case 'message':
      return {
        ...state,
        messages: mergeMessages(state.messages, [frame]),
        pending: frame.client_msg_id ? settle(state.pending, [frame]) : state.pending,
      };
    case 'message_deleted':
      return { ...state, messages: state.messages.filter((m) => m.id !== frame.id) };
    case 'stream_status': {
      const accepts = frame.status === 'live' || frame.status === 'scheduled';
      return {
        ...state,
        roomStatus: frame.status,
        closed: !accepts,
        canSend: accepts ? state.canSend : false,
      };
    }
    case 'error':
      return onError(state, frame, now);
    default:
      return state;
  }
}

export function chatReducer(state: ChatState, action: ChatAction): ChatState {
  switch (action.type) {
    case 'reset':
      return initialChatState;
    case 'frame':
      return onFrame(state, action.frame, action.userId, action.now);
    case 'disconnected':
      return {
        ...state,
        joined: false,
        pending: state.pending.map((p) => (p.status === 'sending' ? { ...p, status: 'queued' } : p)),
      };
    case 'queue':
      return { ...state, pending: [...state.pending, action.message], notice: null };
    case 'sent':
      return {
        ...state,
        pending: state.pending.map((p) => (p.clientMsgId === action.clientMsgId ? { ...p, status: 'sending' } : p)),
      };
    case 'retry':
      return {
        ...state,
        notice: null,
        pending: state.pending.map((p) =>
          p.clientMsgId === action.clientMsgId && p.status === 'failed' ? { ...p, status: 'queued' } : p,
        ),
      };
    case 'discard':
      return { ...state, pending: state.pending.filter((p) => p.clientMsgId !== action.clientMsgId) };
    case 'removed':
      return { ...state, messages: state.messages.filter((m) => m.id !== action.id) };
    case 'waitOver':
      return { ...state, retryAt: null, slowMode: false, notice: state.notice?.code === ChatErrorCode.rateLimited ? null : state.notice };
    case 'dismissNotice':
      return { ...state, notice: null };
    default:
      return state;
  }
}
