// Every story of the app renders: each `*.stories.tsx` under src is
// composed with the Storybook preview's decorators and parameters (the
// MemoryRouter and the rest; the API calls reach the MSW handlers of the
// test set-up instead of the browser worker) and must render something
// and throw nothing, its play function included.
import { composeStories } from '@storybook/react-vite';
import { act, render, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import preview from '../.storybook/preview';

interface ComposedStory {
  (): ReactElement;
  storyName: string;
  play?: (context?: Record<string, unknown>) => Promise<void>;
}

type StoryModule = Parameters<typeof composeStories>[0];

const modules = import.meta.glob<StoryModule>('./**/*.stories.tsx', { eager: true });

// The preview without its loaders: they start MSW's browser worker, and
// the node server of the test set-up answers here.
const annotations = { decorators: preview.decorators, parameters: preview.parameters };

const files = Object.entries(modules).map(([path, module]) => {
  const stories = Object.values(composeStories(module, annotations)) as unknown as ComposedStory[];
  return [path, stories] as const;
});

it('finds the stories', () => {
  expect(files.map(([path]) => path)).toContain('./features/live/pages/go-live-page/GoLiveView.stories.tsx');
});

describe.each(files)('%s', (_path, stories) => {
  it.each(stories.map((story) => [story.storyName, story] as const))('%s renders', async (_name, Story) => {
    const errors: unknown[] = [];
    const onError = (event: ErrorEvent) => errors.push(event.error);
    window.addEventListener('error', onError);
    try {
      const { container } = render(<Story />);
      // Let effects, mocked requests and scripted sockets settle.
      await act(() => new Promise((resolve) => setTimeout(resolve, 100)));
      if (Story.play) {
        await Story.play({ canvasElement: container, canvas: within(container), userEvent: userEvent.setup() });
      }
      const meaningful =
        (container.textContent ?? '').trim().length > 0 || container.querySelector('img, video, svg, canvas') !== null;
      expect(meaningful).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      window.removeEventListener('error', onError);
    }
  });
});
