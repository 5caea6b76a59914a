// A stream's picture: its thumbnail, or (none set, or it fails to load) a
// gradient placeholder with the stream's initial, its colours drawn from
// the stream id so each card keeps its own.
import { type ReactNode, useState } from 'react';

function hue(seed: string): number {
  let hash = 0;
  for (const char of seed) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return hash % 360;
}

export interface StreamThumbnailProps {
  streamId: string;
  title: string;
  src?: string | null;
  /** Overlays: badges, counts. */
  children?: ReactNode;
  className?: string;
}

export function StreamThumbnail({ streamId, title, src, children, className }: StreamThumbnailProps) {
  const [failed, setFailed] = useState<string | null>(null);
  const showImage = Boolean(src) && failed !== src;
  const h = hue(streamId);
  return (
    <div className={`thumb${className ? ` ${className}` : ''}`}>
      {showImage ? (
        <img src={src ?? undefined} alt="" loading="lazy" decoding="async" onError={() => setFailed(src ?? null)} />
      ) : (
        <div
          className="thumb-placeholder"
          aria-hidden="true"
          style={{
            background: `radial-gradient(circle at 25% 20%, hsl(${h} 70% 42% / 0.9), transparent 60%), linear-gradient(135deg, hsl(${h} 55% 22%), hsl(${(h + 50) % 360} 60% 14%))`,
          }}
        >
          <span className="thumb-initial">{[...title.trim()][0]?.toUpperCase() ?? '♪'}</span>
          <svg className="thumb-wave" viewBox="0 0 120 24" preserveAspectRatio="none">
            {[3, 9, 15, 7, 18, 11, 21, 6, 14, 19, 8, 16, 4, 12, 20, 10, 5, 17, 9, 13].map((height, i) => (
              <rect key={i} x={i * 6 + 1} y={24 - height} width="3" height={height} rx="1.5" />
            ))}
          </svg>
        </div>
      )}
      {children}
    </div>
  );
}
