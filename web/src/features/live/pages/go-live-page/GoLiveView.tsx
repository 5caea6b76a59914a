// The Go Live page as shown: the live status with the actions, the stream
// details, the preview, the key and the encoder settings. No data fetching:
// everything comes in through props (see GoLivePage for the wiring).
import { useState } from 'react';
import { Link } from 'react-router';
import type { Stream, StreamHealth } from '../../../../api/types';
import { ConnectionInfo } from './ConnectionInfo';
import { HealthPanel } from './HealthPanel';
import { LiveStatusPanel } from './LiveStatusPanel';
import { PreviewPanel } from './PreviewPanel';
import { StreamConfigForm } from './StreamConfigForm';
import { StreamKeyPanel } from './StreamKeyPanel';
import { type FormIntent, toCreateStreamData } from './streamForm';
import type { CreateStreamData, Feedback, FieldErrors, LivePhase, StreamFormField } from './types';
import { useStreamForm } from './useStreamForm';
import './GoLiveView.css';

export type { CreateStreamData } from './types';

export interface GoLiveViewProps {
  streamKey: string | null;
  rtmpUrl: string;
  /** Saves the form: with `scheduledAt` for "Schedule Stream", without it for "Go Live Now". */
  onCreateStream: (data: CreateStreamData) => Promise<void>;
  onRegenerateKey: () => Promise<void>;
  isLoading: boolean;
  /** Why the page could not load; shown with a Retry button. */
  error?: string | null;
  onRetry?: () => void;
  /** The stream that goes live next (prefills the form). */
  stream?: Stream | null;
  phase?: LivePhase;
  viewerCount?: number | null;
  /** While live: the encoder's signal, shown in the health panel. */
  health?: StreamHealth | null;
  /** The stream that just ended, for its replay link. */
  replayStreamId?: string | null;
  /** The server's messages for the form's fields. */
  fieldErrors?: FieldErrors;
  /** After "Go Live Now" / "Schedule Stream": a notice or why it failed. */
  actionFeedback?: Feedback | null;
  /** After regenerating the key: a notice or why it failed. */
  keyFeedback?: Feedback | null;
  /** Uploads a thumbnail image; resolves to its URL, or null when refused. */
  onUploadThumbnail?: (file: File) => Promise<string | null>;
  /** After a stream ended: make the next one current. */
  onPrepareNext?: () => void;
  /** Shows the key from the start (stories). */
  initiallyRevealed?: boolean;
  /** A fixed "now" (stories and tests). */
  now?: Date;
}

const NO_ERRORS: FieldErrors = {};

const FIELD_IDS: Record<StreamFormField, string> = {
  title: 'stream-title',
  description: 'stream-description',
  category: 'stream-category',
  tags: 'stream-tags',
  thumbnailUrl: 'stream-thumbnail-url',
  scheduledAt: 'stream-scheduled-at',
  recordReplay: 'stream-record-replay',
};

function focusFirstInvalid(errors: FieldErrors): void {
  const first = (Object.keys(FIELD_IDS) as StreamFormField[]).find((field) => errors[field]);
  if (first) document.getElementById(FIELD_IDS[first])?.focus();
}

export function GoLiveView({
  streamKey,
  rtmpUrl,
  onCreateStream,
  onRegenerateKey,
  isLoading,
  error = null,
  onRetry,
  stream = null,
  phase = 'idle',
  viewerCount = null,
  health = null,
  replayStreamId = null,
  fieldErrors = NO_ERRORS,
  actionFeedback = null,
  keyFeedback = null,
  onUploadThumbnail,
  onPrepareNext,
  initiallyRevealed = false,
  now,
}: GoLiveViewProps) {
  const form = useStreamForm(stream, fieldErrors, now);
  const [pending, setPending] = useState<FormIntent | null>(null);
  const canSchedule = phase !== 'live';
  const recordingLock = phase === 'live' || phase === 'ended' ? phase : null;
  const busy = pending !== null;

  const submit = async (intent: FormIntent) => {
    const errors = form.check(intent);
    if (Object.keys(errors).length > 0) {
      focusFirstInvalid(errors);
      return;
    }
    setPending(intent);
    try {
      await onCreateStream(toCreateStreamData(form.values, intent));
    } finally {
      setPending(null);
    }
  };

  return (
    <main className="page go-live">
      <header className="go-live-header">
        <div>
          <h1>Go Live</h1>
          <p className="muted">Describe your stream, connect your encoder and go live.</p>
        </div>
        {stream && !isLoading && !error ? (
          <Link className="button-link" to={`/live/${stream.id}`}>
            Open stream page
          </Link>
        ) : null}
      </header>

      {isLoading ? (
        <div className="card go-live-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading your stream settings…
        </div>
      ) : error ? (
        <div className="card go-live-error" role="alert">
          <h2>We could not load your stream settings</h2>
          <p>{error}</p>
          {onRetry ? (
            <button type="button" className="primary" onClick={onRetry}>
              Retry
            </button>
          ) : null}
        </div>
      ) : (
        <>
          <section className="card control-bar" aria-label="Go live">
            <LiveStatusPanel
              phase={phase}
              viewerCount={viewerCount}
              scheduledAt={stream?.scheduled_at ?? null}
              replayStreamId={replayStreamId}
              onPrepareNext={onPrepareNext}
            />
            <div className="control-actions">
              <div className="row">
                {phase === 'live' ? (
                  <button type="button" className="primary" disabled={busy} aria-busy={pending === 'live'} onClick={() => void submit('live')}>
                    Save changes
                  </button>
                ) : (
                  <>
                    <button
                      type="button"
                      className="primary"
                      disabled={busy}
                      aria-busy={pending === 'live'}
                      onClick={() => void submit('live')}
                    >
                      Go Live Now
                    </button>
                    <button
                      type="button"
                      disabled={busy || !form.values.scheduledAt}
                      aria-busy={pending === 'schedule'}
                      onClick={() => void submit('schedule')}
                    >
                      Schedule Stream
                    </button>
                  </>
                )}
              </div>
              {busy ? (
                <p className="muted small" role="status">
                  Saving…
                </p>
              ) : phase !== 'live' && !form.values.scheduledAt ? (
                <p className="muted small">To schedule, pick a date under Preview.</p>
              ) : null}
              {actionFeedback ? (
                <p
                  className={`notice ${actionFeedback.kind === 'error' ? 'error' : 'ok-notice'}`}
                  role={actionFeedback.kind === 'error' ? 'alert' : 'status'}
                >
                  {actionFeedback.text}
                </p>
              ) : null}
            </div>
          </section>

          {phase === 'live' ? <HealthPanel health={health} /> : null}

          <div className="grid-2">
            <div>
              <StreamConfigForm
                values={form.values}
                errors={form.errors}
                disabled={busy}
                recordingLock={recordingLock}
                onChange={form.setField}
              />
              <PreviewPanel
                values={form.values}
                errors={form.errors}
                disabled={busy}
                canSchedule={canSchedule}
                onChange={form.setField}
                onUploadThumbnail={stream ? onUploadThumbnail : undefined}
                now={now}
              />
            </div>
            <div>
              <StreamKeyPanel
                streamKey={streamKey}
                onRegenerateKey={onRegenerateKey}
                feedback={keyFeedback}
                initiallyRevealed={initiallyRevealed}
              />
              <ConnectionInfo rtmpUrl={rtmpUrl} streamKey={streamKey} />
            </div>
          </div>
        </>
      )}
    </main>
  );
}

export default GoLiveView;
