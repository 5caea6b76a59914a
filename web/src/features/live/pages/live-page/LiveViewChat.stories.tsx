import type { Meta, StoryObj } from '@storybook/react-vite';
import type { Session } from '../../../../auth/AuthContext';
import { MOCK_USERNAME, MOCK_USER_ID, liveStreams } from '../../../../mocks/fixtures';
import type { ScriptedSocketOptions } from '../../../../mocks/fakeLiveSocket';
import { LiveStoryProviders } from '../../testing/LiveStoryProviders';
import { sampleChat } from '../../testing/storyFixtures';
import { LiveViewChat } from './LiveViewChat';

const stream = liveStreams[0]!;
const history = sampleChat(stream.id);
const viewer: Session = { token: 'eyJ.viewer.sig', userId: '31111111-1111-4111-8111-111111111111', username: 'viewer_vic', expiresAt: null };
const owner: Session = { token: 'eyJ.owner.sig', userId: MOCK_USER_ID, username: MOCK_USERNAME, expiresAt: null };

interface ChatStoryArgs {
  session: Session | null;
  room: NonNullable<ScriptedSocketOptions['rooms']>[string];
  socket?: Omit<ScriptedSocketOptions, 'rooms'>;
}

function ChatStory({ session, room, socket }: ChatStoryArgs) {
  return (
    <LiveStoryProviders session={session} socket={{ ...socket, rooms: { [stream.id]: room } }}>
      <div style={{ maxWidth: 380, padding: '1.5rem' }}>
        <LiveViewChat streamId={stream.id} ownerId={MOCK_USER_ID} />
      </div>
    </LiveStoryProviders>
  );
}

const meta = {
  title: 'Live/LiveViewChat',
  component: ChatStory,
  args: { session: viewer, room: { history, viewer_count: 128 } },
} satisfies Meta<typeof ChatStory>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A signed-in viewer: the history, and messages echoed as the server would. */
export const Default: Story = {};

/** A message typed and sent: pending until its echo. */
export const Sending: Story = {
  play: async ({ canvas, userEvent }) => {
    const input = await canvas.findByLabelText('Chat message');
    await waitUntilEnabled(input);
    await userEvent.type(input, 'This one is a banger');
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
  },
};

/** Anonymous: read-only, with a sign-in link. */
export const Anonymous: Story = {
  args: { session: null, room: { history, can_send: false } },
};

/** The streamer: delete and ban on each message. */
export const Owner: Story = {
  args: { session: owner },
};

/** An empty room. */
export const Empty: Story = {
  args: { room: { history: [] } },
};

/** Refused by slow mode: the wait is shown and Send waits with it. */
export const SlowMode: Story = {
  args: { room: { history, sendError: { code: 'rate_limited', message: 'slow mode: wait before sending again', retry_after_ms: 8000 } } },
  play: async ({ canvas, userEvent }) => {
    const input = await canvas.findByLabelText('Chat message');
    await waitUntilEnabled(input);
    await userEvent.type(input, 'one more thing');
    await userEvent.click(canvas.getByRole('button', { name: 'Send' }));
  },
};

/** A banned viewer. */
export const Banned: Story = {
  args: { room: { history, can_send: false } },
};

/** The stream has ended: the chat is read-only. */
export const ReadOnly: Story = {
  args: { room: { history, can_send: false, status: 'ended' } },
};

/** The connection dropped: the history stays, the header says it reconnects. */
export const Reconnecting: Story = {
  args: { socket: { dropAfterMs: 150 } },
};

async function waitUntilEnabled(element: HTMLElement): Promise<void> {
  for (let i = 0; i < 50 && (element as HTMLInputElement).disabled; i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
