// The stream's live chat: the message log, the composer (or why it is
// closed), the connection state, and the owner's moderation actions.
import { useId } from 'react';
import { Link } from 'react-router';
import { type LiveStreamChat, useLiveStreamChat } from '../../hooks/useLiveStreamChat';
import { signInPath } from '../../utils/paths';
import { ChatComposer } from './chat/ChatComposer';
import { ChatMessageList } from './chat/ChatMessageList';
import '../../live.css';

export interface LiveViewChatProps {
  streamId: string;
  /** The streamer: sees moderation actions, and their messages are marked. */
  ownerId: string;
}

function ConnectionState({ chat }: { chat: LiveStreamChat }) {
  const { socketState, joined, unavailable } = chat;
  let label: string | null = null;
  if (socketState === 'reconnecting') label = 'Reconnecting…';
  else if (socketState === 'connecting' || (socketState === 'open' && !joined && !unavailable)) label = 'Connecting…';
  else if (socketState === 'closed' && !unavailable) label = 'Offline';
  return (
    <span className={`chat-connection${label ? ' pending' : ''}`} role="status" aria-live="polite">
      {label ?? <span className="sr-only">Connected</span>}
    </span>
  );
}

export function LiveViewChat({ streamId, ownerId }: LiveViewChatProps) {
  const chat = useLiveStreamChat(streamId);
  const titleId = useId();
  const isOwner = chat.userId !== null && chat.userId === ownerId;

  return (
    <section className="card chat live-chat" aria-labelledby={titleId}>
      <header className="chat-header">
        <h2 id={titleId}>Chat</h2>
        <ConnectionState chat={chat} />
      </header>
      <ChatMessageList chat={chat} ownerId={ownerId} isOwner={isOwner} />
      {chat.sendBlock === 'anonymous' ? (
        <p className="chat-signin">
          <Link to={signInPath(streamId)}>Sign in to chat</Link>
          <span className="muted"> and join the conversation.</span>
        </p>
      ) : (
        <ChatComposer chat={chat} streamId={streamId} />
      )}
    </section>
  );
}
