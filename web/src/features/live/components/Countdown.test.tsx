import { act, render, screen } from '@testing-library/react';
import { formatCountdown, formatDuration } from '../utils/time';
import { Countdown } from './Countdown';

describe('Countdown', () => {
  afterEach(() => vi.useRealTimers());

  it('ticks every second and says when the moment has passed', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-02T18:00:00Z'));
    render(<Countdown to="2026-12-02T18:00:03Z" />);
    expect(screen.getByRole('timer')).toHaveTextContent('0:03');
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole('timer')).toHaveTextContent('0:02');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByRole('timer')).toHaveTextContent('Starting soon');
  });

  it('formats long waits in days and durations as clocks', () => {
    expect(formatCountdown(((26 * 60 + 3) * 60 + 4) * 1000)).toBe('1d 02h 03m');
    expect(formatCountdown(((2 * 60 + 3) * 60 + 4) * 1000)).toBe('2:03:04');
    expect(formatDuration(3_600_000)).toBe('1:00:00');
    expect(formatDuration(125_000)).toBe('2:05');
  });
});
