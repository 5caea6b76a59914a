import { act, render, renderHook, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeHealth } from '../../../../mocks/fixtures';
import { HealthPanel, formatBitrate } from './HealthPanel';
import { useStreamHealth } from './useStreamHealth';

describe('HealthPanel', () => {
  it('shows the verdict in words with the figures beside it', () => {
    render(<HealthPanel health={makeHealth()} />);
    expect(screen.getByTestId('health-verdict')).toHaveTextContent('Excellent');
    expect(screen.getByTestId('health-bitrate')).toHaveTextContent('4.51 Mb/s');
    expect(screen.getByTestId('health-video')).toHaveTextContent('H264 1280×720 @ 30 fps');
  });

  it('says why a signal is unstable, and when nothing arrives', () => {
    const { rerender } = render(
      <HealthPanel health={makeHealth({ verdict: 'unstable', reasons: ['12 frames dropped in the last seconds'] })} />,
    );
    expect(screen.getByTestId('health-verdict')).toHaveTextContent('Unstable');
    expect(screen.getByText('12 frames dropped in the last seconds')).toBeInTheDocument();
    rerender(<HealthPanel health={makeHealth({ verdict: 'no_signal', bitrate_bps: 0, reasons: ['no data'] })} />);
    expect(screen.getByTestId('health-verdict')).toHaveTextContent('No signal');
    expect(screen.getByTestId('health-bitrate')).toHaveTextContent('0 kb/s');
  });

  it('is measuring before the first figures', () => {
    render(<HealthPanel health={null} />);
    expect(screen.getByTestId('health-verdict')).toHaveTextContent('Measuring');
    expect(screen.getByTestId('health-bitrate')).toHaveTextContent('—');
  });

  it('formats bitrates', () => {
    expect(formatBitrate(864_000)).toBe('864 kb/s');
    expect(formatBitrate(2_500_000)).toBe('2.50 Mb/s');
    expect(formatBitrate(null)).toBe('—');
  });
});

describe('useStreamHealth', () => {
  afterEach(() => vi.useRealTimers());

  it('polls while live and stops when the stream is no longer live', async () => {
    vi.useFakeTimers();
    const getHealth = vi.fn((id: string) => Promise.resolve(makeHealth({ stream_id: id })));
    const { result, rerender } = renderHook(({ live }) => useStreamHealth('s1', live, { getHealth, intervalMs: 1000 }), {
      initialProps: { live: true },
    });
    await act(async () => {
      await Promise.resolve();
    });
    expect(result.current?.stream_id).toBe('s1');
    expect(getHealth).toHaveBeenCalledTimes(1);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(getHealth).toHaveBeenCalledTimes(2);
    rerender({ live: false });
    expect(result.current).toBeNull();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(5000);
    });
    expect(getHealth).toHaveBeenCalledTimes(2);
  });

  it('never asks for a stream that is not live', async () => {
    const getHealth = vi.fn(() => Promise.resolve(makeHealth()));
    renderHook(() => useStreamHealth('s1', false, { getHealth }));
    await act(async () => {
      await Promise.resolve();
    });
    expect(getHealth).not.toHaveBeenCalled();
  });
});
