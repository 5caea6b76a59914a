// What the stream is: its title, streamer, category, tags, description,
// and when it started or is scheduled; for an ended stream, when it was
// streamed, for how long and to how many viewers at most.
import type { Stream } from '../../../../api/types';
import { useNow } from '../../hooks/useNow';
import { formatDateTime, formatDuration, formatFullDateTime, formatRelative, streamLength } from '../../utils/time';

function When({ stream }: { stream: Stream }) {
  const now = useNow(30_000);
  if (stream.status === 'live' && stream.started_at) {
    return (
      <span>
        Started <time dateTime={stream.started_at} title={formatDateTime(stream.started_at)}>{formatRelative(stream.started_at, now)}</time>
      </span>
    );
  }
  if (stream.status === 'scheduled' && stream.scheduled_at) {
    return (
      <span>
        Scheduled for <time dateTime={stream.scheduled_at}>{formatDateTime(stream.scheduled_at)}</time>
      </span>
    );
  }
  return null;
}

function BroadcastFacts({ stream }: { stream: Stream }) {
  const length = streamLength(stream);
  return (
    <dl className="broadcast-facts">
      {stream.started_at && (
        <div>
          <dt>Started</dt>
          <dd>
            <time dateTime={stream.started_at}>{formatFullDateTime(stream.started_at)}</time>
          </dd>
        </div>
      )}
      {stream.ended_at && (
        <div>
          <dt>Ended</dt>
          <dd>
            <time dateTime={stream.ended_at}>{formatFullDateTime(stream.ended_at)}</time>
          </dd>
        </div>
      )}
      {length !== null && (
        <div>
          <dt>Duration</dt>
          <dd data-testid="replay-duration">{formatDuration(length)}</dd>
        </div>
      )}
      <div>
        <dt>Peak viewers</dt>
        <dd data-testid="peak-viewers">{stream.peak_viewers.toLocaleString()}</dd>
      </div>
    </dl>
  );
}

export function LiveViewInfo({ stream }: { stream: Stream }) {
  const initial = [...stream.streamer_name][0]?.toUpperCase() ?? '?';
  return (
    <section className="live-info" aria-label="About this stream">
      <h1>{stream.title}</h1>
      <div className="live-meta">
        <span className="streamer">
          <span className="avatar" aria-hidden="true">
            {initial}
          </span>
          <span className="streamer-name">{stream.streamer_name}</span>
        </span>
        {stream.category && <span className="category">{stream.category}</span>}
        <span className="muted">
          <When stream={stream} />
        </span>
      </div>
      {stream.tags.length > 0 && (
        <ul className="tags" aria-label="Tags">
          {stream.tags.map((tag) => (
            <li key={tag}>#{tag}</li>
          ))}
        </ul>
      )}
      {stream.status === 'ended' && <BroadcastFacts stream={stream} />}
      {stream.description && <p className="description">{stream.description}</p>}
    </section>
  );
}
