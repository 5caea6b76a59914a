// The stream's player: hls.js on `stream_url` (re-attached when it
// changes): the live playlist at its live edge, or an ended stream's replay
// from its start, seekable and at the saved speed. The status badge and the
// real-time viewer count, the playback speed, and the overlays for
// reconnecting and for autoplay that needs a click.
import { useCallback, useState } from 'react';
import type { Stream } from '../../../../api/types';
import { PlaybackSpeedButton } from '../../../player/components/audio-player/PlaybackSpeedButton';
import { type PlayerGesture, type PlayerStatus, useHlsPlayer } from '../../../player/hooks/useHlsPlayer';
import { StatusBadge } from '../../components/StatusBadge';
import { StreamThumbnail } from '../../components/StreamThumbnail';
import { ViewerCount } from './ViewerCount';

export interface LiveViewPlayerProps {
  stream: Stream;
  /** The freshest count (pushed over the socket); null falls back to the stream's. */
  viewerCount: number | null;
  /** Receives the <video> element (for the Media Session). */
  onMediaElement?: (video: HTMLVideoElement | null) => void;
}

interface PlayerOverlayProps {
  status: PlayerStatus;
  gesture: PlayerGesture;
  live: boolean;
  onGesture: () => void;
}

function PlayerOverlay({ status, gesture, live, onGesture }: PlayerOverlayProps) {
  if (gesture === 'play') {
    return (
      <button type="button" className="player-gesture play" onClick={onGesture}>
        <svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">
          <path d="M8 5v14l11-7z" fill="currentColor" />
        </svg>
        Click to play
      </button>
    );
  }
  return (
    <>
      {gesture === 'unmute' && (
        <button type="button" className="player-gesture unmute" onClick={onGesture}>
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path d="M4 9v6h4l5 4V5L8 9H4z" fill="currentColor" />
            <path d="M16 9l5 6M21 9l-5 6" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
          </svg>
          Click to unmute
        </button>
      )}
      {(status === 'loading' || status === 'recovering' || status === 'unsupported') && (
        <div className="player-status" role="status">
          {status !== 'unsupported' && <span className="spinner" aria-hidden="true" />}
          {status === 'loading' && (live ? 'Loading the stream…' : 'Loading the replay…')}
          {status === 'recovering' && 'Reconnecting to the stream…'}
          {status === 'unsupported' && 'This browser cannot play this stream.'}
        </div>
      )}
    </>
  );
}

export function LiveViewPlayer({ stream, viewerCount, onMediaElement }: LiveViewPlayerProps) {
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const live = stream.status === 'live';
  const player = useHlsPlayer(video, stream.stream_url, live);
  const videoRef = useCallback(
    (element: HTMLVideoElement | null) => {
      setVideo(element);
      onMediaElement?.(element);
    },
    [onMediaElement],
  );

  return (
    <div className="player">
      <div className={`player-stage${player.status === 'playing' ? ' is-playing' : ''}`}>
        {/* The stream's art shows until the picture comes (and stays for audio-only streams). */}
        <StreamThumbnail streamId={stream.id} title={stream.title} src={stream.thumbnail_url} className="player-backdrop" />
        <video
          ref={videoRef}
          data-testid="live-video"
          className="player-video"
          playsInline
          // Chrome's controls draw a grey loading scrim: shown once there is something to control.
          controls={player.status === 'playing'}
          controlsList="noplaybackrate"
          aria-label={`${live ? 'Live stream' : 'Replay'}: ${stream.title}`}
        />
        <PlayerOverlay status={player.status} gesture={player.gesture} live={live} onGesture={player.resolveGesture} />
      </div>
      <div className="player-bar">
        <StatusBadge status={stream.status} testId="stream-status" />
        {live && <ViewerCount count={viewerCount ?? stream.viewer_count} />}
        <span className="player-bar-spacer" />
        <PlaybackSpeedButton media={video} live={live} />
      </div>
    </div>
  );
}
