import type { Meta, StoryObj } from '@storybook/react-vite';
import { liveStreams, makeStream, replayStreams, scheduledStreams } from '../../../mocks/fixtures';
import { StreamCard } from './StreamCard';

const inAnHour = () => new Date(Date.now() + 3_723_000).toISOString();

/** A stand-in thumbnail, drawn inline so the story needs no network. */
const artwork = `data:image/svg+xml,${encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 320 180"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#1d2b64"/><stop offset="1" stop-color="#f8575e"/></linearGradient></defs><rect width="320" height="180" fill="url(#g)"/><circle cx="230" cy="70" r="38" fill="#ffd36e" opacity=".85"/><path d="M0 150 Q80 110 160 140 T320 130 V180 H0Z" fill="#0f1115" opacity=".55"/></svg>`,
)}`;

const meta = {
  title: 'Live/StreamCard',
  component: StreamCard,
  args: { stream: liveStreams[0]! },
  decorators: [
    (Story) => (
      <div style={{ padding: '1.5rem', maxWidth: 320 }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof StreamCard>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Live now, with its viewer count. */
export const Live: Story = {};

/** With the streamer's thumbnail. */
export const LiveWithThumbnail: Story = {
  args: { stream: makeStream({ ...liveStreams[1]!, thumbnail_url: artwork }) },
};

/** Scheduled: the badge and a countdown that ticks. */
export const Scheduled: Story = {
  args: { stream: makeStream({ ...scheduledStreams[0]!, scheduled_at: inAnHour() }) },
};

/** A replay: its date and length. */
export const Replay: Story = {
  args: { stream: replayStreams[0]! },
};

/** A replay still being prepared: its length is the broadcast's. */
export const ReplayBeingPrepared: Story = {
  args: { stream: replayStreams[1]! },
};
