// Test helpers for the Go Live page: its providers with a scripted socket.
import { render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { AuthProvider, type Session } from '../../../../auth/AuthContext';
import { MOCK_USERNAME, MOCK_USER_ID } from '../../../../mocks/fixtures';
import { type FakeWebSocketClass, createFakeWebSocketClass } from '../../../../mocks/fakeLiveSocket';
import { LiveSocketProvider } from '../../../../services/LiveSocketContext';
import { LiveSocket } from '../../../../services/liveSocket';

export const TEST_SESSION: Session = { token: 'test-token', userId: MOCK_USER_ID, username: MOCK_USERNAME, expiresAt: null };

/** Renders `ui` at /live/go-live, signed in, on a socket the test drives. */
export function renderWithLiveProviders(ui: ReactElement) {
  const Sockets: FakeWebSocketClass = createFakeWebSocketClass();
  const socket = new LiveSocket({
    url: 'ws://localhost/ws',
    WebSocketImpl: Sockets as unknown as typeof WebSocket,
    baseBackoffMs: 10,
  });
  const user = userEvent.setup();
  const result = render(
    <AuthProvider initialSession={TEST_SESSION}>
      <LiveSocketProvider socket={socket}>
        <MemoryRouter initialEntries={['/live/go-live']}>
          <Routes>
            <Route path="/live/go-live" element={ui} />
            <Route path="/live/:streamId" element={<p>Stream page</p>} />
          </Routes>
        </MemoryRouter>
      </LiveSocketProvider>
    </AuthProvider>,
  );
  return { ...result, user, Sockets, socket };
}
