// Stream configuration: title, description, category and tags, each with
// the client's and the server's messages next to it, and whether the
// broadcast is recorded as a replay (a choice made before going live).
import { CharCount, FormField } from './FormField';
import { LIMITS, charCount, parseTags } from './streamForm';
import type { FieldErrors, SetStreamField, StreamFormValues } from './types';

/** Why the recording choice cannot change: the stream is live, or has ended. */
export type RecordingLock = 'live' | 'ended' | null;

interface StreamConfigFormProps {
  values: StreamFormValues;
  errors: FieldErrors;
  disabled?: boolean;
  /** Set once the stream went live: recording is decided when it starts. */
  recordingLock?: RecordingLock;
  onChange: SetStreamField;
}

const RECORDING_HINTS: Record<'open' | 'live' | 'ended', string> = {
  open: 'Viewers can watch the stream from the start once it has ended.',
  live: 'Decided when the stream went live: it cannot change during the broadcast.',
  ended: 'This stream has ended. Set up your next stream to choose again.',
};

function RecordReplayField({
  checked,
  error,
  disabled,
  lock,
  onChange,
}: {
  checked: boolean;
  error: string | undefined;
  disabled: boolean;
  lock: RecordingLock;
  onChange: (checked: boolean) => void;
}) {
  const id = 'stream-record-replay';
  const hintId = `${id}-hint`;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className={`field checkbox-field${error ? ' has-error' : ''}`}>
      <label className="checkbox" htmlFor={id}>
        <input
          id={id}
          type="checkbox"
          checked={checked}
          disabled={disabled || lock !== null}
          aria-invalid={Boolean(error)}
          aria-describedby={[errorId, hintId].filter(Boolean).join(' ')}
          onChange={(e) => onChange(e.target.checked)}
        />
        Record a replay
      </label>
      {error ? (
        <p id={errorId} className="field-error">
          {error}
        </p>
      ) : null}
      <p id={hintId} className="field-hint muted">
        {RECORDING_HINTS[lock ?? 'open']}
      </p>
    </div>
  );
}

export function StreamConfigForm({ values, errors, disabled = false, recordingLock = null, onChange }: StreamConfigFormProps) {
  const tags = parseTags(values.tags);
  return (
    <section className="card stack" aria-labelledby="config-heading">
      <h2 id="config-heading">Stream details</h2>
      <FormField
        id="stream-title"
        label="Title"
        error={errors.title}
        aside={<CharCount count={charCount(values.title.trim())} max={LIMITS.title} />}
      >
        {(a11y) => (
          <input
            {...a11y}
            type="text"
            required
            disabled={disabled}
            autoComplete="off"
            placeholder="What are you streaming today?"
            value={values.title}
            onChange={(e) => onChange('title', e.target.value)}
          />
        )}
      </FormField>
      <FormField
        id="stream-description"
        label="Description"
        error={errors.description}
        aside={<CharCount count={charCount(values.description.trim())} max={LIMITS.description} />}
      >
        {(a11y) => (
          <textarea
            {...a11y}
            rows={4}
            disabled={disabled}
            placeholder="Tell viewers what to expect."
            value={values.description}
            onChange={(e) => onChange('description', e.target.value)}
          />
        )}
      </FormField>
      <div className="field-row">
        <FormField id="stream-category" label="Category" error={errors.category}>
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              disabled={disabled}
              autoComplete="off"
              placeholder="e.g. house"
              value={values.category}
              onChange={(e) => onChange('category', e.target.value)}
            />
          )}
        </FormField>
        <FormField
          id="stream-tags"
          label="Tags"
          error={errors.tags}
          hint={`Comma-separated, up to ${LIMITS.tags} tags of ${LIMITS.tag} characters.`}
        >
          {(a11y) => (
            <input
              {...a11y}
              type="text"
              disabled={disabled}
              autoComplete="off"
              placeholder="deep, vinyl"
              value={values.tags}
              onChange={(e) => onChange('tags', e.target.value)}
            />
          )}
        </FormField>
      </div>
      {tags.length > 0 ? (
        <ul className="tag-list" aria-label="Tags preview">
          {tags.map((tag) => (
            <li key={tag} className={charCount(tag) > LIMITS.tag ? 'tag too-long' : 'tag'}>
              {tag}
            </li>
          ))}
        </ul>
      ) : null}
      <RecordReplayField
        checked={values.recordReplay}
        error={errors.recordReplay}
        disabled={disabled}
        lock={recordingLock}
        onChange={(checked) => onChange('recordReplay', checked)}
      />
    </section>
  );
}
