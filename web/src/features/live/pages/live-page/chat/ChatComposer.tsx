// Writing to the chat: the input with its character count, the Send
// button, and why sending is closed or has to wait.
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { CHAT_CONTENT_MAX, ChatErrorCode } from '../../../../../services/chatProtocol';
import { useNow } from '../../../hooks/useNow';
import { type LiveStreamChat, type SendBlock, contentLength } from '../../../hooks/useLiveStreamChat';
import { signInPath } from '../../../utils/paths';

interface ChatComposerProps {
  chat: LiveStreamChat;
  streamId: string;
}

function waitText(chat: LiveStreamChat, now: number): string {
  const seconds = Math.max(1, Math.ceil(((chat.retryAt ?? now) - now) / 1000));
  return chat.slowMode
    ? `Slow mode is on: you can send again in ${seconds} s.`
    : `You are sending messages too fast. Try again in ${seconds} s.`;
}

function blockText(block: SendBlock, chat: LiveStreamChat): string | null {
  switch (block) {
    case 'banned':
      return 'You are banned from this chat.';
    case 'closed':
      return chat.roomStatus === 'ended' ? 'The stream has ended: the chat is read-only.' : 'This chat is read-only.';
    case 'signed_out':
      return 'Your session has expired.';
    case 'unavailable':
      return 'The chat opens when the stream is scheduled or live.';
    default:
      return null;
  }
}

function noticeText(code: string, message: string): string {
  if (code === ChatErrorCode.validationFailed) return `Message not sent: ${message}.`;
  if (code === ChatErrorCode.unavailable) return 'The chat is unavailable right now. Your message was not sent.';
  return message;
}

export function ChatComposer({ chat, streamId }: ChatComposerProps) {
  const [draft, setDraft] = useState('');
  const inputId = useId();
  const counterId = useId();
  const waiting = chat.sendBlock === 'waiting';
  const now = useNow(waiting ? 250 : null);
  const length = contentLength(draft);
  const tooLong = length > CHAT_CONTENT_MAX;
  const blocked = chat.sendBlock !== null && chat.sendBlock !== 'waiting';
  const block = chat.sendBlock ? blockText(chat.sendBlock, chat) : null;

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (chat.send(draft)) setDraft('');
  };

  const placeholder =
    chat.sendBlock === 'joining' ? 'Connecting to the chat…' : blocked ? 'Chat is closed' : 'Say something…';

  return (
    <div className="chat-compose">
      {block && (
        <p className={`notice${chat.sendBlock === 'banned' ? ' error' : ''}`} role={chat.sendBlock === 'banned' ? 'alert' : 'status'}>
          {block}
          {chat.sendBlock === 'signed_out' && (
            <>
              {' '}
              <Link to={signInPath(streamId)}>Sign in again</Link>
            </>
          )}
        </p>
      )}
      {waiting && (
        <p className="notice warn" role="status">
          {waitText(chat, now)}
        </p>
      )}
      {chat.notice && !waiting && (
        <p className="notice error chat-notice" role="alert">
          <span>{noticeText(chat.notice.code, chat.notice.message)}</span>
          <button type="button" className="icon" aria-label="Dismiss" onClick={chat.dismissNotice}>
            ×
          </button>
        </p>
      )}
      <form onSubmit={onSubmit} aria-label="Send a chat message">
        <label htmlFor={inputId} className="sr-only">
          Chat message
        </label>
        <div className="chat-input">
          <input
            id={inputId}
            name="message"
            autoComplete="off"
            value={draft}
            placeholder={placeholder}
            disabled={blocked}
            aria-invalid={tooLong}
            aria-describedby={counterId}
            onChange={(event) => setDraft(event.target.value)}
          />
          <span id={counterId} className={`chat-counter${tooLong ? ' error' : ''}`} aria-live={tooLong ? 'polite' : 'off'}>
            <span className="sr-only">Characters: </span>
            {length}/{CHAT_CONTENT_MAX}
          </span>
        </div>
        <button type="submit" className="primary" disabled={blocked || waiting || length === 0 || tooLong}>
          Send
        </button>
      </form>
    </div>
  );
}
