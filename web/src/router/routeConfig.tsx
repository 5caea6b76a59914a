// The client routes. `/live/go-live` needs a signed-in user.
import { type RouteObject, Navigate } from 'react-router';
import { RequireAuth } from '../auth/RequireAuth';
import { Layout } from '../components/layout/Layout';
import { LazyGoLive, LazyLiveListing, LazyLiveView, LazySignIn } from '../components/ui/lazy-component/lazyExports';

export const routeConfig: RouteObject[] = [
  {
    element: <Layout />,
    children: [
      { path: '/', element: <Navigate to="/live" replace /> },
      { path: '/live', element: <LazyLiveListing /> },
      {
        path: '/live/go-live',
        element: (
          <RequireAuth>
            <LazyGoLive />
          </RequireAuth>
        ),
      },
      { path: '/live/:streamId', element: <LazyLiveView /> },
      { path: '/signin', element: <LazySignIn /> },
      {
        path: '*',
        element: (
          <main className="page">
            <h1>Page not found</h1>
          </main>
        ),
      },
    ],
  },
];
