// The chat WebSocket protocol (`/ws`), as the chat-gateway speaks it:
// JSON text frames with a snake_case `type`.
import type { ChatMessage, ReplayStatus, StreamStatus } from '../api/types';

export type ClientFrame =
  | { type: 'join'; stream_id: string; since_seq?: number }
  | { type: 'leave'; stream_id: string }
  | { type: 'send'; stream_id: string; content: string; client_msg_id?: string }
  | { type: 'ping' };

export interface ErrorFrame {
  type: 'error';
  code: string;
  message: string;
  retry_after_ms?: number;
  stream_id?: string;
}

export type ServerFrame =
  | {
      type: 'joined';
      stream_id: string;
      can_send: boolean;
      viewer_count: number;
      status: StreamStatus;
      last_seq: number;
      history: ChatMessage[];
      history_truncated?: boolean;
    }
  | { type: 'left'; stream_id: string }
  | ({ type: 'message' } & ChatMessage)
  | { type: 'message_deleted'; stream_id: string; id: string }
  | { type: 'viewer_count'; stream_id: string; count: number }
  | { type: 'stream_status'; stream_id: string; status: StreamStatus }
  /** An ended stream's replay became ready (or went away): its `stream_url` changed. */
  | { type: 'stream_replay'; stream_id: string; replay_status: ReplayStatus }
  | ErrorFrame
  | { type: 'pong' };

/** Error codes of `error` frames. */
export const ChatErrorCode = {
  badFrame: 'bad_frame',
  validationFailed: 'validation_failed',
  notFound: 'not_found',
  notJoined: 'not_joined',
  unauthorized: 'unauthorized',
  banned: 'banned',
  roomClosed: 'room_closed',
  rateLimited: 'rate_limited',
  tooManyRooms: 'too_many_rooms',
  tokenExpired: 'token_expired',
  unavailable: 'service_unavailable',
} as const;

/** Longest message content, in characters after trimming. */
export const CHAT_CONTENT_MAX = 500;

/** Parses one text frame; null when it is not a frame this client knows. */
export function parseServerFrame(data: unknown): ServerFrame | null {
  if (typeof data !== 'string') return null;
  try {
    const frame = JSON.parse(data) as { type?: unknown };
    return typeof frame.type === 'string' ? (frame as ServerFrame) : null;
  } catch {
    return null;
  }
}
