import type { Meta, StoryObj } from '@storybook/react-vite';
import { PLAYBACK_SPEED_STORAGE_KEY } from '../../hooks/usePlaybackSpeed';
import { PlaybackSpeedButton } from './PlaybackSpeedButton';

const meta = {
  title: 'Player/PlaybackSpeedButton',
  component: PlaybackSpeedButton,
  args: { media: null, live: false },
  decorators: [
    (Story) => (
      <div style={{ padding: '14rem 2rem 2rem', display: 'flex', justifyContent: 'center' }}>
        <Story />
      </div>
    ),
  ],
} satisfies Meta<typeof PlaybackSpeedButton>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Click steps to the next speed; the caret opens the list. */
export const Default: Story = {};

/** The list of speeds, open on the saved one. */
export const MenuOpen: Story = {
  play: async ({ canvas, userEvent }) => {
    await userEvent.click(canvas.getByRole('button', { name: 'Choose playback speed' }));
  },
};

/** On a live stream: it plays at 1×, the choice is kept for replays. */
export const LiveEdge: Story = {
  args: { live: true },
  beforeEach: () => {
    const saved = localStorage.getItem(PLAYBACK_SPEED_STORAGE_KEY);
    localStorage.setItem(PLAYBACK_SPEED_STORAGE_KEY, '1.5');
    return () => {
      if (saved === null) localStorage.removeItem(PLAYBACK_SPEED_STORAGE_KEY);
      else localStorage.setItem(PLAYBACK_SPEED_STORAGE_KEY, saved);
    };
  },
};
