// The stream key: masked by default (a fixed mask, never the real
// characters), revealed on demand, copied to the clipboard, and regenerated
// only after a confirmation that says what it breaks.
import { useState } from 'react';
import { ConfirmDialog } from './ConfirmDialog';
import { CopyButton } from './CopyButton';
import type { Feedback } from './types';

/** Shown in place of the key: the same for every key, whatever its length. */
export const KEY_MASK = '••••••••-••••-••••-••••-••••••••••••';

interface StreamKeyPanelProps {
  streamKey: string | null;
  onRegenerateKey: () => Promise<void>;
  /** A notice after regenerating, or why it failed. */
  feedback?: Feedback | null;
  /** Shows the key from the start (stories). */
  initiallyRevealed?: boolean;
}

export function StreamKeyPanel({ streamKey, onRegenerateKey, feedback = null, initiallyRevealed = false }: StreamKeyPanelProps) {
  const [revealed, setRevealed] = useState(initiallyRevealed);
  const [confirming, setConfirming] = useState(false);
  const [regenerating, setRegenerating] = useState(false);

  const regenerate = async () => {
    setRegenerating(true);
    try {
      await onRegenerateKey();
    } finally {
      setRegenerating(false);
      setConfirming(false);
      setRevealed(false);
    }
  };

  const shown = revealed && streamKey !== null;
  return (
    <section className="card stack" aria-labelledby="stream-key-heading">
      <h2 id="stream-key-heading">Stream key</h2>
      <p className="muted small">
        Your encoder signs in with this key. Anyone who has it can stream on your channel: keep it private.
      </p>
      <div className="key-box">
        <code className="mono key-value" data-testid="stream-key" aria-describedby="stream-key-state">
          {streamKey === null ? 'No key yet' : shown ? streamKey : KEY_MASK}
        </code>
        <span id="stream-key-state" className="sr-only">
          {shown ? 'Stream key shown' : 'Stream key hidden'}
        </span>
      </div>
      <div className="row">
        <button
          type="button"
          disabled={streamKey === null}
          onClick={() => setRevealed((value) => !value)}
        >
          {shown ? 'Hide key' : 'Reveal key'}
        </button>
        <CopyButton value={streamKey} label="Copy key" fallbackHint="Reveal the key and copy it by hand." />
        <button type="button" className="danger push-right" onClick={() => setConfirming(true)}>
          Regenerate key
        </button>
      </div>
      {feedback ? (
        <p className={`notice ${feedback.kind === 'error' ? 'error' : 'ok-notice'}`} role={feedback.kind === 'error' ? 'alert' : 'status'}>
          {feedback.text}
        </p>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title="Regenerate your stream key?"
          confirmLabel="Regenerate"
          busyLabel="Regenerating…"
          busy={regenerating}
          onConfirm={() => void regenerate()}
          onCancel={() => setConfirming(false)}
        >
          <p>The current key stops working at once.</p>
          <p>
            If you are live, your encoder is disconnected now and cannot reconnect until you give it the new key.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
