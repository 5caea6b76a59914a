// A countdown to a date that ticks every second, e.g. to a scheduled start.
import { useNow } from '../hooks/useNow';
import { formatCountdown, formatDateTime, msUntil } from '../utils/time';

export interface CountdownProps {
  /** ISO date-time of the moment counted down to. */
  to: string;
  /** Shown once the moment has passed. */
  passedText?: string;
  className?: string;
}

export function Countdown({ to, passedText = 'Starting soon', className }: CountdownProps) {
  const now = useNow(1000);
  const left = msUntil(to, now);
  const passed = left === null || left <= 0;
  return (
    <time
      className={`countdown${className ? ` ${className}` : ''}`}
      dateTime={to}
      role="timer"
      title={formatDateTime(to)}
      data-passed={passed || undefined}
    >
      {passed ? passedText : formatCountdown(left)}
    </time>
  );
}
