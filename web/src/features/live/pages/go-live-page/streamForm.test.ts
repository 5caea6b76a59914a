import { ApiRequestError } from '../../../../services/apiClient';
import { makeStream } from '../../../../mocks/fixtures';
import {
  EMPTY_FORM,
  checkThumbnailFile,
  fieldErrorsFromApi,
  formValuesFromStream,
  parseLocalInput,
  parseTags,
  toCreateStreamData,
  toLocalInputValue,
  validateStreamForm,
} from './streamForm';

const NOW = new Date(2026, 11, 2, 12, 0);
const valid = { ...EMPTY_FORM, title: 'Night set' };

describe('validateStreamForm', () => {
  it('accepts a titled stream and ignores the start time when going live now', () => {
    expect(validateStreamForm({ ...valid, scheduledAt: '2001-01-01T00:00' }, 'live', NOW)).toEqual({});
  });

  it('requires a title of 1 to 140 characters after trimming, counted as characters', () => {
    expect(validateStreamForm({ ...valid, title: '   ' }, 'live', NOW).title).toBe('Give your stream a title.');
    expect(validateStreamForm({ ...valid, title: 'é'.repeat(140) }, 'live', NOW).title).toBeUndefined();
    expect(validateStreamForm({ ...valid, title: `  ${'🎧'.repeat(140)}  ` }, 'live', NOW).title).toBeUndefined();
    expect(validateStreamForm({ ...valid, title: 'é'.repeat(141) }, 'live', NOW).title).toMatch(/At most 140/);
  });

  it('limits the description to 5000 and the category to 64 characters', () => {
    expect(validateStreamForm({ ...valid, description: 'a'.repeat(5000) }, 'live', NOW).description).toBeUndefined();
    expect(validateStreamForm({ ...valid, description: 'a'.repeat(5001) }, 'live', NOW).description).toMatch(/5000/);
    expect(validateStreamForm({ ...valid, category: 'c'.repeat(64) }, 'live', NOW).category).toBeUndefined();
    expect(validateStreamForm({ ...valid, category: 'c'.repeat(65) }, 'live', NOW).category).toMatch(/64/);
  });

  it('allows at most 10 tags of at most 25 characters', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `t${i}`).join(', ');
    expect(validateStreamForm({ ...valid, tags: ten }, 'live', NOW).tags).toBeUndefined();
    expect(validateStreamForm({ ...valid, tags: `${ten}, t10` }, 'live', NOW).tags).toMatch(/At most 10 tags/);
    expect(validateStreamForm({ ...valid, tags: `ok, ${'x'.repeat(26)}` }, 'live', NOW).tags).toMatch(/25 characters/);
  });

  it('wants an http(s) thumbnail URL of at most 2048 characters, or none', () => {
    expect(validateStreamForm({ ...valid, thumbnailUrl: '' }, 'live', NOW).thumbnailUrl).toBeUndefined();
    expect(validateStreamForm({ ...valid, thumbnailUrl: 'https://cdn.example/a.jpg' }, 'live', NOW).thumbnailUrl).toBeUndefined();
    expect(validateStreamForm({ ...valid, thumbnailUrl: 'ftp://cdn.example/a.jpg' }, 'live', NOW).thumbnailUrl).toMatch(/http\(s\)/);
    expect(validateStreamForm({ ...valid, thumbnailUrl: 'not a url' }, 'live', NOW).thumbnailUrl).toMatch(/http\(s\)/);
    const long = `https://cdn.example/${'a'.repeat(2030)}`;
    expect(validateStreamForm({ ...valid, thumbnailUrl: long }, 'live', NOW).thumbnailUrl).toMatch(/2048/);
  });

  it('schedules only in the future and within a year', () => {
    const at = (d: Date) => validateStreamForm({ ...valid, scheduledAt: toLocalInputValue(d) }, 'schedule', NOW).scheduledAt;
    expect(validateStreamForm(valid, 'schedule', NOW).scheduledAt).toMatch(/Pick a date/);
    expect(at(new Date(2026, 11, 2, 11, 0))).toMatch(/future/);
    expect(at(new Date(2026, 11, 3, 12, 0))).toBeUndefined();
    expect(at(new Date(2027, 11, 3, 12, 0))).toMatch(/within a year/);
    expect(validateStreamForm({ ...valid, scheduledAt: '2027-02-30T10:00' }, 'schedule', NOW).scheduledAt).toMatch(/valid date/);
  });
});

describe('form conversions', () => {
  it('parses comma-separated tags, trimmed, without empties or duplicates', () => {
    expect(parseTags(' deep , vinyl,,deep , ')).toEqual(['deep', 'vinyl']);
  });

  it('submits trimmed values, the start time only when scheduling', () => {
    const values = { ...valid, title: '  Night  ', tags: 'a, b', scheduledAt: toLocalInputValue(new Date(2027, 0, 5, 20, 30)) };
    expect(toCreateStreamData(values, 'live')).toEqual({ title: 'Night', description: '', category: '', tags: ['a', 'b'], recordReplay: true });
    expect(toCreateStreamData(values, 'schedule').scheduledAt).toBe(new Date(2027, 0, 5, 20, 30).toISOString());
    expect(toCreateStreamData({ ...values, recordReplay: false }, 'live').recordReplay).toBe(false);
  });

  it('records a replay by default, and prefills the stream’s own choice', () => {
    expect(EMPTY_FORM.recordReplay).toBe(true);
    expect(formValuesFromStream(makeStream()).recordReplay).toBe(true);
    expect(formValuesFromStream(makeStream({ record_replay: false })).recordReplay).toBe(false);
  });

  it('prefills from a stream, with its start time in local time while scheduled', () => {
    const scheduled = makeStream({ status: 'scheduled', scheduled_at: '2027-01-05T19:30:00.000Z', tags: ['a', 'b'] });
    const values = formValuesFromStream(scheduled);
    expect(values).toMatchObject({ title: scheduled.title, tags: 'a, b' });
    expect(parseLocalInput(values.scheduledAt)?.toISOString()).toBe('2027-01-05T19:30:00.000Z');
    expect(formValuesFromStream(makeStream({ status: 'draft', scheduled_at: null })).scheduledAt).toBe('');
  });

  it('maps the server’s details onto the form’s fields', () => {
    const error = new ApiRequestError(400, {
      code: 'validation_failed',
      message: 'invalid',
      details: [
        { field: 'title', message: 'title is required' },
        { field: 'tags[2]', message: 'each tag must be 1 to 25 printable characters' },
        { field: 'thumbnail_url', message: 'bad url' },
        { field: 'scheduled_at', message: 'must be in the future' },
        { field: 'record_replay', message: 'must be a boolean' },
      ],
    });
    expect(fieldErrorsFromApi(error)).toEqual({
      title: 'title is required',
      tags: 'each tag must be 1 to 25 printable characters',
      thumbnailUrl: 'bad url',
      scheduledAt: 'must be in the future',
      recordReplay: 'must be a boolean',
    });
  });

  it('refuses thumbnails that are not PNG, JPEG or WebP, or larger than 2 MiB', () => {
    expect(checkThumbnailFile(new File(['x'], 'a.png', { type: 'image/png' }))).toBeUndefined();
    expect(checkThumbnailFile(new File(['x'], 'a.gif', { type: 'image/gif' }))).toMatch(/PNG, JPEG or WebP/);
    const big = new File([new Uint8Array(2 * 1024 * 1024 + 1)], 'a.jpg', { type: 'image/jpeg' });
    expect(checkThumbnailFile(big)).toMatch(/2 MiB/);
  });
});
