// The chat log: messages oldest first, the viewer's pending ones last. It
// follows the newest message unless the viewer scrolled up to read.
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { LiveStreamChat } from '../../../hooks/useLiveStreamChat';
import { ChatMessageItem, PendingMessageItem } from './ChatMessageItem';

/** Within this many pixels of the bottom, the log keeps following new messages. */
const STICK_THRESHOLD_PX = 48;

interface ChatMessageListProps {
  chat: LiveStreamChat;
  ownerId: string;
  isOwner: boolean;
}

export function ChatMessageList({ chat, ownerId, isOwner }: ChatMessageListProps) {
  const listRef = useRef<HTMLOListElement>(null);
  const following = useRef(true);
  const [unseen, setUnseen] = useState(false);
  const { messages, pending } = chat;
  const lastMessage = messages.at(-1)?.id ?? '';
  const lastPending = pending.at(-1)?.clientMsgId ?? '';
  const seenPending = useRef(lastPending);

  // A new message moves the log if it is following; the viewer's own always shows.
  useLayoutEffect(() => {
    const list = listRef.current;
    const ownNew = lastPending !== '' && lastPending !== seenPending.current;
    seenPending.current = lastPending;
    if (!list || (!lastMessage && !lastPending)) return;
    if (following.current || ownNew) {
      list.scrollTop = list.scrollHeight;
      following.current = true;
      setUnseen(false);
    } else {
      setUnseen(true);
    }
  }, [lastMessage, lastPending]);

  // The log shrinks when a notice opens under it: keep the newest in view.
  useEffect(() => {
    const list = listRef.current;
    if (!list || typeof ResizeObserver === 'undefined') return undefined;
    const observer = new ResizeObserver(() => {
      if (following.current) list.scrollTop = list.scrollHeight;
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    const list = listRef.current;
    if (!list) return;
    following.current = list.scrollHeight - list.scrollTop - list.clientHeight < STICK_THRESHOLD_PX;
    if (following.current) setUnseen(false);
  };

  const jumpToNewest = () => {
    const list = listRef.current;
    if (!list) return;
    list.scrollTop = list.scrollHeight;
    following.current = true;
    setUnseen(false);
  };

  const empty = messages.length === 0 && pending.length === 0;

  return (
    <div className="chat-body">
      <ol
        ref={listRef}
        className="chat-messages"
        data-testid="chat-messages"
        role="log"
        aria-label="Chat messages"
        aria-live="polite"
        onScroll={onScroll}
      >
        {messages.map((message) => (
          <ChatMessageItem
            key={message.id}
            message={message}
            chat={chat}
            fromHost={message.user_id === ownerId}
            mine={message.user_id === chat.userId}
            isOwner={isOwner}
          />
        ))}
        {pending.map((message) => (
          <PendingMessageItem key={message.clientMsgId} message={message} chat={chat} />
        ))}
      </ol>
      {empty && (
        <p className="chat-empty muted">
          {chat.joined || chat.unavailable ? 'No messages yet.' : 'Loading messages…'}
          {chat.joined && chat.sendBlock === null && <><br />Say hello to the streamer!</>}
        </p>
      )}
      {unseen && (
        <button type="button" className="chat-jump" onClick={jumpToNewest}>
          New messages ↓
        </button>
      )}
    </div>
  );
}
