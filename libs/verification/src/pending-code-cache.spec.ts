import { PendingCodeCache } from './pending-code-cache';

describe('PendingCodeCache', () => {
  const code = (n: number) => ({ id: `verification-${n}`, codeHash: `hash-${n}` });

  it('recalls the latest code remembered for a phone, and nothing once forgotten', () => {
    const cache = new PendingCodeCache(10, 60_000);
    cache.remember('+77010000001', code(1));
    cache.remember('+77010000001', code(2));
    expect(cache.recall('+77010000001')).toEqual(code(2));
    expect(cache.recall('+77010000002')).toBeNull();
    cache.forget('+77010000001');
    expect(cache.recall('+77010000001')).toBeNull();
  });

  it('forgets a code once its time to live has passed', () => {
    let now = 1_000;
    const cache = new PendingCodeCache(10, 300_000, () => now);
    cache.remember('+77010000001', code(1));
    now += 299_999;
    expect(cache.recall('+77010000001')).toEqual(code(1));
    now += 1;
    expect(cache.recall('+77010000001')).toBeNull();
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, dropping the phone remembered longest ago', () => {
    const cache = new PendingCodeCache(2, 60_000);
    cache.remember('+77010000001', code(1));
    cache.remember('+77010000002', code(2));
    cache.remember('+77010000001', code(3)); // remembered again: now the newest
    cache.remember('+77010000003', code(4));
    expect(cache.size).toBe(2);
    expect(cache.recall('+77010000002')).toBeNull();
    expect(cache.recall('+77010000001')).toEqual(code(3));
    expect(cache.recall('+77010000003')).toEqual(code(4));
  });
});
