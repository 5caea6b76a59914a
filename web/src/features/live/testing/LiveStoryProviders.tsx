// What a live page needs around it in a story: a session (or none) and a
// chat socket on a scripted server.
import { type ReactNode, useState } from 'react';
import { AuthProvider, type Session } from '../../../auth/AuthContext';
import { type ScriptedSocketOptions, createScriptedLiveSocket } from '../../../mocks/fakeLiveSocket';
import { LiveSocketProvider } from '../../../services/LiveSocketContext';

export interface LiveStoryProvidersProps {
  session?: Session | null;
  socket?: ScriptedSocketOptions;
  children: ReactNode;
}

export function LiveStoryProviders({ session = null, socket: options, children }: LiveStoryProvidersProps) {
  const [socket] = useState(() =>
    createScriptedLiveSocket({ ...options, user: session ? { id: session.userId, username: session.username } : options?.user }),
  );
  return (
    <AuthProvider initialSession={session}>
      <LiveSocketProvider socket={socket}>{children}</LiveSocketProvider>
    </AuthProvider>
  );
}
