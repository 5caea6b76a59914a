// Sample data for the MSW handlers, unit tests and stories.
import type { ChatMessage, Stream, StreamHealth } from '../api/types';

export const MOCK_USER_ID = '6f1c2b1e-8c7a-4c55-9a3e-2f5b7d9e0a11';
export const MOCK_USERNAME = 'dj_nova';
export const MOCK_RTMP_URL = 'rtmp://127.0.0.1:1935/live';
export const MOCK_STREAM_KEY = 'a3f1c9e2-5b7d-4e8f-9a0b-1c2d3e4f5a6b';
export const MOCK_REGENERATED_KEY = 'c0ffee00-1234-4abc-8def-0123456789ab';

const now = Date.parse('2026-12-02T18:00:00Z');

export function makeStream(overrides: Partial<Stream> = {}): Stream {
  return {
    id: '0b9d6c1e-2f4a-4b8c-9d1e-3f5a7b9c1d2e',
    user_id: MOCK_USER_ID,
    streamer_name: MOCK_USERNAME,
    title: 'Friday night house',
    description: 'Two hours of deep house from the vinyl crate.',
    category: 'house',
    tags: ['deep', 'vinyl'],
    thumbnail_url: null,
    status: 'draft',
    is_live: false,
    is_vod: false,
    scheduled_at: null,
    started_at: null,
    ended_at: null,
    viewer_count: 0,
    peak_viewers: 0,
    stream_url: null,
    record_replay: true,
    replay_status: 'none',
    duration_seconds: null,
    created_at: new Date(now - 3_600_000).toISOString(),
    updated_at: new Date(now - 3_600_000).toISOString(),
    ...overrides,
  };
}

/** A live stream's health: a steady 720p30 signal at about 4.5 Mb/s. */
export function makeHealth(overrides: Partial<StreamHealth> = {}): StreamHealth {
  return {
    stream_id: '0b9d6c1e-2f4a-4b8c-9d1e-3f5a7b9c1d2e',
    live: true,
    verdict: 'excellent',
    reasons: [],
    sampled_at: new Date(now).toISOString(),
    bitrate_bps: 4_512_000,
    bitrate_avg_bps: 4_498_000,
    bitrate_min_bps: 4_410_000,
    bitrate_max_bps: 4_590_000,
    bytes_in: 168_000_000,
    dropped_frames: 0,
    uptime_s: 300,
    video: { codec: 'H264', width: 1280, height: 720, frame_rate: 30 },
    audio: { codec: 'AAC', sample_rate: 48_000, channels: 2 },
    ...overrides,
  };
}

export const liveStreams: Stream[] = [
  makeStream({
    id: '11111111-1111-4111-8111-111111111111',
    user_id: '21111111-1111-4111-8111-111111111111',
    streamer_name: 'luna_beats',
    title: 'Sunset techno session',
    category: 'techno',
    status: 'live',
    is_live: true,
    started_at: new Date(now - 1_800_000).toISOString(),
    viewer_count: 128,
    peak_viewers: 140,
    stream_url: 'http://127.0.0.1:8090/hls/11111111-1111-4111-8111-111111111111.m3u8',
  }),
  makeStream({
    id: '12222222-2222-4222-8222-222222222222',
    user_id: '22222222-2222-4222-8222-222222222222',
    streamer_name: 'marco_keys',
    title: 'Jazz piano requests',
    category: 'jazz',
    status: 'live',
    is_live: true,
    started_at: new Date(now - 600_000).toISOString(),
    viewer_count: 42,
    peak_viewers: 50,
    stream_url: 'http://127.0.0.1:8090/hls/12222222-2222-4222-8222-222222222222.m3u8',
  }),
];

export const scheduledStreams: Stream[] = [
  makeStream({
    id: '13333333-3333-4333-8333-333333333333',
    title: 'Album release party',
    status: 'scheduled',
    scheduled_at: new Date(now + 86_400_000).toISOString(),
  }),
];

/** Where the live catalog serves a stream's replay playlist (as `stream_url` once it is ready). */
export function replayUrl(streamId: string): string {
  return `http://localhost/media/replays/${streamId}/index.m3u8`;
}

export const replayStreams: Stream[] = [
  makeStream({
    id: '14444444-4444-4444-8444-444444444444',
    user_id: '24444444-4444-4444-8444-444444444444',
    streamer_name: 'ambient_ana',
    title: 'Ambient morning',
    status: 'ended',
    is_vod: true,
    started_at: new Date(now - 90_000_000).toISOString(),
    ended_at: new Date(now - 86_400_000).toISOString(),
    peak_viewers: 77,
    replay_status: 'ready',
    duration_seconds: 3_600,
    stream_url: replayUrl('14444444-4444-4444-8444-444444444444'),
  }),
  makeStream({
    id: '16666666-6666-4666-8666-666666666666',
    user_id: '26666666-6666-4666-8666-666666666666',
    streamer_name: 'dub_dominic',
    title: 'Dub plates at dawn',
    category: 'dub',
    status: 'ended',
    is_vod: true,
    started_at: new Date(now - 4_200_000).toISOString(),
    ended_at: new Date(now - 475_000).toISOString(),
    peak_viewers: 12,
    replay_status: 'processing',
    duration_seconds: 3_725,
  }),
];

export function makeMessage(seq: number, overrides: Partial<ChatMessage> = {}): ChatMessage {
  return {
    stream_id: liveStreams[0]!.id,
    seq,
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    user_id: '21111111-1111-4111-8111-111111111111',
    username: 'luna_beats',
    content: `message ${seq}`,
    created_at: new Date(now + seq * 1000).toISOString(),
    ...overrides,
  };
}
