// The listener's preferred playback speed: one of six steps, kept in local
// storage so it survives a reload, shared by every player on the page (and
// other tabs, through the `storage` event).
import { useCallback, useEffect, useSyncExternalStore } from 'react';

export const PLAYBACK_SPEEDS = [0.5, 0.75, 1, 1.25, 1.5, 2] as const;
export type PlaybackSpeed = (typeof PLAYBACK_SPEEDS)[number];

export const PLAYBACK_SPEED_STORAGE_KEY = 'veza.player.playbackRate';
const DEFAULT_SPEED: PlaybackSpeed = 1;

function isSpeed(value: number): value is PlaybackSpeed {
  return (PLAYBACK_SPEEDS as readonly number[]).includes(value);
}

/** The saved speed, or 1× when none (or an unknown value) is saved. */
export function readSavedSpeed(): PlaybackSpeed {
  try {
    const raw = localStorage.getItem(PLAYBACK_SPEED_STORAGE_KEY);
    const value = raw === null ? NaN : Number(raw);
    return isSpeed(value) ? value : DEFAULT_SPEED;
  } catch {
    return DEFAULT_SPEED;
  }
}

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === null || event.key === PLAYBACK_SPEED_STORAGE_KEY) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

function save(speed: PlaybackSpeed): void {
  try {
    localStorage.setItem(PLAYBACK_SPEED_STORAGE_KEY, String(speed));
  } catch {
    // Storage full or blocked: the speed still applies to this page.
  }
  for (const listener of listeners) listener();
}

/** The speed after `speed` in the cycle, wrapping from 2× back to 0.5×. */
export function nextSpeed(speed: PlaybackSpeed): PlaybackSpeed {
  const index = PLAYBACK_SPEEDS.indexOf(speed);
  return PLAYBACK_SPEEDS[(index + 1) % PLAYBACK_SPEEDS.length] ?? DEFAULT_SPEED;
}

/** "1×", "1.25×", "0.5×". */
export function formatSpeed(speed: number): string {
  return `${speed}×`;
}

export interface PlaybackSpeedControl {
  speed: PlaybackSpeed;
  setSpeed: (speed: PlaybackSpeed) => void;
  /** Steps to the next speed. */
  cycle: () => void;
}

/** The saved speed preference, restored on load and saved on every change. */
export function usePlaybackSpeed(): PlaybackSpeedControl {
  const speed = useSyncExternalStore(subscribe, readSavedSpeed, () => DEFAULT_SPEED);
  const setSpeed = useCallback((next: PlaybackSpeed) => save(next), []);
  const cycle = useCallback(() => save(nextSpeed(readSavedSpeed())), []);
  return { speed, setSpeed, cycle };
}

/**
 * Applies `rate` to a media element, and again whenever it loads a new
 * source (loading resets `playbackRate` to `defaultPlaybackRate`).
 */
export function useApplyPlaybackRate(media: HTMLMediaElement | null, rate: number): void {
  useEffect(() => {
    if (!media) return undefined;
    const apply = () => {
      media.defaultPlaybackRate = rate;
      if (media.playbackRate !== rate) media.playbackRate = rate;
    };
    apply();
    media.addEventListener('loadedmetadata', apply);
    media.addEventListener('play', apply);
    return () => {
      media.removeEventListener('loadedmetadata', apply);
      media.removeEventListener('play', apply);
    };
  }, [media, rate]);
}
