// The Go Live form's values, prefilled from the current stream and reset
// when another stream becomes current; the client's checks once the
// streamer tried to submit, and the server's messages until the field is
// edited again.
import { useState } from 'react';
import type { Stream } from '../../../../api/types';
import { type FormIntent, formValuesFromStream, validateStreamForm } from './streamForm';
import type { FieldErrors, SetStreamField, StreamFormField, StreamFormValues } from './types';

export interface StreamForm {
  values: StreamFormValues;
  errors: FieldErrors;
  setField: SetStreamField;
  /** Checks the form for an action; returns the errors (empty when it can be sent). */
  check: (intent: FormIntent) => FieldErrors;
}

export function useStreamForm(stream: Stream | null, serverErrors: FieldErrors, now?: Date): StreamForm {
  const streamId = stream?.id ?? null;
  const [formFor, setFormFor] = useState(streamId);
  const [values, setValues] = useState(() => formValuesFromStream(stream));
  const [attempt, setAttempt] = useState<FormIntent | null>(null);
  const [errorsFrom, setErrorsFrom] = useState(serverErrors);
  const [edited, setEdited] = useState<ReadonlySet<StreamFormField>>(new Set());

  if (streamId !== formFor) {
    setFormFor(streamId);
    setValues(formValuesFromStream(stream));
    setAttempt(null);
  }
  if (serverErrors !== errorsFrom) {
    setErrorsFrom(serverErrors);
    setEdited(new Set());
  }

  const client = attempt ? validateStreamForm(values, attempt, now) : {};
  const errors: FieldErrors = serverErrors.thumbnailFile ? { thumbnailFile: serverErrors.thumbnailFile } : {};
  for (const field of Object.keys(values) as StreamFormField[]) {
    const message = client[field] ?? (edited.has(field) ? undefined : serverErrors[field]);
    if (message) errors[field] = message;
  }

  return {
    values,
    errors,
    setField: (field, value) => {
      setValues((current) => ({ ...current, [field]: value }));
      setEdited((current) => new Set(current).add(field));
    },
    check: (intent) => {
      setAttempt(intent);
      return validateStreamForm(values, intent, now);
    },
  };
}
