import { isoString } from './iso-date';

describe('isoString', () => {
  it('writes what toISOString() writes, across the years and the padding of every field', () => {
    const dates = [
      new Date(0),
      new Date(Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
      new Date(Date.UTC(1999, 11, 31, 0, 0, 0, 7)),
      new Date('0005-03-04T05:06:07.089Z'),
      new Date('0099-12-31T23:59:59.999Z'),
      new Date('0999-01-01T00:00:00.000Z'),
      new Date('9999-12-31T23:59:59.999Z'),
      new Date('+010000-01-01T00:00:00.000Z'),
      new Date('-000001-12-31T23:59:59.999Z'),
      new Date(-8.64e15),
      new Date(8.64e15),
    ];
    let seed = 42;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      dates.push(new Date((seed / 2 ** 31) * 5e14 - 2.5e14));
    }
    for (const date of dates) {
      expect(isoString(date)).toBe(date.toISOString());
    }
  });

  it('throws on an invalid date, as toISOString() does', () => {
    expect(() => isoString(new Date(NaN))).toThrow(RangeError);
  });
});
