// Formatting of the times a stream shows: countdowns to a scheduled start,
// durations of replays, and dates in the viewer's own time zone.
import type { Stream } from '../../../api/types';

const pad = (n: number) => String(n).padStart(2, '0');

/** Milliseconds until `iso` from `now` (negative once passed); null for a missing or bad date. */
export function msUntil(iso: string | null | undefined, now: number): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : at - now;
}

/** A countdown: "2d 03h 04m" past a day, else "03:04:05" (or "04:05" under an hour). */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86_400);
  const hours = Math.floor((total % 86_400) / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  if (days > 0) return `${days}d ${pad(hours)}h ${pad(minutes)}m`;
  if (hours > 0) return `${hours}:${pad(minutes)}:${pad(seconds)}`;
  return `${minutes}:${pad(seconds)}`;
}

/** A duration as a clock: "1:02:03" or "2:03". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const hours = Math.floor(total / 3_600);
  const minutes = Math.floor((total % 3_600) / 60);
  const seconds = total % 60;
  return hours > 0 ? `${hours}:${pad(minutes)}:${pad(seconds)}` : `${minutes}:${pad(seconds)}`;
}

/** A replay's length from its start and end; null when either is missing. */
export function streamDuration(startedAt: string | null | undefined, endedAt: string | null | undefined): number | null {
  if (!startedAt || !endedAt) return null;
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return Number.isNaN(ms) || ms < 0 ? null : ms;
}

/**
 * How long an ended stream lasted, in ms: the catalog's `duration_seconds`
 * (the replay's own length once it is ready), else from its start to its
 * end; null when neither is known.
 */
export function streamLength(stream: Pick<Stream, 'duration_seconds' | 'started_at' | 'ended_at'>): number | null {
  const seconds = stream.duration_seconds;
  if (typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  return streamDuration(stream.started_at, stream.ended_at);
}

/** A date and time in the viewer's locale and time zone, e.g. "Thu, Dec 3, 18:00". */
export function formatDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** A date with its year and a time, in the viewer's locale and time zone, e.g. "Tue, Dec 1, 2026, 18:00". */
export function formatFullDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** A calendar date in the viewer's locale, e.g. "Dec 1, 2026". */
export function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/**
 * How long ago `iso` was, e.g. "just now", "25 minutes ago", "yesterday".
 * Whole minutes at least: the pages refresh it every 30 s.
 */
export function formatRelative(iso: string, now: number): string {
  // A start a little ahead of this clock (skew) reads as now, not "in 2 minutes".
  const seconds = Math.min(0, Math.round((Date.parse(iso) - now) / 1000));
  const abs = Math.abs(seconds);
  if (abs < 60) return 'just now';
  if (abs < 3_600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3_600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/** A viewer count in words: "1 viewer", "1,234 viewers". */
export function formatViewers(count: number): string {
  return `${count.toLocaleString()} ${count === 1 ? 'viewer' : 'viewers'}`;
}
