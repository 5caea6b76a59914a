// Calls of the live API (streams, the caller's key, chat history and
// moderation), typed from the generated OpenAPI schema.
import type {
  ChatMessage,
  CreateStreamRequest,
  Stream,
  StreamHealth,
  StreamKeyView,
  UpdateStreamRequest,
} from '../api/types';
import { type Page, newIdempotencyKey, request, requestPage } from './apiClient';

export interface ListStreamsQuery {
  is_live?: boolean;
  is_vod?: boolean;
  scheduled?: boolean;
  user_id?: string;
  category?: string;
  limit?: number;
  cursor?: string;
}

export const liveService = {
  /** Public listings: live (most watched first), scheduled (soonest first), replays. */
  listStreams(query: ListStreamsQuery = {}, signal?: AbortSignal): Promise<Page<Stream>> {
    return requestPage<Stream>('/live/streams', { query: { ...query }, signal });
  },

  /** One stream; a draft only for its owner. */
  getStream(id: string, signal?: AbortSignal): Promise<Stream> {
    return request<Stream>(`/live/streams/${encodeURIComponent(id)}`, { signal });
  },

  /** The caller's streams, each with its key (owner view). */
  getMyStreams(signal?: AbortSignal): Promise<Stream[]> {
    return request<Stream[]>('/live/streams/me', { signal });
  },

  /** The caller's key, RTMP URL and current stream (creates a draft when none). */
  getMyStreamKey(signal?: AbortSignal): Promise<StreamKeyView> {
    return request<StreamKeyView>('/live/streams/me/key', { signal });
  },

  /** A new key: the old one stops at once and a live encoder is cut. */
  regenerateStreamKey(): Promise<StreamKeyView> {
    return request<StreamKeyView>('/live/streams/me/key/regenerate', { method: 'POST', body: {} });
  },

  /** Creates a stream; the idempotency key makes a retry safe. */
  createStream(data: CreateStreamRequest, idempotencyKey: string = newIdempotencyKey()): Promise<Stream> {
    return request<Stream>('/live/streams', { method: 'POST', body: data, idempotencyKey });
  },

  /** Updates a stream's metadata (owner only), before or during the live. */
  updateStream(id: string, data: UpdateStreamRequest): Promise<Stream> {
    return request<Stream>(`/live/streams/${encodeURIComponent(id)}`, { method: 'PUT', body: data });
  },

  /** Uploads a thumbnail image (PNG, JPEG or WebP, at most 2 MiB); answers the updated stream. */
  uploadThumbnail(id: string, image: Blob): Promise<Stream> {
    return request<Stream>(`/live/streams/${encodeURIComponent(id)}/thumbnail`, { method: 'PUT', body: image });
  },

  /** The inbound signal of a live stream: bitrate, picture, codecs and a verdict (owner only). */
  getStreamHealth(id: string, signal?: AbortSignal): Promise<StreamHealth> {
    return request<StreamHealth>(`/live/streams/${encodeURIComponent(id)}/health`, { signal });
  },

  /** Deletes a stream that is not live (owner only). */
  deleteStream(id: string): Promise<void> {
    return request<unknown>(`/live/streams/${encodeURIComponent(id)}`, { method: 'DELETE' }).then(() => undefined);
  },

  /** Chat history, newest first. */
  getChatMessages(
    id: string,
    query: { before_seq?: number; limit?: number } = {},
    signal?: AbortSignal,
  ): Promise<Page<ChatMessage>> {
    return requestPage<ChatMessage>(`/live/streams/${encodeURIComponent(id)}/chat/messages`, { query, signal });
  },

  /** Deletes a chat message (the stream's owner or the author). */
  deleteChatMessage(id: string, messageId: string): Promise<void> {
    return request<unknown>(
      `/live/streams/${encodeURIComponent(id)}/chat/messages/${encodeURIComponent(messageId)}`,
      { method: 'DELETE' },
    ).then(() => undefined);
  },

  /** Bans a user from the stream's chat (owner only), for `durationS` seconds or for good. */
  banChatUser(id: string, userId: string, durationS?: number): Promise<void> {
    return request<unknown>(`/live/streams/${encodeURIComponent(id)}/chat/bans`, {
      method: 'POST',
      body: durationS === undefined ? { user_id: userId } : { user_id: userId, duration_s: durationS },
    }).then(() => undefined);
  },
};

export type LiveService = typeof liveService;
