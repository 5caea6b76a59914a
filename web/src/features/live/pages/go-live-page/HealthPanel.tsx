// The streamer's view of their encoder's signal while live: a verdict in
// words and the figures beside it.
import type { HealthVerdict, StreamHealth } from '../../../../api/types';

const VERDICTS: Record<HealthVerdict, { label: string; hint: string }> = {
  excellent: { label: 'Excellent', hint: 'Your signal is steady.' },
  unstable: { label: 'Unstable', hint: 'Viewers may see stutters.' },
  no_signal: { label: 'No signal', hint: 'Nothing is arriving from your encoder.' },
  unknown: { label: 'Measuring…', hint: 'The first figures arrive within a few seconds.' },
};

export function formatBitrate(bps: number | null | undefined): string {
  if (bps === null || bps === undefined) return '—';
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(2)} Mb/s`;
  return `${Math.round(bps / 1000)} kb/s`;
}

function Figure({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div className="health-figure">
      <dt>{label}</dt>
      <dd data-testid={testId}>{value}</dd>
    </div>
  );
}

export function HealthPanel({ health }: { health: StreamHealth | null }) {
  const verdict = health?.verdict ?? 'unknown';
  const { label, hint } = VERDICTS[verdict];
  const video = health?.video ?? null;
  const audio = health?.audio ?? null;
  return (
    <section className={`card health-panel verdict-${verdict}`} aria-label="Stream health" data-testid="health-panel">
      <h2>Stream health</h2>
      <p className="health-verdict" role="status" aria-live="polite">
        <span className={`badge verdict ${verdict}`} data-testid="health-verdict">
          {label}
        </span>{' '}
        <span className="muted">{hint}</span>
      </p>
      {health && health.reasons.length > 0 && verdict !== 'excellent' ? (
        <ul className="health-reasons">
          {health.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
      <dl className="health-figures">
        <Figure label="Bitrate" value={formatBitrate(health?.bitrate_bps)} testId="health-bitrate" />
        <Figure
          label="Bitrate (last samples)"
          value={
            health?.bitrate_avg_bps !== null && health?.bitrate_avg_bps !== undefined
              ? `${formatBitrate(health.bitrate_avg_bps)} (${formatBitrate(health.bitrate_min_bps)}–${formatBitrate(health.bitrate_max_bps)})`
              : '—'
          }
        />
        <Figure
          label="Video"
          value={video ? `${video.codec} ${video.width}×${video.height} @ ${video.frame_rate} fps` : '—'}
          testId="health-video"
        />
        <Figure
          label="Audio"
          value={audio ? `${audio.codec} ${(audio.sample_rate / 1000).toFixed(1)} kHz, ${audio.channels === 1 ? 'mono' : `${audio.channels} channels`}` : '—'}
        />
        <Figure label="Dropped frames" value={health?.dropped_frames?.toString() ?? '—'} />
      </dl>
    </section>
  );
}
