// The Go Live form's rules, mirroring the live catalog's (title 1..=140
// characters after trimming, description ≤ 5000, category ≤ 64, at most 10
// tags of 1..=25 characters, an http(s) thumbnail URL ≤ 2048, a start time
// in the future and within a year), and the conversions between the form,
// the API and the viewer's time zone.
import type { Stream } from '../../../../api/types';
import type { ApiRequestError } from '../../../../services/apiClient';
import type { CreateStreamData, FieldErrors, StreamFormValues } from './types';

export const LIMITS = {
  title: 140,
  description: 5000,
  category: 64,
  tags: 10,
  tag: 25,
  thumbnailUrl: 2048,
  scheduleHorizonDays: 365,
  /** Largest thumbnail image accepted for upload. */
  thumbnailBytes: 2 * 1024 * 1024,
} as const;

export const THUMBNAIL_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;

export type FormIntent = 'live' | 'schedule';

const DAY_MS = 86_400_000;
const CONTROL = /\p{Cc}/u;

/** Length in characters (code points), as the server counts. */
export function charCount(text: string): number {
  return [...text].length;
}

/** Tags from the comma-separated field: trimmed, empty ones dropped, duplicates once. */
export function parseTags(text: string): string[] {
  const tags: string[] = [];
  for (const raw of text.split(',')) {
    const tag = raw.trim();
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** True for an absolute http(s) URL with a host. */
export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A `datetime-local` value (the viewer's time zone) for an instant. */
export function toLocalInputValue(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The instant a `datetime-local` value names in the viewer's time zone; null when it is not a date. */
export function parseLocalInput(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi, Number.isNaN(s) ? 0 : s);
  if (Number.isNaN(date.getTime()) || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date;
}

/** The UTC ISO string the API takes for a `datetime-local` value; null when it is not a date. */
export function localInputToUtcIso(value: string): string | null {
  return parseLocalInput(value)?.toISOString() ?? null;
}

/** The viewer's IANA time zone, e.g. "Europe/Paris". */
export function viewerTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

/** A start time in the viewer's locale and time zone, e.g. "Thu, Dec 3, 2026, 20:30". */
export { formatFullDateTime as formatStartTime } from '../../utils/time';

export const EMPTY_FORM: StreamFormValues = {
  title: '',
  description: '',
  category: '',
  tags: '',
  thumbnailUrl: '',
  scheduledAt: '',
  recordReplay: true,
};

/** The form prefilled from a stream (its start time only while it is scheduled). */
export function formValuesFromStream(stream: Stream | null | undefined): StreamFormValues {
  if (!stream) return EMPTY_FORM;
  return {
    title: stream.title,
    description: stream.description ?? '',
    category: stream.category ?? '',
    tags: stream.tags.join(', '),
    thumbnailUrl: stream.thumbnail_url ?? '',
    scheduledAt:
      stream.status === 'scheduled' && stream.scheduled_at ? toLocalInputValue(new Date(stream.scheduled_at)) : '',
    recordReplay: stream.record_replay,
  };
}

function checkTitle(text: string): string | undefined {
  const title = text.trim();
  const length = charCount(title);
  if (length === 0) return 'Give your stream a title.';
  if (length > LIMITS.title) return `At most ${LIMITS.title} characters (now ${length}).`;
  if (CONTROL.test(title)) return 'Remove the control characters.';
  return undefined;
}

function checkTags(text: string): string | undefined {
  const tags = parseTags(text);
  const long = tags.find((tag) => charCount(tag) > LIMITS.tag);
  if (long) return `Each tag is at most ${LIMITS.tag} characters: “${[...long].slice(0, LIMITS.tag).join('')}…” is longer.`;
  if (tags.some((tag) => CONTROL.test(tag))) return 'Remove the control characters.';
  if (tags.length > LIMITS.tags) return `At most ${LIMITS.tags} tags (now ${tags.length}).`;
  return undefined;
}

function checkThumbnailUrl(text: string): string | undefined {
  const url = text.trim();
  if (!url) return undefined;
  if (charCount(url) > LIMITS.thumbnailUrl || !isHttpUrl(url))
    return `Enter an http(s) URL of at most ${LIMITS.thumbnailUrl} characters.`;
  return undefined;
}

function checkSchedule(value: string, now: Date): string | undefined {
  if (!value) return 'Pick a date and time to schedule the stream.';
  const at = parseLocalInput(value);
  if (!at) return 'Enter a valid date and time.';
  if (at.getTime() <= now.getTime()) return 'Pick a time in the future.';
  if (at.getTime() > now.getTime() + LIMITS.scheduleHorizonDays * DAY_MS) return 'Pick a time within a year from now.';
  return undefined;
}

/** Every broken rule, by field. "Go Live Now" ignores the start time; "Schedule Stream" requires one. */
export function validateStreamForm(values: StreamFormValues, intent: FormIntent, now: Date = new Date()): FieldErrors {
  const errors: FieldErrors = {};
  const title = checkTitle(values.title);
  if (title) errors.title = title;
  const description = charCount(values.description.trim());
  if (description > LIMITS.description)
    errors.description = `At most ${LIMITS.description} characters (now ${description}).`;
  const category = values.category.trim();
  if (charCount(category) > LIMITS.category) errors.category = `At most ${LIMITS.category} characters.`;
  else if (CONTROL.test(category)) errors.category = 'Remove the control characters.';
  const tags = checkTags(values.tags);
  if (tags) errors.tags = tags;
  const thumbnail = checkThumbnailUrl(values.thumbnailUrl);
  if (thumbnail) errors.thumbnailUrl = thumbnail;
  if (intent === 'schedule') {
    const schedule = checkSchedule(values.scheduledAt, now);
    if (schedule) errors.scheduledAt = schedule;
  }
  return errors;
}

/** The submitted data of a valid form (call `validateStreamForm` first). */
export function toCreateStreamData(values: StreamFormValues, intent: FormIntent): CreateStreamData {
  const data: CreateStreamData = {
    title: values.title.trim(),
    description: values.description.trim(),
    category: values.category.trim(),
    tags: parseTags(values.tags),
    recordReplay: values.recordReplay,
  };
  const thumbnailUrl = values.thumbnailUrl.trim();
  if (thumbnailUrl) data.thumbnailUrl = thumbnailUrl;
  if (intent === 'schedule') {
    const scheduledAt = localInputToUtcIso(values.scheduledAt);
    if (scheduledAt) data.scheduledAt = scheduledAt;
  }
  return data;
}

/** The server's field details of a refused save, on the form's fields. */
export function fieldErrorsFromApi(error: ApiRequestError): FieldErrors {
  const errors: FieldErrors = {};
  const pick = (field: string) => error.fieldMessage(field);
  const title = pick('title');
  if (title) errors.title = title;
  const description = pick('description');
  if (description) errors.description = description;
  const category = pick('category');
  if (category) errors.category = category;
  const tags = pick('tags') ?? error.details.find((d) => d.field.startsWith('tags['))?.message;
  if (tags) errors.tags = tags;
  const thumbnail = pick('thumbnail_url');
  if (thumbnail) errors.thumbnailUrl = thumbnail;
  const scheduledAt = pick('scheduled_at');
  if (scheduledAt) errors.scheduledAt = scheduledAt;
  const recordReplay = pick('record_replay');
  if (recordReplay) errors.recordReplay = recordReplay;
  return errors;
}

/** Why a thumbnail file cannot be uploaded, checked before sending it. */
export function checkThumbnailFile(file: File): string | undefined {
  if (!(THUMBNAIL_TYPES as readonly string[]).includes(file.type)) return 'Choose a PNG, JPEG or WebP image.';
  if (file.size > LIMITS.thumbnailBytes) return 'The image is larger than 2 MiB. Choose a smaller one.';
  return undefined;
}
