import { formatDuration, streamLength } from './time';

describe('stream lengths', () => {
  it('formats a length as a clock, hours only when there are some', () => {
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(36_000_000)).toBe('10:00:00');
    expect(formatDuration(59_600)).toBe('1:00');
    expect(formatDuration(12_400)).toBe('0:12');
    expect(formatDuration(0)).toBe('0:00');
  });

  it('takes the catalog’s duration first, else the time from start to end', () => {
    const times = { started_at: '2026-12-01T17:00:00Z', ended_at: '2026-12-01T18:00:00Z' };
    expect(streamLength({ ...times, duration_seconds: 3_725 })).toBe(3_725_000);
    expect(streamLength({ ...times, duration_seconds: 0 })).toBe(0);
    expect(streamLength({ ...times, duration_seconds: null })).toBe(3_600_000);
    expect(streamLength({ ...times })).toBe(3_600_000);
    expect(streamLength({ started_at: times.started_at, ended_at: null, duration_seconds: null })).toBeNull();
    expect(streamLength({ ...times, ended_at: '2026-12-01T16:00:00Z', duration_seconds: null })).toBeNull();
  });
});
