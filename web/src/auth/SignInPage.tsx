// Sign-in: a username (development logins) or a Veza token.
import { type FormEvent, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { ApiRequestError } from '../services/apiClient';
import { useAuth } from './AuthContext';

function safeNext(next: string | null): string {
  // Only same-site paths: never an absolute URL from the query string.
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function SignInPage() {
  const { signInWithUsername, signInWithToken } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [username, setUsername] = useState('');
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const next = safeNext(params.get('next'));

  async function onUsername(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signInWithUsername(username.trim());
      navigate(next, { replace: true });
    } catch (e) {
      if (e instanceof ApiRequestError && e.status === 404) {
        setError('Username sign-in is off on this server: paste a Veza token below.');
      } else {
        setError(e instanceof ApiRequestError ? (e.fieldMessage('username') ?? e.message) : 'Sign-in failed.');
      }
    } finally {
      setBusy(false);
    }
  }

  function onToken(event: FormEvent) {
    event.preventDefault();
    setError(null);
    try {
      signInWithToken(token);
      navigate(next, { replace: true });
    } catch {
      setError('That is not a valid Veza token.');
    }
  }

  return (
    <main className="page narrow">
      <h1>Sign in</h1>
      <form onSubmit={onUsername} className="card stack" aria-label="Sign in with a username">
        <label htmlFor="signin-username">Username</label>
        <input
          id="signin-username"
          name="username"
          autoComplete="username"
          value={username}
          onChange={(e) => setUsername(e.target.value)}
          required
          maxLength={32}
          pattern="[A-Za-z0-9_.\-]+"
        />
        <button type="submit" className="primary" disabled={busy || !username.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <details className="card">
        <summary>Use a Veza token instead</summary>
        <form onSubmit={onToken} className="stack" aria-label="Sign in with a token">
          <label htmlFor="signin-token">Token</label>
          <textarea id="signin-token" value={token} onChange={(e) => setToken(e.target.value)} rows={3} />
          <button type="submit" disabled={!token.trim()}>
            Use token
          </button>
        </form>
      </details>
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
    </main>
  );
}
