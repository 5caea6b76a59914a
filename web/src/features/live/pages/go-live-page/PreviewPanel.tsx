// Preview: the thumbnail (an uploaded image or a URL) and the start time,
// picked in the viewer's time zone (sent as UTC).
import { type ChangeEvent, useState } from 'react';
import { FormField } from './FormField';
import {
  LIMITS,
  THUMBNAIL_TYPES,
  checkThumbnailFile,
  formatStartTime,
  isHttpUrl,
  localInputToUtcIso,
  toLocalInputValue,
  viewerTimeZone,
} from './streamForm';
import type { FieldErrors, SetStreamField, StreamFormValues } from './types';

interface PreviewPanelProps {
  values: StreamFormValues;
  errors: FieldErrors;
  disabled?: boolean;
  /** Whether the start time can still change (not once the stream went live). */
  canSchedule: boolean;
  onChange: SetStreamField;
  /** Uploads the image; resolves to the new thumbnail URL, or null when refused. Absent: no stream yet. */
  onUploadThumbnail?: ((file: File) => Promise<string | null>) | undefined;
  /** A fixed "now" (stories and tests); the current time otherwise. */
  now?: Date | undefined;
}

export function PreviewPanel({
  values,
  errors,
  disabled = false,
  canSchedule,
  onChange,
  onUploadThumbnail,
  now,
}: PreviewPanelProps) {
  const [uploading, setUploading] = useState(false);
  const [fileError, setFileError] = useState<string | null>(null);
  const thumbnail = values.thumbnailUrl.trim();
  const showImage = isHttpUrl(thumbnail);
  const reference = now ?? new Date();
  const min = toLocalInputValue(reference);
  const max = toLocalInputValue(new Date(reference.getTime() + LIMITS.scheduleHorizonDays * 86_400_000));
  const scheduledIso = localInputToUtcIso(values.scheduledAt);

  const onFile = async (event: ChangeEvent<HTMLInputElement>) => {
    const input = event.currentTarget;
    const file = input.files?.[0];
    if (!file || !onUploadThumbnail) return;
    const problem = checkThumbnailFile(file);
    if (problem) {
      setFileError(problem);
      input.value = '';
      return;
    }
    setFileError(null);
    setUploading(true);
    try {
      const url = await onUploadThumbnail(file);
      if (url) onChange('thumbnailUrl', url);
    } finally {
      setUploading(false);
      input.value = '';
    }
  };

  return (
    <section className="card stack" aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview</h2>
      <div className="preview-layout">
        <div className="thumb-preview" aria-busy={uploading}>
          {showImage ? (
            <img src={thumbnail} alt="Stream thumbnail" />
          ) : (
            <span className="muted">No thumbnail yet</span>
          )}
          {uploading ? <span className="thumb-uploading">Uploading…</span> : null}
        </div>
        <div className="stack">
          <FormField
            id="stream-thumbnail-file"
            label="Thumbnail image"
            error={fileError ?? errors.thumbnailFile}
            hint={
              onUploadThumbnail
                ? 'PNG, JPEG or WebP, at most 2 MiB; shown at 1280×720 at most.'
                : 'Available once your stream is set up.'
            }
          >
            {(a11y) => (
              <input
                {...a11y}
                type="file"
                accept={THUMBNAIL_TYPES.join(',')}
                disabled={disabled || uploading || !onUploadThumbnail}
                onChange={(e) => void onFile(e)}
              />
            )}
          </FormField>
          <FormField id="stream-thumbnail-url" label="Thumbnail URL" error={errors.thumbnailUrl} hint="Or link an image on the web.">
            {(a11y) => (
              <input
                {...a11y}
                type="url"
                inputMode="url"
                disabled={disabled}
                placeholder="https://…"
                value={values.thumbnailUrl}
                onChange={(e) => onChange('thumbnailUrl', e.target.value)}
              />
            )}
          </FormField>
        </div>
      </div>
      <FormField
        id="stream-scheduled-at"
        label="Scheduled for"
        error={errors.scheduledAt}
        hint={
          canSchedule
            ? `In your time zone (${viewerTimeZone()}). Leave empty to go live now.`
            : 'The start time cannot change once the stream went live.'
        }
      >
        {(a11y) => (
          <div className="row">
            <input
              {...a11y}
              type="datetime-local"
              min={min}
              max={max}
              disabled={disabled || !canSchedule}
              value={values.scheduledAt}
              onChange={(e) => onChange('scheduledAt', e.target.value)}
            />
            {values.scheduledAt && canSchedule ? (
              <button type="button" onClick={() => onChange('scheduledAt', '')}>
                Clear date
              </button>
            ) : null}
          </div>
        )}
      </FormField>
      {scheduledIso && !errors.scheduledAt ? (
        <p className="muted small" data-testid="schedule-preview">
          Viewers see a countdown to {formatStartTime(scheduledIso)}.
        </p>
      ) : null}
    </section>
  );
}
