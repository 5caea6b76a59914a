// The pages, each loaded on first visit.
import { createLazyComponent } from './createLazyComponent';

export const LazyGoLive = createLazyComponent(() => import('../../../features/live/pages/GoLivePage'));
export const LazyLiveView = createLazyComponent(() => import('../../../features/live/pages/live-page/LiveView'));
export const LazyLiveListing = createLazyComponent(() => import('../../../features/live/pages/LiveListingPage'));
export const LazySignIn = createLazyComponent(() => import('../../../auth/SignInPage'));
