import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider, createBrowserRouter } from 'react-router';
import { AuthProvider } from './auth/AuthContext';
import { routeConfig } from './router/routeConfig';
import { LiveSocketProvider } from './services/LiveSocketContext';
import './styles.css';

const router = createBrowserRouter(routeConfig);
const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

createRoot(root).render(
  <StrictMode>
    <AuthProvider>
      <LiveSocketProvider>
        <RouterProvider router={router} />
      </LiveSocketProvider>
    </AuthProvider>
  </StrictMode>,
);
