// One line of the chat: who, what, when; the viewer's pending messages with
// their state; and, for the stream's owner (or the author), moderation.
import { useState } from 'react';
import type { ChatMessage } from '../../../../../api/types';
import type { PendingMessage } from '../../../hooks/chatState';
import type { LiveStreamChat } from '../../../hooks/useLiveStreamChat';

function clock(iso: string): string {
  return new Date(iso).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

interface ChatMessageItemProps {
  message: ChatMessage;
  chat: LiveStreamChat;
  fromHost: boolean;
  mine: boolean;
  isOwner: boolean;
}

export function ChatMessageItem({ message, chat, fromHost, mine, isOwner }: ChatMessageItemProps) {
  const [confirmBan, setConfirmBan] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const canDelete = isOwner || mine;
  const canBan = isOwner && !mine;

  const run = async (action: () => Promise<void>, done: string | null, failed: string) => {
    setBusy(true);
    setOutcome(null);
    try {
      await action();
      if (done) setOutcome({ ok: true, text: done });
    } catch {
      setOutcome({ ok: false, text: failed });
    } finally {
      setBusy(false);
      setConfirmBan(false);
    }
  };

  return (
    <li className={`chat-line${mine ? ' mine' : ''}`}>
      <time className="chat-time" dateTime={message.created_at} title={new Date(message.created_at).toLocaleString()}>
        {clock(message.created_at)}
      </time>
      <span className="chat-text">
        <span className="author">{message.username}</span>
        {fromHost && <span className="chat-host" title="The streamer">host</span>}
        <span className="chat-content">{message.content}</span>
      </span>
      {(canDelete || canBan) && (
        <span className="chat-actions">
          {confirmBan ? (
            <>
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() => run(() => chat.banAuthor(message), `${message.username} can no longer chat.`, 'The ban failed.')}
              >
                Ban {message.username}?
              </button>
              <button type="button" disabled={busy} onClick={() => setConfirmBan(false)}>
                Cancel
              </button>
            </>
          ) : (
            <>
              {canDelete && (
                <button
                  type="button"
                  className="icon"
                  aria-label={`Delete message from ${message.username}`}
                  title="Delete message"
                  disabled={busy}
                  onClick={() => run(() => chat.deleteMessage(message), null, 'The message could not be deleted.')}
                >
                  <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                    <path d="M3 4h10M6.5 4V2.5h3V4M5 4l.6 9h4.8L11 4" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinejoin="round" />
                  </svg>
                </button>
              )}
              {canBan && (
                <button
                  type="button"
                  className="icon"
                  aria-label={`Ban ${message.username}`}
                  title={`Ban ${message.username} from the chat`}
                  disabled={busy}
                  onClick={() => setConfirmBan(true)}
                >
                  <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
                    <circle cx="8" cy="8" r="5.5" fill="none" stroke="currentColor" strokeWidth="1.4" />
                    <path d="M4.2 11.8l7.6-7.6" stroke="currentColor" strokeWidth="1.4" />
                  </svg>
                </button>
              )}
            </>
          )}
        </span>
      )}
      {outcome && (
        <span className={`chat-outcome ${outcome.ok ? 'ok' : 'error'}`} role="status">
          {outcome.text}
        </span>
      )}
    </li>
  );
}

interface PendingMessageItemProps {
  message: PendingMessage;
  chat: LiveStreamChat;
}

export function PendingMessageItem({ message, chat }: PendingMessageItemProps) {
  const failed = message.status === 'failed';
  return (
    <li className={`chat-line mine pending${failed ? ' failed' : ''}`} data-pending="true" aria-busy={!failed}>
      <time className="chat-time" dateTime={message.createdAt}>
        {clock(message.createdAt)}
      </time>
      <span className="chat-text">
        <span className="author">{chat.username}</span>
        <span className="chat-content">{message.content}</span>
        <span className="chat-state">{failed ? 'Not sent' : 'Sending…'}</span>
      </span>
      {failed && (
        <span className="chat-actions visible">
          <button type="button" disabled={chat.sendBlock !== null} onClick={() => chat.retry(message.clientMsgId)}>
            Retry
          </button>
          <button type="button" className="icon" aria-label="Discard message" title="Discard" onClick={() => chat.discard(message.clientMsgId)}>
            ×
          </button>
        </span>
      )}
    </li>
  );
}
