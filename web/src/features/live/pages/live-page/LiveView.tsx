// `/live/:streamId`: the stream's page. The player (or the stage when
// there is nothing to play yet), what the stream is, its chat, and other
// streams live now. The page follows the stream over the socket: a
// scheduled stream that goes live starts playing without a reload, and so
// does an ended stream's replay once it is ready.
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import type { Stream } from '../../../../api/types';
import { useLiveStream } from '../../hooks/useLiveStream';
import { useRecommendedStreams } from '../../hooks/useRecommendedStreams';
import '../../live.css';
import { LiveViewChat } from './LiveViewChat';
import { LiveViewInfo } from './LiveViewInfo';
import { LiveViewPlayer } from './LiveViewPlayer';
import { LiveViewRecommended } from './LiveViewRecommended';
import { LiveViewStage } from './LiveViewStage';
import { StreamMediaSession } from './StreamMediaSession';

/** A live stream plays its live playlist; an ended one its replay, once ready. */
function hasPlayer(stream: Stream): boolean {
  if (!stream.stream_url) return false;
  if (stream.status === 'live') return true;
  return stream.status === 'ended' && stream.replay_status === 'ready';
}

function StreamLayout({ stream, viewerCount }: { stream: Stream; viewerCount: number | null }) {
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const recommended = useRecommendedStreams(stream.id);
  const playing = hasPlayer(stream);
  return (
    <>
      <div className="live-layout">
        <div className="live-main">
          {playing ? (
            <LiveViewPlayer stream={stream} viewerCount={viewerCount} onMediaElement={setVideo} />
          ) : (
            <LiveViewStage stream={stream} />
          )}
          <LiveViewInfo stream={stream} />
        </div>
        <aside className="live-side">
          <LiveViewChat streamId={stream.id} ownerId={stream.user_id} />
        </aside>
      </div>
      <LiveViewRecommended streams={recommended.others} />
      <StreamMediaSession
        stream={stream}
        video={playing ? video : null}
        previous={recommended.previous}
        next={recommended.next}
      />
    </>
  );
}

export interface LiveViewPageProps {
  streamId: string;
}

/** The page of one stream (the route reads the id from the URL). */
export function LiveViewPage({ streamId }: LiveViewPageProps) {
  const { load, viewerCount, reload } = useLiveStream(streamId);
  return (
    <main className="page live-page">
      {load.kind === 'loading' && (
        <div className="live-loading" role="status">
          <span className="spinner" aria-hidden="true" /> Loading the stream…
        </div>
      )}
      {load.kind === 'not_found' && (
        <div className="empty-state page-state">
          <h1>Stream not found</h1>
          <p className="muted">This stream does not exist, or it is not public yet.</p>
          <Link to="/live">Browse live streams</Link>
        </div>
      )}
      {load.kind === 'error' && (
        <div className="empty-state page-state" role="alert">
          <h1>The stream could not be loaded</h1>
          <p className="muted">{load.message}</p>
          <button type="button" className="primary" onClick={reload}>
            Retry
          </button>
        </div>
      )}
      {load.kind === 'ready' && <StreamLayout stream={load.stream} viewerCount={viewerCount} />}
    </main>
  );
}

export default function LiveView() {
  const { streamId = '' } = useParams();
  return <LiveViewPage key={streamId} streamId={streamId} />;
}
