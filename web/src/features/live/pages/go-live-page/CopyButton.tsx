// A button that copies a value, with a visible "Copied" confirmation and a
// clear message when the browser refuses clipboard access.
import { useCopyToClipboard } from './useCopyToClipboard';

interface CopyButtonProps {
  /** The text to copy; null disables the button. */
  value: string | null;
  label: string;
  /** A shorter visible text, when `label` (the accessible name) is too long for the layout. */
  visibleLabel?: string;
  /** What to do by hand when the clipboard is refused. */
  fallbackHint: string;
}

export function CopyButton({ value, label, visibleLabel, fallbackHint }: CopyButtonProps) {
  const { state, copy } = useCopyToClipboard();
  return (
    <span className="copy-button">
      <button
        type="button"
        disabled={value === null}
        aria-label={visibleLabel ? label : undefined}
        onClick={() => value !== null && void copy(value)}
      >
        {visibleLabel ?? label}
      </button>
      <span className="copy-feedback ok" role="status" aria-live="polite">
        {state === 'copied' ? 'Copied' : ''}
      </span>
      {state === 'failed' ? (
        <span className="copy-feedback field-error" role="alert">
          Your browser refused clipboard access. {fallbackHint}
        </span>
      ) : null}
    </span>
  );
}
