import { isWeakSecret } from './secret-strength';

describe(isWeakSecret.name, () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['31 random characters', 'Jq7vT2mXr9LpB4nW8kZc1HdY6sGf3Ra'],
    ['a placeholder', 'change-me-change-me-change-me-change-me'],
    ['a placeholder in capitals', 'MY-SUPER-SECRET-JWT-SIGNING-KEY-VALUE-2026'],
    ['an example value', 'example-jwt-signing-key-Qw9Zt4Lm2Vb7Nc'],
    ['a run of digits', '12345678901234567890123456789012'],
    ['low variety', 'abcdefghijkabcdefghijkabcdefghijk'],
  ])('is weak: %s', (_, value) => {
    expect(isWeakSecret(value)).toBe(true);
  });

  it.each([
    ['32 random characters', 'Jq7vT2mXr9LpB4nW8kZc1HdY6sGf3RaE'],
    ['a base64url value of 48 random bytes', 'pV3kM8wQz2Lr7Tn5Xc9Bh4Jd6Fs1Gy0AeUo2Ki-Rt_Wn8Sl3Hm5Pq7Vx1Zc4Ej6Ob9Da'],
  ])('is strong: %s', (_, value) => {
    expect(isWeakSecret(value)).toBe(false);
  });
});
