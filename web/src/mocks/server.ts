import { setupServer } from 'msw/node';
import { handlersLive } from './handlers-live';

export const server = setupServer(...handlersLive);
