// Other streams live right now, below the stream page.
import type { Stream } from '../../../../api/types';
import { StreamCard } from '../../components/StreamCard';

export function LiveViewRecommended({ streams }: { streams: Stream[] }) {
  if (streams.length === 0) return null;
  return (
    <section className="recommended" aria-labelledby="recommended-title">
      <h2 id="recommended-title">More live now</h2>
      <div className="stream-grid">
        {streams.map((stream) => (
          <StreamCard key={stream.id} stream={stream} />
        ))}
      </div>
    </section>
  );
}
