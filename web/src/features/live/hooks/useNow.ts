// The current time, refreshed every `intervalMs` while mounted: drives
// countdowns and "started 5 minutes ago" labels.
import { useEffect, useState } from 'react';

/** `Date.now()`, re-read every `intervalMs` (and not at all when `intervalMs` is null). */
export function useNow(intervalMs: number | null = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (intervalMs === null) return undefined;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}
