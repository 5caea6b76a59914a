import type { Meta, StoryObj } from '@storybook/react-vite';
import { fn } from 'storybook/test';
import { MOCK_RTMP_URL, MOCK_STREAM_KEY, makeHealth, makeStream } from '../../../../mocks/fixtures';
import { GoLiveView } from './GoLiveView';

const draft = makeStream({ id: '0b9d6c1e-2f4a-4b8c-9d1e-3f5a7b9c1d2e' });

const meta = {
  title: 'Live/GoLiveView',
  component: GoLiveView,
  args: {
    streamKey: MOCK_STREAM_KEY,
    rtmpUrl: MOCK_RTMP_URL,
    isLoading: false,
    stream: draft,
    phase: 'idle',
    onCreateStream: fn(async () => {}),
    onRegenerateKey: fn(async () => {}),
    onUploadThumbnail: fn(async () => new URL('/favicon.svg', window.location.href).href),
    onRetry: fn(),
    onPrepareNext: fn(),
  },
} satisfies Meta<typeof GoLiveView>;

export default meta;
type Story = StoryObj<typeof meta>;

/** A draft ready to go live: details prefilled, key masked. */
export const Default: Story = {};

export const Loading: Story = {
  args: { isLoading: true, streamKey: null, rtmpUrl: '', stream: null },
};

export const Error: Story = {
  args: {
    streamKey: null,
    rtmpUrl: '',
    stream: null,
    error: 'Live streaming is temporarily unavailable. Please retry in a moment.',
  },
};

/** The key revealed, as after pressing "Reveal key". */
export const StreamKeyVisible: Story = {
  args: { initiallyRevealed: true },
};

/** A draft that will not be recorded: "Record a replay" unticked. */
export const WithoutReplay: Story = {
  args: { stream: makeStream({ ...draft, record_replay: false }) },
};

/** After "Go Live Now", before the encoder publishes. */
export const WaitingForEncoder: Story = {
  args: { phase: 'waiting' },
};

export const Scheduled: Story = {
  args: {
    phase: 'scheduled',
    stream: makeStream({ ...draft, status: 'scheduled', scheduled_at: '2027-01-15T19:30:00Z' }),
    actionFeedback: { kind: 'notice', text: 'Scheduled for Fri, Jan 15, 2027, 20:30.' },
  },
};

export const Live: Story = {
  args: {
    phase: 'live',
    viewerCount: 128,
    stream: makeStream({ ...draft, status: 'live', is_live: true, viewer_count: 128, started_at: '2026-12-02T18:00:00Z' }),
    health: makeHealth(),
  },
};

/** Live, with a signal that swings: the health panel says why. */
export const LiveUnstableSignal: Story = {
  args: {
    phase: 'live',
    viewerCount: 12,
    stream: makeStream({ ...draft, status: 'live', is_live: true, viewer_count: 12, started_at: '2026-12-02T18:00:00Z' }),
    health: makeHealth({
      verdict: 'unstable',
      reasons: ['the bitrate swings: check the encoder\'s upload'],
      bitrate_bps: 1_200_000,
      bitrate_min_bps: 600_000,
    }),
  },
};

export const Ended: Story = {
  args: {
    phase: 'ended',
    replayStreamId: draft.id,
    stream: makeStream({ ...draft, status: 'ended', is_vod: true, ended_at: '2026-12-02T20:00:00Z' }),
  },
};

/** The server refused the save: its messages next to the fields. */
export const ServerFieldErrors: Story = {
  args: {
    fieldErrors: {
      title: 'title must be 1 to 140 characters after trimming',
      tags: 'each tag must be 1 to 25 printable characters',
    },
    actionFeedback: { kind: 'error', text: 'Some fields need your attention.' },
  },
};

export const KeyRegenerated: Story = {
  args: {
    keyFeedback: {
      kind: 'notice',
      text: 'A new key is active. The old key no longer works: paste the new one into your encoder.',
    },
  },
};
