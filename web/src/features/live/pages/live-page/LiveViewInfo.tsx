// What the stream is: its title, streamer, category, tags, description,
// and when it started, is scheduled or was streamed.
import type { Stream } from '../../../../api/types';
import { useNow } from '../../hooks/useNow';
import { formatDate, formatDateTime, formatDuration, formatRelative, streamDuration } from '../../utils/time';

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
  if (stream.status === 'ended' && stream.started_at) {
    const duration = streamDuration(stream.started_at, stream.ended_at);
    return (
      <span>
        Streamed <time dateTime={stream.started_at}>{formatDate(stream.started_at)}</time>
        {duration !== null && <> · {formatDuration(duration)}</>}
      </span>
    );
  }
  return null;
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
      {stream.description && <p className="description">{stream.description}</p>}
    </section>
  );
}
