// The badge of a stream's status: "Live", "Scheduled", "Replay" (or "Offline" for a draft).
import type { StreamStatus } from '../../../api/types';

const LABELS: Record<StreamStatus, { text: string; className: string }> = {
  live: { text: 'Live', className: 'live' },
  scheduled: { text: 'Scheduled', className: 'scheduled' },
  ended: { text: 'Replay', className: 'ended' },
  draft: { text: 'Offline', className: 'ended' },
};

export function StatusBadge({ status, testId }: { status: StreamStatus; testId?: string }) {
  const { text, className } = LABELS[status];
  return (
    <span className={`badge ${className}`} data-testid={testId}>
      {status === 'live' && <span className="live-dot" aria-hidden="true" />}
      {text}
    </span>
  );
}
