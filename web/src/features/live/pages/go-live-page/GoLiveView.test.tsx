import { fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { MOCK_RTMP_URL, MOCK_STREAM_KEY, makeStream } from '../../../../mocks/fixtures';
import { GoLiveView, type GoLiveViewProps } from './GoLiveView';
import { toLocalInputValue } from './streamForm';

const stream = makeStream();

function renderView(props: Partial<GoLiveViewProps> = {}) {
  const onCreateStream = vi.fn(async () => {});
  const user = userEvent.setup();
  const all: GoLiveViewProps = {
    streamKey: MOCK_STREAM_KEY,
    rtmpUrl: MOCK_RTMP_URL,
    onCreateStream,
    onRegenerateKey: vi.fn(async () => {}),
    isLoading: false,
    stream,
    ...props,
  };
  const result = render(
    <MemoryRouter>
      <GoLiveView {...all} />
    </MemoryRouter>,
  );
  return { ...result, user, onCreateStream: all.onCreateStream as typeof onCreateStream };
}

function inFuture(days: number): string {
  return toLocalInputValue(new Date(Date.now() + days * 86_400_000));
}

describe('GoLiveView form', () => {
  it('prefills the form from the current stream', () => {
    renderView();
    expect(screen.getByLabelText('Title')).toHaveValue(stream.title);
    expect(screen.getByLabelText('Description')).toHaveValue(stream.description);
    expect(screen.getByLabelText('Category')).toHaveValue('house');
    expect(screen.getByLabelText('Tags')).toHaveValue('deep, vinyl');
    expect(screen.getByRole('link', { name: 'Open stream page' })).toHaveAttribute('href', `/live/${stream.id}`);
  });

  it('refuses an empty title next to the field and does not submit', async () => {
    const { user, onCreateStream } = renderView();
    await user.clear(screen.getByLabelText('Title'));
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    const title = screen.getByLabelText('Title');
    expect(title).toHaveAttribute('aria-invalid', 'true');
    expect(title).toHaveAccessibleDescription(/Give your stream a title/);
    expect(title).toHaveFocus();
    expect(onCreateStream).not.toHaveBeenCalled();
    await user.type(title, 'Back again');
    expect(title).toHaveAttribute('aria-invalid', 'false');
  });

  it('checks tags, description, category and the thumbnail URL before sending', async () => {
    const { user, onCreateStream } = renderView();
    fireEvent.change(screen.getByLabelText('Description'), { target: { value: 'd'.repeat(5001) } });
    fireEvent.change(screen.getByLabelText('Category'), { target: { value: 'c'.repeat(65) } });
    fireEvent.change(screen.getByLabelText('Tags'), { target: { value: Array.from({ length: 11 }, (_, i) => `t${i}`).join(',') } });
    fireEvent.change(screen.getByLabelText('Thumbnail URL'), { target: { value: 'javascript:alert(1)' } });
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(screen.getByLabelText('Description')).toHaveAccessibleDescription(/At most 5000/);
    expect(screen.getByLabelText('Category')).toHaveAccessibleDescription(/At most 64/);
    expect(screen.getByLabelText('Tags')).toHaveAccessibleDescription(/At most 10 tags/);
    expect(screen.getByLabelText('Thumbnail URL')).toHaveAccessibleDescription(/http\(s\) URL/);
    expect(onCreateStream).not.toHaveBeenCalled();
  });

  it('shows the server’s field messages next to their fields until edited', async () => {
    const { user } = renderView({
      fieldErrors: { title: 'title must not contain control characters', scheduledAt: 'scheduled_at must be in the future' },
    });
    expect(screen.getByLabelText('Title')).toHaveAccessibleDescription('title must not contain control characters');
    expect(screen.getByLabelText('Scheduled for')).toHaveAccessibleDescription(/scheduled_at must be in the future/);
    await user.type(screen.getByLabelText('Title'), '!');
    expect(screen.queryByText('title must not contain control characters')).not.toBeInTheDocument();
    expect(screen.getByText('scheduled_at must be in the future')).toBeInTheDocument();
  });

  it('"Go Live Now" sends the trimmed details without a start time', async () => {
    const { user, onCreateStream } = renderView();
    await user.clear(screen.getByLabelText('Title'));
    await user.type(screen.getByLabelText('Title'), '  Late night dub  ');
    await user.clear(screen.getByLabelText('Tags'));
    await user.type(screen.getByLabelText('Tags'), 'dub, , bass ,dub');
    fireEvent.change(screen.getByLabelText('Scheduled for'), { target: { value: inFuture(2) } });
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(onCreateStream).toHaveBeenCalledWith({
      title: 'Late night dub',
      description: stream.description,
      category: 'house',
      tags: ['dub', 'bass'],
      recordReplay: true,
    });
  });

  it('"Record a replay" is on by default and its choice is sent', async () => {
    const { user, onCreateStream } = renderView();
    const record = screen.getByRole('checkbox', { name: 'Record a replay' });
    expect(record).toBeChecked();
    expect(record).toBeEnabled();
    expect(record).toHaveAccessibleDescription(/watch the stream from the start once it has ended/);
    await user.click(record);
    expect(record).not.toBeChecked();
    await user.click(screen.getByRole('button', { name: 'Go Live Now' }));
    expect(onCreateStream).toHaveBeenCalledWith(expect.objectContaining({ recordReplay: false }));
  });

  it('prefills "Record a replay" from the stream', () => {
    renderView({ stream: makeStream({ record_replay: false }) });
    expect(screen.getByRole('checkbox', { name: 'Record a replay' })).not.toBeChecked();
  });

  it('locks "Record a replay" once the stream is live or has ended, and says why', () => {
    const { rerender } = renderView({ phase: 'live' });
    const view = (phase: GoLiveViewProps['phase']) => (
      <MemoryRouter>
        <GoLiveView
          streamKey={MOCK_STREAM_KEY}
          rtmpUrl={MOCK_RTMP_URL}
          onCreateStream={vi.fn(async () => {})}
          onRegenerateKey={vi.fn(async () => {})}
          isLoading={false}
          stream={stream}
          phase={phase}
        />
      </MemoryRouter>
    );
    const record = () => screen.getByRole('checkbox', { name: 'Record a replay' });
    expect(record()).toBeDisabled();
    expect(record()).toBeChecked();
    expect(record()).toHaveAccessibleDescription(/cannot change during the broadcast/);
    rerender(view('ended'));
    expect(record()).toBeDisabled();
    expect(record()).toHaveAccessibleDescription(/Set up your next stream/);
    for (const phase of ['idle', 'waiting', 'scheduled'] as const) {
      rerender(view(phase));
      expect(record()).toBeEnabled();
    }
  });

  it('"Schedule Stream" needs a date, refuses a past one and sends it as UTC', async () => {
    const { user, onCreateStream } = renderView();
    const schedule = screen.getByRole('button', { name: 'Schedule Stream' });
    expect(schedule).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Scheduled for'), { target: { value: '2020-01-01T10:00' } });
    await user.click(schedule);
    expect(screen.getByLabelText('Scheduled for')).toHaveAccessibleDescription(/Pick a time in the future/);
    expect(onCreateStream).not.toHaveBeenCalled();
    const local = inFuture(3);
    fireEvent.change(screen.getByLabelText('Scheduled for'), { target: { value: local } });
    await user.click(schedule);
    expect(onCreateStream).toHaveBeenCalledWith(expect.objectContaining({ scheduledAt: new Date(local).toISOString() }));
  });
});

describe('GoLiveView status', () => {
  it('shows loading, and an error with Retry', async () => {
    const { rerender, user } = renderView({ isLoading: true });
    expect(screen.getByRole('status')).toHaveTextContent('Loading your stream settings…');
    expect(screen.queryByLabelText('Title')).not.toBeInTheDocument();
    const onRetry = vi.fn();
    rerender(
      <MemoryRouter>
        <GoLiveView
          streamKey={null}
          rtmpUrl=""
          onCreateStream={vi.fn(async () => {})}
          onRegenerateKey={vi.fn(async () => {})}
          isLoading={false}
          error="Live streaming is temporarily unavailable. Please retry in a moment."
          onRetry={onRetry}
        />
      </MemoryRouter>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent(/temporarily unavailable/);
    await user.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledTimes(1);
  });

  it('says what each phase means', () => {
    const { rerender } = renderView({ phase: 'waiting' });
    const status = screen.getByTestId('live-status');
    expect(status).toHaveAttribute('aria-live', 'polite');
    expect(status).toHaveTextContent('Waiting for your encoder…');
    const view = (props: Partial<GoLiveViewProps>) => (
      <MemoryRouter>
        <GoLiveView
          streamKey={MOCK_STREAM_KEY}
          rtmpUrl={MOCK_RTMP_URL}
          onCreateStream={vi.fn(async () => {})}
          onRegenerateKey={vi.fn(async () => {})}
          isLoading={false}
          stream={stream}
          {...props}
        />
      </MemoryRouter>
    );
    rerender(view({ phase: 'live', viewerCount: 42 }));
    expect(screen.getByTestId('live-status')).toHaveTextContent('You are live');
    expect(screen.getByTestId('live-viewer-count')).toHaveTextContent(/^42$/);
    expect(screen.queryByRole('button', { name: 'Go Live Now' })).not.toBeInTheDocument();
    const onPrepareNext = vi.fn();
    rerender(view({ phase: 'ended', replayStreamId: stream.id, onPrepareNext }));
    const ended = screen.getByTestId('live-status');
    expect(ended).toHaveTextContent('Stream ended');
    expect(within(ended).getByRole('link', { name: 'Watch the replay' })).toHaveAttribute('href', `/live/${stream.id}`);
    fireEvent.click(within(ended).getByRole('button', { name: 'Set up your next stream' }));
    expect(onPrepareNext).toHaveBeenCalled();
  });

  it('shows the RTMP server and copies it', async () => {
    const { user } = renderView();
    const writeText = vi.fn(async () => {});
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    expect(screen.getByTestId('rtmp-url')).toHaveTextContent(MOCK_RTMP_URL);
    await user.click(screen.getByRole('button', { name: 'Copy server URL' }));
    expect(writeText).toHaveBeenCalledWith(MOCK_RTMP_URL);
    expect(await screen.findByText('Copied')).toBeVisible();
    await user.click(screen.getByRole('button', { name: 'Copy stream key' }));
    expect(writeText).toHaveBeenLastCalledWith(MOCK_STREAM_KEY);
    const steps = screen.getByRole('region', { name: 'Connect your encoder' });
    expect(steps).toHaveTextContent(/OBS Studio.*Settings → Stream.*Service to Custom.*Server.*Stream Key.*Keyframe Interval to 2 s/);
    expect(steps).toHaveTextContent(/Streamlabs.*Settings → Stream.*Custom Streaming Server.*Keyframe Interval to 2 s/);
  });
});

describe('GoLiveView thumbnail', () => {
  it('uploads a chosen image and shows it', async () => {
    const url = 'http://localhost/media/thumbnails/x/0123456789abcdef.jpg';
    const onUploadThumbnail = vi.fn(async () => url);
    const { user } = renderView({ onUploadThumbnail });
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'cover.png', { type: 'image/png' });
    await user.upload(screen.getByLabelText('Thumbnail image'), file);
    expect(onUploadThumbnail).toHaveBeenCalledWith(file);
    expect(await screen.findByRole('img', { name: 'Stream thumbnail' })).toHaveAttribute('src', url);
    expect(screen.getByLabelText('Thumbnail URL')).toHaveValue(url);
  });

  it('refuses an image over 2 MiB without uploading it', async () => {
    const onUploadThumbnail = vi.fn(async () => null);
    const { user } = renderView({ onUploadThumbnail });
    const big = new File([new Uint8Array(2 * 1024 * 1024 + 1)], 'big.jpg', { type: 'image/jpeg' });
    await user.upload(screen.getByLabelText('Thumbnail image'), big);
    expect(screen.getByLabelText('Thumbnail image')).toHaveAccessibleDescription(/larger than 2 MiB/);
    expect(onUploadThumbnail).not.toHaveBeenCalled();
  });
});
