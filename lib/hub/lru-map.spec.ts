import { LruMap } from './lru-map';

describe('LruMap', () => {
  it('keeps at most its capacity and evicts the least recently used entry', () => {
    const lru = new LruMap<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1); // a is now hot
    lru.set('d', 4);
    expect(lru.size).toBe(3);
    expect(lru.has('b')).toBe(false);
    expect(lru.has('a')).toBe(true);
  });

  it('keeps a hot entry under churn (a clear-all cache would drop it)', () => {
    const lru = new LruMap<string, number>(100);
    lru.set('hot', 0);
    for (let i = 0; i < 10_000; i++) {
      lru.set(`cold${i}`, i);
      expect(lru.get('hot')).toBe(0);
    }
    expect(lru.size).toBe(100);
  });
});
