import type { Meta, StoryObj } from '@storybook/react-vite';
import { HttpResponse, delay, http } from 'msw';
import type { Session } from '../../../../auth/AuthContext';
import { liveStreams, makeStream, replayStreams, scheduledStreams } from '../../../../mocks/fixtures';
import { handlersLive } from '../../../../mocks/handlers-live';
import type { ScriptedSocketOptions } from '../../../../mocks/fakeLiveSocket';
import { LiveStoryProviders } from '../../testing/LiveStoryProviders';
import { sampleChat } from '../../testing/storyFixtures';
import { LiveViewPage } from './LiveView';

const viewer: Session = { token: 'eyJ.viewer.sig', userId: '31111111-1111-4111-8111-111111111111', username: 'viewer_vic', expiresAt: null };

interface PageStoryArgs {
  streamId: string;
  session: Session | null;
  socket: ScriptedSocketOptions;
}

function PageStory({ streamId, session, socket }: PageStoryArgs) {
  return (
    <LiveStoryProviders session={session} socket={socket}>
      <LiveViewPage streamId={streamId} />
    </LiveStoryProviders>
  );
}

/** The API answering this one stream for its id (the rest as usual). */
function serving(stream: ReturnType<typeof makeStream>) {
  return {
    msw: {
      handlers: [http.get(`*/api/v1/live/streams/${stream.id}`, () => HttpResponse.json({ success: true, data: stream })), ...handlersLive],
    },
  };
}

const live = makeStream({ ...liveStreams[0]!, started_at: new Date(Date.now() - 25 * 60_000).toISOString() });
const scheduled = makeStream({ ...scheduledStreams[0]!, scheduled_at: new Date(Date.now() + 2 * 3_600_000 + 754_000).toISOString() });
const replay = replayStreams[0]!;
const preparing = replayStreams[1]!;
const noReplay = makeStream({ ...replay, id: '17777777-7777-4777-8777-777777777777', replay_status: 'none', stream_url: null });

const meta = {
  title: 'Live/LiveView',
  component: PageStory,
  args: {
    streamId: live.id,
    session: viewer,
    socket: { rooms: { [live.id]: { history: sampleChat(live.id), viewer_count: 131 } } },
  },
} satisfies Meta<typeof PageStory>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Live: player, real-time viewers, chat and more live streams. */
export const Live: Story = { parameters: serving(live) };

/** Scheduled: a countdown where the player will be. */
export const Scheduled: Story = {
  args: {
    streamId: scheduled.id,
    socket: { rooms: { [scheduled.id]: { history: sampleChat(scheduled.id, 2), status: 'scheduled' } } },
  },
  parameters: serving(scheduled),
};

/** Ended, its replay ready: the player loads it from the start (the playlist never comes here). */
export const Replay: Story = {
  args: {
    streamId: replay.id,
    session: null,
    socket: { rooms: { [replay.id]: { history: sampleChat(replay.id), status: 'ended', can_send: false } } },
  },
  parameters: {
    msw: {
      handlers: [
        http.get('*/media/replays/*', async () => {
          await delay('infinite');
          return new HttpResponse(null);
        }),
        ...handlersLive,
      ],
    },
  },
};

/** Ended, its replay being prepared: it turns into the player when the socket says it is ready. */
export const ReplayBeingPrepared: Story = {
  args: {
    streamId: preparing.id,
    session: null,
    socket: { rooms: { [preparing.id]: { history: sampleChat(preparing.id), status: 'ended', can_send: false } } },
  },
};

/** Ended without a replay (recording was off); the chat stays readable. */
export const NoReplay: Story = {
  args: {
    streamId: noReplay.id,
    session: null,
    socket: { rooms: { [noReplay.id]: { history: sampleChat(noReplay.id), status: 'ended', can_send: false } } },
  },
  parameters: serving(noReplay),
};

export const NotFound: Story = {
  args: { streamId: '99999999-9999-4999-8999-999999999999', socket: {} },
};

export const Loading: Story = {
  parameters: {
    msw: {
      handlers: [
        http.get(`*/api/v1/live/streams/${live.id}`, async () => {
          await delay('infinite');
          return HttpResponse.json({});
        }),
        ...handlersLive,
      ],
    },
  },
};
