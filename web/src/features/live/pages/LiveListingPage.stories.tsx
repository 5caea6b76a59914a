import type { Meta, StoryObj } from '@storybook/react-vite';
import { HttpResponse, delay, http } from 'msw';
import { handlersLive } from '../../../mocks/handlers-live';
import LiveListingPage from './LiveListingPage';

const meta = {
  title: 'Live/LiveListingPage',
  component: LiveListingPage,
} satisfies Meta<typeof LiveListingPage>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Live now, scheduled and replays from the mocked API. */
export const Default: Story = {};

export const Empty: Story = {
  parameters: {
    msw: {
      handlers: [
        http.get('*/api/v1/live/streams', () =>
          HttpResponse.json({ success: true, data: [], meta: { limit: 12, next_cursor: null, has_more: false } }),
        ),
        ...handlersLive,
      ],
    },
  },
};

export const Loading: Story = {
  parameters: {
    msw: {
      handlers: [
        http.get('*/api/v1/live/streams', async () => {
          await delay('infinite');
          return HttpResponse.json({});
        }),
        ...handlersLive,
      ],
    },
  },
};

export const Error: Story = {
  parameters: {
    msw: {
      handlers: [
        http.get('*/api/v1/live/streams', () =>
          HttpResponse.json(
            { success: false, error: { code: 'service_unavailable', message: 'The catalog is unavailable, retry later.' } },
            { status: 503 },
          ),
        ),
        ...handlersLive,
      ],
    },
  },
};
