// Copies a text with the Clipboard API and says, for a moment, whether it
// worked. The text is never kept or reported anywhere else.
import { useCallback, useEffect, useRef, useState } from 'react';

export type CopyState = 'idle' | 'copied' | 'failed';

/** A browser that neither grants nor refuses (a pending permission prompt) counts as a refusal after this. */
export const COPY_TIMEOUT_MS = 3000;

function writeWithTimeout(text: string): Promise<void> {
  if (!navigator.clipboard?.writeText) return Promise.reject(new Error('the Clipboard API is unavailable'));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the clipboard did not answer')), COPY_TIMEOUT_MS);
  });
  return Promise.race([navigator.clipboard.writeText(text), timeout]).finally(() => clearTimeout(timer));
}

export function useCopyToClipboard(resetAfterMs = 2500): { state: CopyState; copy: (text: string) => Promise<void> } {
  const [state, setState] = useState<CopyState>('idle');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  const copy = useCallback(
    async (text: string) => {
      if (timer.current) clearTimeout(timer.current);
      let next: CopyState = 'copied';
      try {
        await writeWithTimeout(text);
      } catch {
        next = 'failed';
      }
      setState(next);
      timer.current = setTimeout(() => setState('idle'), next === 'failed' ? resetAfterMs * 3 : resetAfterMs);
    },
    [resetAfterMs],
  );

  return { state, copy };
}
