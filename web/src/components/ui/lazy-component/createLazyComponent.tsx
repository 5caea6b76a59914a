// A route component loaded on first use, with a loading placeholder.
import { type ComponentType, Suspense, lazy } from 'react';

export function createLazyComponent<P extends object>(
  load: () => Promise<{ default: ComponentType<P> }>,
  fallback: string = 'Loading…',
): ComponentType<P> {
  const Lazy = lazy(load);
  function LazyComponent(props: P) {
    return (
      <Suspense
        fallback={
          <p className="page muted" role="status">
            {fallback}
          </p>
        }
      >
        <Lazy {...props} />
      </Suspense>
    );
  }
  return LazyComponent;
}
