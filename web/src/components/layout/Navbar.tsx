// The top bar: home, the live listings, "Go Live" and the session.
import { NavLink, useNavigate } from 'react-router';
import { useAuth } from '../../auth/AuthContext';

export function Navbar() {
  const { session, signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <header className="navbar">
      <NavLink to="/" className="brand" end>
        <span className="brand-dot" aria-hidden="true" /> Veza Live
      </NavLink>
      <nav aria-label="Main">
        <NavLink to="/live" end>
          Browse
        </NavLink>
      </nav>
      <div className="navbar-actions">
        <button type="button" className="primary go-live" onClick={() => navigate('/live/go-live')}>
          Go Live
        </button>
        {session ? (
          <>
            <span className="muted" data-testid="navbar-user">
              {session.username}
            </span>
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </>
        ) : (
          <NavLink to="/signin">Sign in</NavLink>
        )}
      </div>
    </header>
  );
}
