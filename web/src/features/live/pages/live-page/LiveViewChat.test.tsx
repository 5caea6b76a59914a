import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { MOCK_USER_ID, makeMessage } from '../../../../mocks/fixtures';
import { server as http_ } from '../../../../mocks/server';
import { liveHarness, ownerSession, viewerSession } from '../../testing/liveTestUtils';
import { LiveViewChat } from './LiveViewChat';

const STREAM = '11111111-1111-4111-8111-111111111111';
const history = [
  makeMessage(1, { stream_id: STREAM, username: 'luna_beats', content: 'welcome in' }),
  makeMessage(2, { stream_id: STREAM, username: 'marco_keys', content: 'great set', user_id: '22222222-2222-4222-8222-222222222222' }),
];

function joined(overrides: Record<string, unknown> = {}) {
  return { type: 'joined' as const, stream_id: STREAM, can_send: true, viewer_count: 2, status: 'live' as const, last_seq: 2, history, ...overrides };
}

async function renderChat(session = viewerSession as typeof viewerSession | null, frame = joined()) {
  const harness = liveHarness(session);
  render(<LiveViewChat streamId={STREAM} ownerId={MOCK_USER_ID} />, { wrapper: harness.wrapper });
  await harness.open();
  harness.receive(frame);
  return harness;
}

const items = () => within(screen.getByTestId('chat-messages')).getAllByRole('listitem');

describe('LiveViewChat', () => {
  it('shows the history, one list item per message with its author and content', async () => {
    await renderChat();
    expect(items()).toHaveLength(2);
    expect(items()[0]).toHaveTextContent('luna_beats');
    expect(items()[0]).toHaveTextContent('welcome in');
    expect(items()[1]).toHaveTextContent('marco_keys');
  });

  it('shows an anonymous viewer the history read-only with a sign-in link back to the stream', async () => {
    await renderChat(null, joined({ can_send: false }));
    expect(items()).toHaveLength(2);
    expect(screen.queryByLabelText('Chat message')).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Sign in to chat' })).toHaveAttribute('href', `/signin?next=/live/${STREAM}`);
  });

  it('sends a message, clears the input and shows it pending until the echo', async () => {
    const user = userEvent.setup();
    const harness = await renderChat();
    const input = screen.getByLabelText('Chat message');
    await user.type(input, 'hello from the front row');
    expect(screen.getByText('24/500')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Send' }));
    expect(input).toHaveValue('');
    expect(items()).toHaveLength(3);
    expect(items()[2]).toHaveTextContent('viewer_vic');
    expect(items()[2]).toHaveTextContent('Sending…');
    const id = harness.sentOf('send')[0]?.client_msg_id;
    harness.receive({ type: 'message', ...makeMessage(3, { stream_id: STREAM, username: 'viewer_vic', content: 'hello from the front row', client_msg_id: id, user_id: viewerSession.userId }) });
    expect(items()).toHaveLength(3);
    expect(items()[2]).not.toHaveTextContent('Sending…');
  });

  it('counts characters and refuses more than 500', async () => {
    const user = userEvent.setup();
    await renderChat();
    const input = screen.getByLabelText('Chat message');
    await user.click(input);
    await user.paste('x'.repeat(501));
    expect(screen.getByText('501/500')).toHaveClass('error');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('shows the wait of a rate limit and disables Send until it passes', async () => {
    const user = userEvent.setup();
    const harness = await renderChat();
    await user.type(screen.getByLabelText('Chat message'), 'again');
    harness.receive({ type: 'error', code: 'rate_limited', message: 'slow mode: wait before sending again', retry_after_ms: 3000, stream_id: STREAM });
    expect(screen.getByText(/Slow mode is on: you can send again in 3 s/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('tells a banned viewer so and disables the input', async () => {
    await renderChat(viewerSession, joined({ can_send: false }));
    expect(screen.getByRole('alert')).toHaveTextContent('You are banned from this chat.');
    expect(screen.getByLabelText('Chat message')).toBeDisabled();
  });

  it('says an ended stream’s chat is read-only', async () => {
    await renderChat(viewerSession, joined({ can_send: false, status: 'ended' }));
    expect(screen.getByText('The stream has ended: the chat is read-only.')).toBeInTheDocument();
    expect(screen.getByLabelText('Chat message')).toBeDisabled();
  });

  it('shows the connection dropping as reconnecting', async () => {
    const harness = await renderChat();
    act(() => harness.server().drop());
    expect(screen.getByText('Reconnecting…')).toBeInTheDocument();
  });

  it('gives the stream’s owner delete and ban actions', async () => {
    const user = userEvent.setup();
    const calls: string[] = [];
    http_.use(
      http.delete('*/api/v1/live/streams/:id/chat/messages/:messageId', ({ params }) => {
        calls.push(`delete ${String(params.messageId)}`);
        return HttpResponse.json({ success: true, data: { id: params.messageId, deleted: true } });
      }),
      http.post('*/api/v1/live/streams/:id/chat/bans', async ({ request }) => {
        calls.push(`ban ${((await request.json()) as { user_id: string }).user_id}`);
        return HttpResponse.json({ success: true, data: { banned: true } }, { status: 201 });
      }),
    );
    await renderChat(ownerSession);
    await user.click(screen.getByRole('button', { name: 'Ban marco_keys' }));
    await user.click(screen.getByRole('button', { name: 'Ban marco_keys?' }));
    expect(await screen.findByText('marco_keys can no longer chat.')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Delete message from marco_keys' }));
    await waitFor(() => expect(items()).toHaveLength(1));
    expect(calls).toEqual(['ban 22222222-2222-4222-8222-222222222222', `delete ${history[1]!.id}`]);
  });

  it('shows viewers no moderation actions on others’ messages', async () => {
    await renderChat();
    expect(screen.queryByRole('button', { name: /^Ban / })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /^Delete message/ })).not.toBeInTheDocument();
  });
});
