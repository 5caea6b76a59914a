// The start time is picked in the viewer's time zone and sent as UTC: run
// in a fixed zone without daylight saving (UTC+9) so the shift is known.
import { localInputToUtcIso, toLocalInputValue } from './streamForm';

const previousTz = process.env.TZ;

describe('scheduled time in the viewer’s time zone', () => {
  beforeAll(() => {
    process.env.TZ = 'Asia/Tokyo';
  });
  afterAll(() => {
    process.env.TZ = previousTz;
  });

  it('runs in UTC+9', () => {
    expect(new Date('2027-01-15T00:00:00Z').getTimezoneOffset()).toBe(-540);
  });

  it('converts a local date-time to the UTC instant', () => {
    expect(localInputToUtcIso('2027-01-15T20:30')).toBe('2027-01-15T11:30:00.000Z');
    expect(localInputToUtcIso('2027-01-01T05:00')).toBe('2026-12-31T20:00:00.000Z');
  });

  it('shows a UTC instant as local date-time', () => {
    expect(toLocalInputValue(new Date('2027-01-15T11:30:00Z'))).toBe('2027-01-15T20:30');
  });

  it('rejects what is not a date-time', () => {
    expect(localInputToUtcIso('')).toBeNull();
    expect(localInputToUtcIso('tomorrow')).toBeNull();
  });
});
