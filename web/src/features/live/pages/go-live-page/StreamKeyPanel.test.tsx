import { act, fireEvent, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MOCK_STREAM_KEY } from '../../../../mocks/fixtures';
import { KEY_MASK, StreamKeyPanel } from './StreamKeyPanel';

function stubClipboard(writeText: (text: string) => Promise<void>) {
  Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
}

function setup(onRegenerateKey = vi.fn(async () => {})) {
  const user = userEvent.setup();
  render(<StreamKeyPanel streamKey={MOCK_STREAM_KEY} onRegenerateKey={onRegenerateKey} />);
  return { user, onRegenerateKey };
}

describe('StreamKeyPanel', () => {
  it('masks the key by default with a fixed mask, never its characters', () => {
    setup();
    const shown = screen.getByTestId('stream-key');
    expect(shown).toHaveTextContent(KEY_MASK);
    expect(document.body.textContent).not.toContain(MOCK_STREAM_KEY);
    expect(document.body.innerHTML).not.toContain(MOCK_STREAM_KEY.slice(0, 8));
  });

  it('reveals and hides the key', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: 'Reveal key' }));
    expect(screen.getByTestId('stream-key')).toHaveTextContent(MOCK_STREAM_KEY);
    await user.click(screen.getByRole('button', { name: 'Hide key' }));
    expect(screen.getByTestId('stream-key')).toHaveTextContent(KEY_MASK);
    expect(document.body.textContent).not.toContain(MOCK_STREAM_KEY);
  });

  it('copies the key (even masked) and confirms it', async () => {
    const { user } = setup();
    const writeText = vi.fn(async () => {});
    stubClipboard(writeText);
    expect(screen.queryByText('Copied')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith(MOCK_STREAM_KEY);
    expect(await screen.findByText('Copied')).toBeVisible();
    expect(screen.getByTestId('stream-key')).toHaveTextContent(KEY_MASK);
  });

  it('says so when the browser refuses the clipboard', async () => {
    const { user } = setup();
    stubClipboard(vi.fn(async () => Promise.reject(new DOMException('denied', 'NotAllowedError'))));
    await user.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(/refused clipboard access/);
    expect(screen.queryByText('Copied')).not.toBeInTheDocument();
  });

  it('counts a clipboard that never answers as refused', async () => {
    vi.useFakeTimers();
    try {
      render(<StreamKeyPanel streamKey={MOCK_STREAM_KEY} onRegenerateKey={vi.fn(async () => {})} />);
      stubClipboard(() => new Promise<void>(() => {}));
      fireEvent.click(screen.getByRole('button', { name: 'Copy key' }));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(2900);
      });
      expect(screen.queryByRole('alert')).not.toBeInTheDocument();
      await act(async () => {
        await vi.advanceTimersByTimeAsync(200);
      });
      expect(screen.getByRole('alert')).toHaveTextContent(/refused clipboard access/);
    } finally {
      vi.useRealTimers();
    }
  });

  it('regenerates only after the confirmation, which says what breaks', async () => {
    const { user, onRegenerateKey } = setup();
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    const dialog = screen.getByRole('dialog', { name: /regenerate your stream key/i });
    expect(dialog).toHaveTextContent(/stops working at once/);
    expect(dialog).toHaveTextContent(/encoder is disconnected/);
    expect(onRegenerateKey).not.toHaveBeenCalled();
    expect(within(dialog).getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.click(within(dialog).getByRole('button', { name: 'Regenerate' }));
    expect(onRegenerateKey).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('does nothing on Cancel or Escape', async () => {
    const { user, onRegenerateKey } = setup();
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(onRegenerateKey).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Regenerate key' })).toHaveFocus();
  });

  it('hides the rest of the page while the confirmation is open', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    expect(screen.queryByRole('button', { name: 'Reveal key' })).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Reveal key' })).toBeInTheDocument();
  });

  it('masks the key again after regenerating', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: 'Reveal key' }));
    await user.click(screen.getByRole('button', { name: 'Regenerate key' }));
    await user.click(screen.getByRole('button', { name: 'Regenerate' }));
    expect(screen.getByTestId('stream-key')).toHaveTextContent(KEY_MASK);
  });
});
