// A believable chat for stories.
import type { ChatMessage } from '../../../api/types';
import { MOCK_USERNAME, MOCK_USER_ID } from '../../../mocks/fixtures';

const people = [
  { id: '41111111-1111-4111-8111-111111111111', username: 'bassline_bea' },
  { id: '42222222-2222-4222-8222-222222222222', username: 'kai.ontheone' },
  { id: '43333333-3333-4333-8333-333333333333', username: 'nightowl_sam' },
  { id: MOCK_USER_ID, username: MOCK_USERNAME },
];

const lines: [number, string][] = [
  [3, 'Welcome in everyone! Two hours of deep house tonight'],
  [0, 'finally, been waiting all week for this'],
  [1, 'that kick drum is unreal'],
  [2, 'hello from Lisbon!'],
  [0, 'what is this track??'],
  [3, 'Unreleased one from the crate, out next month'],
  [1, 'turn it up'],
  [2, 'the transition into this one was so smooth, how do you even do that live'],
];

/** The chat of a stream, oldest first, the streamer among the authors. */
export function sampleChat(streamId: string, count = lines.length): ChatMessage[] {
  const start = Date.now() - count * 45_000;
  return lines.slice(0, count).map(([who, content], index) => {
    const person = people[who]!;
    return {
      stream_id: streamId,
      seq: index + 1,
      id: `5${String(index + 1).padStart(7, '0')}-0000-4000-8000-${streamId.slice(-12)}`,
      user_id: person.id,
      username: person.username,
      content,
      created_at: new Date(start + index * 45_000).toISOString(),
    };
  });
}
