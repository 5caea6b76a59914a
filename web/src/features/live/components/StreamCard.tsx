// A stream in a listing: a link to its page with its picture, status,
// title, streamer and category, plus what matters for its state: viewers
// while live, a countdown when scheduled, date and length for a replay.
import { Link } from 'react-router';
import type { Stream } from '../../../api/types';
import { streamPath } from '../utils/paths';
import { formatDate, formatDateTime, formatDuration, formatViewers, streamLength } from '../utils/time';
import { Countdown } from './Countdown';
import { StatusBadge } from './StatusBadge';
import { StreamThumbnail } from './StreamThumbnail';
import '../live.css';

function Corner({ stream }: { stream: Stream }) {
  if (stream.status === 'live') {
    return <span className="thumb-meta">{formatViewers(stream.viewer_count)}</span>;
  }
  if (stream.status === 'scheduled' && stream.scheduled_at) {
    return (
      <span className="thumb-meta">
        <span className="sr-only">Starts in </span>
        <Countdown to={stream.scheduled_at} />
      </span>
    );
  }
  const duration = stream.status === 'ended' ? streamLength(stream) : null;
  if (duration !== null) {
    return (
      <span className="thumb-meta" data-testid="stream-duration">
        <span className="sr-only">Length </span>
        {formatDuration(duration)}
      </span>
    );
  }
  return null;
}

function When({ stream }: { stream: Stream }) {
  if (stream.status === 'scheduled' && stream.scheduled_at) {
    return <time dateTime={stream.scheduled_at}>{formatDateTime(stream.scheduled_at)}</time>;
  }
  const at = stream.started_at ?? stream.ended_at;
  if (stream.status === 'ended' && at) {
    return (
      <time dateTime={at} data-testid="stream-date">
        {formatDate(at)}
      </time>
    );
  }
  return null;
}

export interface StreamCardProps {
  stream: Stream;
}

export function StreamCard({ stream }: StreamCardProps) {
  return (
    <Link to={streamPath(stream.id)} className="stream-card">
      <StreamThumbnail streamId={stream.id} title={stream.title} src={stream.thumbnail_url}>
        <StatusBadge status={stream.status} />
        <Corner stream={stream} />
      </StreamThumbnail>
      <div className="body">
        <h3>{stream.title}</h3>
        <p className="card-line">
          <span className="streamer">{stream.streamer_name}</span>
          {stream.category && <span className="card-category">{stream.category}</span>}
        </p>
        {(stream.status === 'scheduled' || stream.status === 'ended') && (
          <p className="card-line muted">
            <When stream={stream} />
          </p>
        )}
      </div>
    </Link>
  );
}
