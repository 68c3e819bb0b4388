import { LruMap } from './lru-map';

describe('LruMap', () => {
  it('never holds more than its capacity', () => {
    const lru = new LruMap<number, number>(10);
    for (let i = 0; i < 1000; i++) {
      lru.set(i, i);
      expect(lru.size).toBeLessThanOrEqual(10);
    }
    expect(lru.get(999)).toBe(999);
    expect(lru.has(0)).toBe(false);
  });

  it('keeps a hot entry under churn (a clear-all cache would drop it)', () => {
    const lru = new LruMap<string, number>(100);
    lru.set('hot', 0);
    for (let i = 0; i < 10_000; i++) {
      lru.set(`cold${i}`, i);
      expect(lru.get('hot')).toBe(0);
    }
    expect(lru.size).toBeLessThanOrEqual(100);
  });

  it('drops an entry not used for a capacity of insertions', () => {
    const lru = new LruMap<string, number>(4);
    lru.set('a', 1);
    for (let i = 0; i < 4; i++) lru.set(`x${i}`, i);
    expect(lru.has('a')).toBe(false);
    lru.set('b', 2);
    lru.delete('b');
    expect(lru.has('b')).toBe(false);
  });
});
