// Where the stream is, announced as it changes: offline, scheduled,
// waiting for the encoder, live (with the viewer count), ended (with the
// replay).
import { Link } from 'react-router';
import { formatStartTime } from './streamForm';
import type { LivePhase } from './types';

interface LiveStatusPanelProps {
  phase: LivePhase;
  viewerCount: number | null;
  scheduledAt: string | null;
  /** The stream that ended, for its replay. */
  replayStreamId: string | null;
  onPrepareNext?: (() => void) | undefined;
}

function Headline({ phase, scheduledAt }: { phase: LivePhase; scheduledAt: string | null }) {
  switch (phase) {
    case 'live':
      return (
        <>
          <span className="badge live">Live</span> You are live
        </>
      );
    case 'waiting':
      return (
        <>
          <span className="pulse" aria-hidden="true" /> Waiting for your encoder…
        </>
      );
    case 'ended':
      return (
        <>
          <span className="badge ended">Ended</span> Stream ended
        </>
      );
    case 'scheduled':
      return (
        <>
          <span className="badge scheduled">Scheduled</span> Scheduled for{' '}
          {scheduledAt ? formatStartTime(scheduledAt) : 'later'}
        </>
      );
    default:
      return <>You are offline</>;
  }
}

function Detail({ phase, viewerCount }: { phase: LivePhase; viewerCount: number | null }) {
  switch (phase) {
    case 'live': {
      const count = viewerCount ?? 0;
      return (
        <p className="viewer-line">
          <span className="viewer-number" data-testid="live-viewer-count">
            {count}
          </span>{' '}
          {count === 1 ? 'viewer' : 'viewers'} watching now
        </p>
      );
    }
    case 'waiting':
      return (
        <p className="muted">
          Start streaming from OBS or Streamlabs with the server and key on this page. It turns live on its own the
          moment your video arrives.
        </p>
      );
    case 'ended':
      return <p className="muted">Your encoder stopped. The recording is listed among the replays.</p>;
    case 'scheduled':
      return (
        <p className="muted">
          Viewers see a countdown. Start your encoder at that time, or earlier to go live early.
        </p>
      );
    default:
      return <p className="muted">Fill in your stream details, press Go Live Now and start your encoder.</p>;
  }
}

export function LiveStatusPanel({ phase, viewerCount, scheduledAt, replayStreamId, onPrepareNext }: LiveStatusPanelProps) {
  return (
    <div className={`live-status phase-${phase}`} data-testid="live-status" role="status" aria-live="polite">
      <p className="live-status-headline">
        <Headline phase={phase} scheduledAt={scheduledAt} />
      </p>
      <Detail phase={phase} viewerCount={viewerCount} />
      {phase === 'ended' ? (
        <div className="row">
          {replayStreamId ? <Link to={`/live/${replayStreamId}`}>Watch the replay</Link> : null}
          {onPrepareNext ? (
            <button type="button" onClick={onPrepareNext}>
              Set up your next stream
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
