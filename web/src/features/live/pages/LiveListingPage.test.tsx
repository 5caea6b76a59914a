import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { http, HttpResponse } from 'msw';
import { MemoryRouter } from 'react-router';
import { liveStreams, makeStream, replayStreams } from '../../../mocks/fixtures';
import { formatDate } from '../utils/time';
import { server } from '../../../mocks/server';
import LiveListingPage from './LiveListingPage';

function renderPage() {
  return render(
    <MemoryRouter>
      <LiveListingPage />
    </MemoryRouter>,
  );
}

const section = (name: string) => screen.getByRole('region', { name });

describe('LiveListingPage', () => {
  it('lists live, scheduled and replay streams from the API, each card a link to its page', async () => {
    renderPage();
    const live = section('Live now');
    const techno = await within(live).findByRole('link', { name: /Sunset techno session/ });
    expect(techno).toHaveAttribute('href', `/live/${liveStreams[0]!.id}`);
    expect(techno).toHaveTextContent('128 viewers');
    expect(techno).toHaveTextContent('luna_beats');
    const cards = within(live).getAllByRole('link');
    expect(cards.map((c) => c.querySelector('h3')?.textContent)).toEqual(['Sunset techno session', 'Jazz piano requests']);

    const scheduled = await within(section('Scheduled')).findByRole('link', { name: /Album release party/ });
    expect(within(scheduled).getByText('Scheduled')).toBeInTheDocument();
    expect(within(scheduled).getByRole('timer')).toBeInTheDocument();

    const replay = await within(section('Replays')).findByRole('link', { name: /Ambient morning/ });
    expect(within(replay).getByText('Replay')).toBeInTheDocument();
    expect(replay).toHaveTextContent('1:00:00');
  });

  it('shows each replay’s duration and the date it was streamed', async () => {
    const replay = makeStream({
      ...replayStreams[0]!,
      id: 'r1',
      title: 'Long set',
      started_at: '2026-11-28T21:00:00Z',
      ended_at: '2026-11-28T22:02:09Z',
      duration_seconds: 3_725.4,
    });
    const short = makeStream({
      ...replayStreams[0]!,
      id: 'r2',
      title: 'Short set',
      started_at: '2026-11-29T10:00:00Z',
      ended_at: '2026-11-29T10:00:12.4Z',
      duration_seconds: null,
      replay_status: 'processing',
    });
    server.use(
      http.get('*/api/v1/live/streams', ({ request }) => {
        if (new URL(request.url).searchParams.get('is_vod') !== 'true') return undefined;
        return HttpResponse.json({ success: true, data: [replay, short], meta: { limit: 12, next_cursor: null, has_more: false } });
      }),
    );
    renderPage();
    const replays = section('Replays');
    const long = await within(replays).findByRole('link', { name: /Long set/ });
    expect(within(long).getByTestId('stream-duration')).toHaveTextContent(/^Length 1:02:05$/);
    expect(within(long).getByTestId('stream-date')).toHaveTextContent(formatDate('2026-11-28T21:00:00Z'));
    expect(within(long).getByTestId('stream-date')).toHaveAttribute('dateTime', '2026-11-28T21:00:00Z');
    const brief = within(replays).getByRole('link', { name: /Short set/ });
    expect(within(brief).getByTestId('stream-duration')).toHaveTextContent(/^Length 0:12$/);
    expect(within(brief).getByTestId('stream-date')).toHaveTextContent(formatDate('2026-11-29T10:00:00Z'));
  });

  it('says when a section is empty', async () => {
    server.use(http.get('*/api/v1/live/streams', () => HttpResponse.json({ success: true, data: [], meta: { limit: 12, next_cursor: null, has_more: false } })));
    renderPage();
    expect(await screen.findByText('Nobody is live right now.')).toBeInTheDocument();
    expect(screen.getByText('No upcoming streams are scheduled.')).toBeInTheDocument();
    expect(screen.getByText('No replays yet. Ended streams show up here.')).toBeInTheDocument();
  });

  it('offers a retry when loading fails', async () => {
    const user = userEvent.setup();
    let fail = true;
    server.use(
      http.get('*/api/v1/live/streams', ({ request }) => {
        if (fail && new URL(request.url).searchParams.get('is_live') === 'true') {
          return HttpResponse.json({ success: false, error: { code: 'service_unavailable', message: 'try again' } }, { status: 503 });
        }
        return undefined;
      }),
    );
    renderPage();
    const live = section('Live now');
    expect(await within(live).findByRole('alert')).toHaveTextContent('Couldn’t load these streams.');
    fail = false;
    await user.click(within(live).getByRole('button', { name: 'Retry' }));
    expect(await within(live).findByRole('link', { name: /Sunset techno session/ })).toBeInTheDocument();
  });

  it('loads the next page with the cursor', async () => {
    const user = userEvent.setup();
    const cursors: (string | null)[] = [];
    server.use(
      http.get('*/api/v1/live/streams', ({ request }) => {
        const url = new URL(request.url);
        if (url.searchParams.get('is_vod') !== 'true') return undefined;
        const cursor = url.searchParams.get('cursor');
        cursors.push(cursor);
        const page = cursor === 'page-2'
          ? { data: [makeStream({ id: 'b2', title: 'Second page replay', status: 'ended', is_vod: true })], meta: { limit: 12, next_cursor: null, has_more: false } }
          : { data: [makeStream({ id: 'b1', title: 'First page replay', status: 'ended', is_vod: true })], meta: { limit: 12, next_cursor: 'page-2', has_more: true } };
        return HttpResponse.json({ success: true, ...page });
      }),
    );
    renderPage();
    const replays = section('Replays');
    await within(replays).findByRole('link', { name: /First page replay/ });
    await user.click(within(replays).getByRole('button', { name: 'Load more' }));
    expect(await within(replays).findByRole('link', { name: /Second page replay/ })).toBeInTheDocument();
    expect(within(replays).getAllByRole('link')).toHaveLength(2);
    expect(within(replays).queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(cursors).toEqual([null, 'page-2']);
  });
});
