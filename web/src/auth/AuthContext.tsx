// Who is signed in. With the gateway's development logins
// (`LIVE_DEV_AUTH=true`) a username gets a token from
// `POST /api/v1/auth/dev-token`; otherwise a Veza JWT can be used as is.
// The session (token, user id, name, expiry) is kept in local storage so a
// reload stays signed in; it never holds a stream key.
import { type ReactNode, createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { DevToken } from '../api/types';
import { request, setAuthToken } from '../services/apiClient';

export interface Session {
  token: string;
  userId: string;
  username: string;
  expiresAt: string | null;
}

interface AuthValue {
  session: Session | null;
  signInWithUsername: (username: string) => Promise<void>;
  signInWithToken: (token: string) => void;
  signOut: () => void;
}

const STORAGE_KEY = 'veza-live.session';

const AuthContext = createContext<AuthValue | null>(null);

function decodeClaims(token: string): { user_id?: string; sub?: string; username?: string; exp?: number } {
  const part = token.split('.')[1];
  if (!part) throw new Error('not a JWT');
  const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(json) as { user_id?: string; sub?: string; username?: string; exp?: number };
}

/** A session from a raw JWT; fails when the token is not a JWT with a user id. */
export function sessionFromToken(token: string): Session {
  const claims = decodeClaims(token);
  const userId = claims.user_id ?? claims.sub;
  if (!userId) throw new Error('the token names no user');
  return {
    token,
    userId,
    username: claims.username ?? userId.slice(0, 8),
    expiresAt: claims.exp ? new Date(claims.exp * 1000).toISOString() : null,
  };
}

function loadSession(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    if (session.expiresAt && Date.parse(session.expiresAt) <= Date.now()) return null;
    return session;
  } catch {
    return null;
  }
}

export function AuthProvider({ children, initialSession }: { children: ReactNode; initialSession?: Session | null }) {
  const [session, setSession] = useState<Session | null>(() => {
    const initial = initialSession !== undefined ? initialSession : loadSession();
    setAuthToken(initial?.token ?? null);
    return initial;
  });

  useEffect(() => {
    setAuthToken(session?.token ?? null);
    if (initialSession !== undefined) return;
    if (session) localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    else localStorage.removeItem(STORAGE_KEY);
  }, [session, initialSession]);

  const signInWithUsername = useCallback(async (username: string) => {
    const minted = await request<DevToken>('/auth/dev-token', { method: 'POST', body: { username } });
    setSession({ token: minted.token, userId: minted.user_id, username: minted.username, expiresAt: minted.expires_at });
  }, []);

  const signInWithToken = useCallback((token: string) => setSession(sessionFromToken(token.trim())), []);
  const signOut = useCallback(() => setSession(null), []);

  const value = useMemo(
    () => ({ session, signInWithUsername, signInWithToken, signOut }),
    [session, signInWithUsername, signInWithToken, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
