// A labelled field with its hint and error, wired for assistive technology
// (aria-invalid, aria-describedby).
import type { ReactNode } from 'react';

export interface FieldA11yProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

interface FormFieldProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** Shown at the end of the label row, e.g. a character count. */
  aside?: ReactNode;
  children: (props: FieldA11yProps) => ReactNode;
}

export function FormField({ id, label, error, hint, aside, children }: FormFieldProps) {
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [errorId, hintId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <div className="field-label">
        <label htmlFor={id}>{label}</label>
        {aside}
      </div>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="field-hint muted">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** "12 / 140", turning red past the limit. */
export function CharCount({ count, max }: { count: number; max: number }) {
  return (
    <span className={`char-count${count > max ? ' error' : ' muted'}`} aria-hidden="true">
      {count} / {max}
    </span>
  );
}
