import type { Preview } from '@storybook/react-vite';
import { mswLoader } from 'msw-storybook-addon/csf3';
import { MemoryRouter } from 'react-router';
import { handlersLive } from '../src/mocks/handlers-live';
import '../src/styles.css';

// msw-storybook-addon 3: the CSF 3 loader starts MSW's browser worker
// (public/mockServiceWorker.js) and installs each story's `parameters.msw`.
async function startWorker() {
  const { setupWorker } = await import('msw/browser');
  const worker = setupWorker();
  await worker.start({ quiet: true, onUnhandledRequest: 'bypass' });
  return worker;
}

const preview: Preview = {
  loaders: [mswLoader(startWorker)],
  parameters: { msw: { handlers: handlersLive }, layout: 'fullscreen' },
  decorators: [
    (Story) => (
      <MemoryRouter>
        <Story />
      </MemoryRouter>
    ),
  ],
};

export default preview;
