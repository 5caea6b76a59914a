// The stage when there is nothing to play: a scheduled stream counting
// down, a stream not started yet, a replay being prepared, or an ended
// stream without one.
import type { Stream } from '../../../../api/types';
import { Countdown } from '../../components/Countdown';
import { StatusBadge } from '../../components/StatusBadge';
import { StreamThumbnail } from '../../components/StreamThumbnail';
import { formatDateTime } from '../../utils/time';

function StageMessage({ stream }: { stream: Stream }) {
  if (stream.status === 'scheduled' && stream.scheduled_at) {
    return (
      <>
        <p className="stage-kicker">Starts in</p>
        <Countdown to={stream.scheduled_at} className="stage-countdown" passedText="Starting soon…" />
        <p className="stage-note">{formatDateTime(stream.scheduled_at)}</p>
      </>
    );
  }
  if (stream.status === 'ended') {
    if (stream.replay_status === 'processing') {
      return (
        <>
          <span className="spinner" aria-hidden="true" />
          <p className="stage-title">Replay is being prepared…</p>
          <p className="stage-note">It plays here as soon as it is ready. The chat stays readable.</p>
        </>
      );
    }
    return (
      <>
        <p className="stage-title">No replay for this stream</p>
        <p className="stage-note">This stream has ended. Its chat stays readable.</p>
      </>
    );
  }
  if (stream.status === 'live') {
    return (
      <>
        <span className="spinner" aria-hidden="true" />
        <p className="stage-title">The stream is starting…</p>
      </>
    );
  }
  return (
    <>
      <p className="stage-title">This stream has not started yet</p>
      <p className="stage-note">The page turns live as soon as the encoder connects.</p>
    </>
  );
}

export function LiveViewStage({ stream }: { stream: Stream }) {
  return (
    <div className="player">
      <StreamThumbnail streamId={stream.id} title={stream.title} src={stream.thumbnail_url} className="player-stage stage-placeholder">
        <div className="stage-content" role="status">
          <StageMessage stream={stream} />
        </div>
      </StreamThumbnail>
      <div className="player-bar">
        <StatusBadge status={stream.status} testId="stream-status" />
      </div>
    </div>
  );
}
