// Vitest set-up: DOM matchers, MSW's node server with the live handlers,
// and a fresh DOM and storage between tests.
import '@testing-library/jest-dom/vitest';
import { cleanup, configure } from '@testing-library/react';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { server } from '../mocks/server';
import { resetMockState } from '../mocks/handlers-live';

// A loaded 2-core CI machine is slow: wait longer before a findBy gives up.
configure({ asyncUtilTimeout: 5000 });

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => {
  cleanup();
  server.resetHandlers();
  resetMockState();
  localStorage.clear();
  sessionStorage.clear();
});
afterAll(() => server.close());
