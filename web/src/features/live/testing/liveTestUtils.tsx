// Test helpers: a LiveSocket on a fake WebSocket, the providers the live
// pages need, and shortcuts to play the server's side of the socket.
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { act, waitFor } from '@testing-library/react';
import { AuthProvider, type Session } from '../../../auth/AuthContext';
import type { ClientFrame, ServerFrame } from '../../../services/chatProtocol';
import { LiveSocketProvider } from '../../../services/LiveSocketContext';
import { LiveSocket } from '../../../services/liveSocket';
import { MOCK_USERNAME, MOCK_USER_ID } from '../../../mocks/fixtures';
import { type FakeWebSocket, type FakeWebSocketClass, createFakeWebSocketClass } from '../../../mocks/fakeLiveSocket';

export const viewerSession: Session = {
  token: 'eyJhbGciOiJIUzI1NiJ9.viewer.sig',
  userId: '31111111-1111-4111-8111-111111111111',
  username: 'viewer_vic',
  expiresAt: null,
};

export const ownerSession: Session = { token: 'eyJhbGciOiJIUzI1NiJ9.owner.sig', userId: MOCK_USER_ID, username: MOCK_USERNAME, expiresAt: null };

export interface LiveHarness {
  Fake: FakeWebSocketClass;
  socket: LiveSocket;
  wrapper: (props: { children: ReactNode }) => ReactNode;
  /** The newest fake socket (after a reconnect, the new one). */
  server: () => FakeWebSocket;
  /** Opens the newest socket (the client then joins its rooms). */
  open: () => Promise<FakeWebSocket>;
  /** Delivers a frame from the server on the newest socket. */
  receive: (frame: ServerFrame) => void;
  /** Frames the client sent on the newest socket, of one type. */
  sentOf: <T extends ClientFrame['type']>(type: T) => Extract<ClientFrame, { type: T }>[];
}

export function liveHarness(session: Session | null = null, routePath?: { path: string; entry: string }): LiveHarness {
  const Fake = createFakeWebSocketClass();
  const socket = new LiveSocket({
    url: 'ws://test.invalid/ws',
    token: session?.token ?? null,
    WebSocketImpl: Fake as unknown as typeof WebSocket,
    baseBackoffMs: 1,
    maxBackoffMs: 4,
  });
  const wrapper = ({ children }: { children: ReactNode }) => (
    <AuthProvider initialSession={session}>
      <LiveSocketProvider socket={socket}>
        {routePath ? (
          <MemoryRouter initialEntries={[routePath.entry]}>
            <Routes>
              <Route path={routePath.path} element={children} />
              <Route path="*" element={<p>elsewhere</p>} />
            </Routes>
          </MemoryRouter>
        ) : (
          <MemoryRouter>{children}</MemoryRouter>
        )}
      </LiveSocketProvider>
    </AuthProvider>
  );
  const server = () => Fake.latest();
  return {
    Fake,
    socket,
    wrapper,
    server,
    open: async () => {
      await waitFor(() => expect(Fake.instances.length).toBeGreaterThan(0));
      const latest = Fake.latest();
      act(() => latest.open());
      return latest;
    },
    receive: (frame) => act(() => server().receive(frame)),
    sentOf: <T extends ClientFrame['type']>(type: T) =>
      server().sent.filter((f): f is Extract<ClientFrame, { type: T }> => f.type === type),
  };
}

/** Drops the connection and waits for the client's next socket (backoff of a few ms). */
export async function dropAndReconnect(harness: LiveHarness): Promise<FakeWebSocket> {
  const before = harness.Fake.instances.length;
  act(() => harness.server().drop());
  await waitFor(() => expect(harness.Fake.instances.length).toBe(before + 1));
  const next = harness.server();
  act(() => next.open());
  return next;
}
