// A stream's live chat on the page's shared socket: the history on join,
// new messages as they come, the viewer's own messages sent with a
// `client_msg_id` (and sent again with the same id after a reconnect, so a
// resend never duplicates), deletions, and the refusals the server gives.
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { ChatMessage } from '../../../api/types';
import { useAuth } from '../../../auth/AuthContext';
import { CHAT_CONTENT_MAX, ChatErrorCode } from '../../../services/chatProtocol';
import { useLiveSocket, useRoomFrames, useSocketState } from '../../../services/LiveSocketContext';
import type { SocketState } from '../../../services/liveSocket';
import { liveService } from '../../../services/liveService';
import { type ChatState, type PendingMessage, chatReducer, initialChatState } from './chatState';

/** Length of a message as the server counts it: characters after trimming. */
export function contentLength(content: string): number {
  return [...content.trim()].length;
}

/** Why a message cannot be sent now, or null when it can. */
export type SendBlock = 'anonymous' | 'joining' | 'unavailable' | 'banned' | 'closed' | 'signed_out' | 'waiting';

export interface LiveStreamChat extends ChatState {
  socketState: SocketState;
  /** The signed-in viewer's id and name, null when anonymous. */
  userId: string | null;
  username: string | null;
  sendBlock: SendBlock | null;
  /** Sends trimmed content; false when it is empty, too long or sending is blocked. */
  send: (content: string) => boolean;
  retry: (clientMsgId: string) => void;
  discard: (clientMsgId: string) => void;
  /** Deletes a message (the stream's owner or the author); fails like the API does. */
  deleteMessage: (message: ChatMessage) => Promise<void>;
  /** Bans a message's author from the room (the stream's owner). */
  banAuthor: (message: ChatMessage, durationS?: number) => Promise<void>;
  dismissNotice: () => void;
}

function sendBlock(state: ChatState, userId: string | null, now: number): SendBlock | null {
  // An ended room is read-only for everyone: no point in signing in.
  if (state.closed) return 'closed';
  if (!userId) return 'anonymous';
  if (state.signedOut) return 'signed_out';
  if (state.banned) return 'banned';
  if (state.unavailable) return 'unavailable';
  if (!state.joined && state.roomStatus === null) return 'joining';
  if (!state.canSend && state.joined) return 'closed';
  if (state.retryAt !== null && state.retryAt > now) return 'waiting';
  return null;
}

export function useLiveStreamChat(streamId: string): LiveStreamChat {
  const socket = useLiveSocket();
  const socketState = useSocketState();
  const { session } = useAuth();
  const userId = session?.userId ?? null;
  const [state, dispatch] = useReducer(chatReducer, initialChatState);
  const userRef = useRef(userId);
  userRef.current = userId;

  // A new room starts empty (before its frames can arrive).
  const shownRoom = useRef(streamId);
  useEffect(() => {
    if (shownRoom.current !== streamId) dispatch({ type: 'reset' });
    shownRoom.current = streamId;
  }, [streamId]);

  useRoomFrames(streamId, (frame) => dispatch({ type: 'frame', frame, userId: userRef.current, now: Date.now() }));

  // Errors without a room (an expired token) concern every room.
  useEffect(
    () =>
      socket.onFrame((frame) => {
        if (frame.type === 'error' && !frame.stream_id && frame.code === ChatErrorCode.tokenExpired) {
          dispatch({ type: 'frame', frame, userId: userRef.current, now: Date.now() });
        }
      }),
    [socket],
  );

  useEffect(() => {
    if (socketState !== 'open') dispatch({ type: 'disconnected' });
  }, [socketState]);

  // Everything queued goes out once the room has answered the join on this connection.
  useEffect(() => {
    if (!state.joined || socketState !== 'open') return;
    for (const message of state.pending) {
      if (message.status === 'queued' && socket.send(streamId, message.content, message.clientMsgId)) {
        dispatch({ type: 'sent', clientMsgId: message.clientMsgId });
      }
    }
  }, [socket, socketState, streamId, state.joined, state.pending]);

  // The wait of a rate limit or slow mode ends by itself.
  useEffect(() => {
    if (state.retryAt === null) return undefined;
    const timer = setTimeout(() => dispatch({ type: 'waitOver' }), Math.max(0, state.retryAt - Date.now()));
    return () => clearTimeout(timer);
  }, [state.retryAt]);

  const stateRef = useRef(state);
  stateRef.current = state;

  const send = useCallback(
    (content: string) => {
      const trimmed = content.trim();
      const length = contentLength(trimmed);
      if (length === 0 || length > CHAT_CONTENT_MAX) return false;
      if (sendBlock(stateRef.current, userRef.current, Date.now()) !== null) return false;
      const message: PendingMessage = {
        clientMsgId: crypto.randomUUID(),
        content: trimmed,
        createdAt: new Date().toISOString(),
        status: 'queued',
      };
      dispatch({ type: 'queue', message });
      return true;
    },
    [],
  );

  const retry = useCallback((clientMsgId: string) => dispatch({ type: 'retry', clientMsgId }), []);
  const discard = useCallback((clientMsgId: string) => dispatch({ type: 'discard', clientMsgId }), []);
  const dismissNotice = useCallback(() => dispatch({ type: 'dismissNotice' }), []);

  const deleteMessage = useCallback(
    async (message: ChatMessage) => {
      await liveService.deleteChatMessage(streamId, message.id);
      dispatch({ type: 'removed', id: message.id });
    },
    [streamId],
  );

  const banAuthor = useCallback(
    (message: ChatMessage, durationS?: number) => liveService.banChatUser(streamId, message.user_id, durationS),
    [streamId],
  );

  return {
    ...state,
    socketState,
    userId,
    username: session?.username ?? null,
    sendBlock: sendBlock(state, userId, Date.now()),
    send,
    retry,
    discard,
    deleteMessage,
    banAuthor,
    dismissNotice,
  };
}
