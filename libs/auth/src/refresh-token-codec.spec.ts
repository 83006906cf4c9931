import { createHash } from 'node:crypto';
import { generateRefreshToken, hashRefreshToken } from './refresh-token-codec';

describe(generateRefreshToken.name, () => {
  it('is 43 base64url characters (256 bits, no padding)', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
  });

  it('never repeats across 1000 draws', () => {
    const tokens = Array.from({ length: 1000 }, generateRefreshToken);
    expect(tokens.every((token) => /^[A-Za-z0-9_-]{43}$/.test(token))).toBe(true);
    expect(new Set(tokens).size).toBe(1000);
  });
});

describe(hashRefreshToken.name, () => {
  it('is the SHA-256 of the token in hex', () => {
    const token = generateRefreshToken();
    expect(hashRefreshToken(token)).toBe(createHash('sha256').update(token, 'utf8').digest('hex'));
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is stable and tells tokens apart', () => {
    const [a, b] = [generateRefreshToken(), generateRefreshToken()];
    expect(hashRefreshToken(a)).toBe(hashRefreshToken(a));
    expect(hashRefreshToken(a)).not.toBe(hashRefreshToken(b));
  });

  it('matches a known vector', () => {
    expect(hashRefreshToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
