import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { PLAYBACK_SPEED_STORAGE_KEY } from '../../hooks/usePlaybackSpeed';
import { PlaybackSpeedButton } from './PlaybackSpeedButton';

function Player({ live = false }: { live?: boolean }) {
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  return (
    <>
      <video data-testid="video" ref={setVideo} />
      <PlaybackSpeedButton media={video} live={live} />
    </>
  );
}

const button = () => screen.getByTestId('playback-speed');
const video = () => screen.getByTestId('video') as HTMLVideoElement;

describe('PlaybackSpeedButton', () => {
  it('starts at 1× and cycles through the six speeds on click, wrapping around', async () => {
    const user = userEvent.setup();
    render(<Player />);
    expect(button()).toHaveTextContent('1×');
    expect(button()).toHaveAccessibleName('Playback speed 1×');
    const seen: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      await user.click(button());
      seen.push(button().textContent ?? '');
    }
    expect(seen).toEqual(['1.25×', '1.5×', '2×', '0.5×', '0.75×', '1×']);
  });

  it('applies the speed to the media element and keeps it across a reload', async () => {
    const user = userEvent.setup();
    const first = render(<Player />);
    await user.click(button());
    await user.click(button());
    expect(video().playbackRate).toBe(1.5);
    expect(localStorage.getItem(PLAYBACK_SPEED_STORAGE_KEY)).toBe('1.5');
    first.unmount();

    render(<Player />);
    expect(button()).toHaveTextContent('1.5×');
    expect(button()).toHaveAccessibleName('Playback speed 1.5×');
    expect(video().playbackRate).toBe(1.5);
    expect(video().defaultPlaybackRate).toBe(1.5);
  });

  it('ignores a saved value that is not one of the speeds', () => {
    localStorage.setItem(PLAYBACK_SPEED_STORAGE_KEY, '3');
    render(<Player />);
    expect(button()).toHaveTextContent('1×');
  });

  it('picks a speed from the menu, by mouse and by keyboard', async () => {
    const user = userEvent.setup();
    render(<Player />);
    const caret = screen.getByRole('button', { name: 'Choose playback speed' });
    await user.click(caret);
    const menu = screen.getByRole('menu', { name: 'Playback speed' });
    const items = within(menu).getAllByRole('menuitemradio');
    expect(items.map((i) => i.textContent?.replace(' Normal', ''))).toEqual(['0.5×', '0.75×', '1×', '1.25×', '1.5×', '2×']);
    expect(within(menu).getByRole('menuitemradio', { checked: true })).toHaveTextContent('1×');
    expect(items[2]).toHaveFocus();
    await user.click(items[0]!);
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(button()).toHaveTextContent('0.5×');
    expect(video().playbackRate).toBe(0.5);

    caret.focus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByRole('menuitemradio', { name: '0.5×' })).toHaveFocus();
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(button()).toHaveTextContent('1×');
    expect(caret).toHaveFocus();

    await user.click(caret);
    await user.keyboard('{End}{Escape}');
    expect(screen.queryByRole('menu')).not.toBeInTheDocument();
    expect(button()).toHaveTextContent('1×');
  });

  it('opens the menu on a right click', async () => {
    const user = userEvent.setup();
    render(<Player />);
    await user.pointer({ keys: '[MouseRight]', target: button() });
    expect(screen.getByRole('menu')).toBeInTheDocument();
  });

  it('plays a live stream at 1× while keeping the saved choice for replays', async () => {
    const user = userEvent.setup();
    localStorage.setItem(PLAYBACK_SPEED_STORAGE_KEY, '2');
    const live = render(<Player live />);
    expect(video().playbackRate).toBe(1);
    expect(button()).toHaveTextContent('2×');
    expect(screen.getByText('Live: 1×')).toBeVisible();
    await user.click(button());
    expect(localStorage.getItem(PLAYBACK_SPEED_STORAGE_KEY)).toBe('0.5');
    expect(video().playbackRate).toBe(1);
    live.unmount();

    render(<Player />);
    expect(video().playbackRate).toBe(0.5);
  });
});
