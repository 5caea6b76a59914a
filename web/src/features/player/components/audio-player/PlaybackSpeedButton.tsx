// Playback speed: a click steps through 0.5×–2×, the caret (or a right
// click) opens a menu to pick one. The choice is saved and applies to any
// seekable media; a live stream plays at its live edge, so at 1×, and the
// control says so while keeping the choice for replays.
import { type KeyboardEvent, useEffect, useId, useRef, useState } from 'react';
import {
  PLAYBACK_SPEEDS,
  type PlaybackSpeed,
  formatSpeed,
  useApplyPlaybackRate,
  usePlaybackSpeed,
} from '../../hooks/usePlaybackSpeed';
import '../../player.css';

export interface PlaybackSpeedButtonProps {
  /** The element whose `playbackRate` follows the choice. */
  media: HTMLMediaElement | null;
  /** A live stream at its edge: it plays at 1× whatever the choice. */
  live?: boolean;
}

function liveTitle(live: boolean, speed: PlaybackSpeed, label: string): string {
  if (!live) return 'Next speed (right-click for the list)';
  return speed === 1 ? 'Live streams play at 1×' : `Live: 1×. ${label} applies to replays.`;
}

export function PlaybackSpeedButton({ media, live = false }: PlaybackSpeedButtonProps) {
  const { speed, setSpeed, cycle } = usePlaybackSpeed();
  const [open, setOpen] = useState(false);
  const rootRef = useRef<HTMLDivElement>(null);
  const caretRef = useRef<HTMLButtonElement>(null);
  const menuId = useId();
  const hintId = useId();
  useApplyPlaybackRate(media, live ? 1 : speed);

  useEffect(() => {
    if (!open) return undefined;
    const onPointerDown = (event: PointerEvent) => {
      if (!rootRef.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointerDown);
    return () => document.removeEventListener('pointerdown', onPointerDown);
  }, [open]);

  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) caretRef.current?.focus();
  };

  const choose = (value: PlaybackSpeed) => {
    setSpeed(value);
    close(true);
  };

  const label = formatSpeed(speed);
  const liveHint = live && speed !== 1;

  return (
    <div className="speed-control" ref={rootRef}>
      <span id={hintId} className={liveHint ? 'speed-hint' : 'sr-only'}>
        {live ? 'Live: 1×' : ''}
      </span>
      <button
        type="button"
        className="speed-main"
        data-testid="playback-speed"
        aria-label={`Playback speed ${label}`}
        aria-describedby={live ? hintId : undefined}
        title={liveTitle(live, speed, label)}
        onClick={cycle}
        onContextMenu={(event) => {
          event.preventDefault();
          setOpen(true);
        }}
      >
        {label}
      </button>
      <button
        type="button"
        className="speed-caret"
        ref={caretRef}
        aria-label="Choose playback speed"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowUp' || event.key === 'ArrowDown') {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        <svg viewBox="0 0 10 6" width="10" height="6" aria-hidden="true">
          <path d="M1 5l4-4 4 4" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
        </svg>
      </button>
      {open && <SpeedMenu id={menuId} current={speed} onChoose={choose} onClose={close} />}
    </div>
  );
}

interface SpeedMenuProps {
  id: string;
  current: PlaybackSpeed;
  onChoose: (speed: PlaybackSpeed) => void;
  onClose: (refocus: boolean) => void;
}

function SpeedMenu({ id, current, onChoose, onClose }: SpeedMenuProps) {
  const itemsRef = useRef<(HTMLButtonElement | null)[]>([]);
  const openedAt = useRef(current);

  useEffect(() => {
    // The checked item takes the focus once, when the menu opens.
    itemsRef.current[PLAYBACK_SPEEDS.indexOf(openedAt.current)]?.focus();
  }, []);

  const focusAt = (index: number) => {
    const count = PLAYBACK_SPEEDS.length;
    itemsRef.current[(index + count) % count]?.focus();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLUListElement>) => {
    const index = itemsRef.current.findIndex((item) => item === document.activeElement);
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault();
        focusAt(index + 1);
        break;
      case 'ArrowUp':
        event.preventDefault();
        focusAt(index - 1);
        break;
      case 'Home':
        event.preventDefault();
        focusAt(0);
        break;
      case 'End':
        event.preventDefault();
        focusAt(PLAYBACK_SPEEDS.length - 1);
        break;
      case 'Escape':
        event.preventDefault();
        onClose(true);
        break;
      case 'Tab':
        onClose(false);
        break;
      default:
    }
  };

  return (
    <ul id={id} className="menu speed-menu" role="menu" aria-label="Playback speed" onKeyDown={onKeyDown}>
      {PLAYBACK_SPEEDS.map((value, index) => (
        <li key={value} role="none">
          <button
            type="button"
            role="menuitemradio"
            aria-checked={value === current}
            tabIndex={value === current ? 0 : -1}
            ref={(el) => {
              itemsRef.current[index] = el;
            }}
            onClick={() => onChoose(value)}
          >
            {formatSpeed(value)}
            {value === 1 && <span className="muted"> Normal</span>}
          </button>
        </li>
      ))}
    </ul>
  );
}
