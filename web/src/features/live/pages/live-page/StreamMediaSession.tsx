// Publishes the stream to the Media Session: title, streamer and
// thumbnail, play/pause/seek on the video, previous/next live stream. A
// replay also takes a seek to a time and shows its position.
import { useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Stream } from '../../../../api/types';
import { useMediaPositionState, useMediaSession } from '../../../player/hooks/useMediaSession';
import { streamPath } from '../../utils/paths';

/** Moves the playhead to `seconds`, kept inside what can be sought. */
export function seekTo(video: HTMLMediaElement, seconds: number, fast = false): void {
  const { seekable } = video;
  const start = seekable.length > 0 ? seekable.start(0) : 0;
  const end = seekable.length > 0 ? seekable.end(seekable.length - 1) : video.duration;
  const target = Math.max(start, Number.isFinite(end) ? Math.min(end, seconds) : seconds);
  if (fast && typeof video.fastSeek === 'function') video.fastSeek(target);
  else video.currentTime = target;
}

/** Moves the playhead by `offsetSeconds`, kept inside what can be sought. */
export function seekBy(video: HTMLMediaElement, offsetSeconds: number): void {
  seekTo(video, video.currentTime + offsetSeconds);
}

interface StreamMediaSessionProps {
  stream: Stream;
  video: HTMLVideoElement | null;
  previous: Stream | null;
  next: Stream | null;
}

export function StreamMediaSession({ stream, video, previous, next }: StreamMediaSessionProps) {
  const navigate = useNavigate();
  const [playing, setPlaying] = useState(false);

  useEffect(() => {
    if (!video) return undefined;
    const sync = () => setPlaying(!video.paused);
    sync();
    video.addEventListener('play', sync);
    video.addEventListener('pause', sync);
    return () => {
      video.removeEventListener('play', sync);
      video.removeEventListener('pause', sync);
    };
  }, [video]);

  const replay = stream.status === 'ended';
  useMediaPositionState(video, replay);
  useMediaSession({
    title: stream.title,
    artist: stream.streamer_name,
    album: stream.status === 'live' ? 'Live on Veza' : 'Veza replay',
    artwork: stream.thumbnail_url,
    playbackState: video ? (playing ? 'playing' : 'paused') : 'none',
    onPlay: () => {
      // A refused play (no gesture yet) leaves the overlay to ask for a click.
      if (video) Promise.resolve(video.play()).catch(() => undefined);
    },
    onPause: () => video?.pause(),
    onSeek: (offset) => {
      if (video) seekBy(video, offset);
    },
    onSeekTo: replay
      ? (seconds, fast) => {
          if (video) seekTo(video, seconds, fast);
        }
      : null,
    onPrevious: previous ? () => navigate(streamPath(previous.id)) : null,
    onNext: next ? () => navigate(streamPath(next.id)) : null,
  });
  return null;
}
