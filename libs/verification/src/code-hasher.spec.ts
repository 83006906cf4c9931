import * as crypto from 'node:crypto';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { CodeHasher } from './code-hasher';

// Pass-through, so a test can pin the CSPRNG's answer (e.g. to see leading zeros kept).
jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof crypto>('node:crypto');
  return { ...actual, randomInt: jest.fn(actual.randomInt) };
});

const SECRET = 'otp-secret-for-unit-tests-0123456789abcdef';
const VERIFICATION_ID = '0f8e6c1a-3b5d-4e2f-9a7c-1d2e3f4a5b6c';
const randomInt = crypto.randomInt as unknown as jest.Mock;

function createSut(values: { OTP_SECRET?: string; OTP_LENGTH?: number } = {}): CodeHasher {
  const config = { OTP_SECRET: SECRET, OTP_LENGTH: 6, ...values };
  return new CodeHasher({ get: (key: keyof typeof config) => config[key] } as unknown as ConfigService<
    AppConfig,
    true
  >);
}

function expectedHash(secret: string, id: string, code: string): string {
  return crypto.createHmac('sha256', secret).update(`${id}:${code}`).digest('hex');
}

describe(CodeHasher.name, () => {
  afterEach(() => randomInt.mockClear());

  describe('generate', () => {
    it.each([4, 6, 10])('gives %i digits when OTP_LENGTH is %i', (length) => {
      const sut = createSut({ OTP_LENGTH: length });
      for (let i = 0; i < 200; i++) expect(sut.generate()).toMatch(new RegExp(`^\\d{${length}}$`));
    });

    it('draws from the CSPRNG over the whole code space', () => {
      createSut({ OTP_LENGTH: 6 }).generate();
      expect(randomInt).toHaveBeenCalledWith(0, 1_000_000);
    });

    it('keeps leading zeros', () => {
      randomInt.mockReturnValueOnce(42).mockReturnValueOnce(0);
      const sut = createSut({ OTP_LENGTH: 6 });
      expect(sut.generate()).toBe('000042');
      expect(sut.generate()).toBe('000000');
    });

    it('keeps leading zeros of a 10-digit code', () => {
      randomInt.mockReturnValueOnce(7);
      expect(createSut({ OTP_LENGTH: 10 }).generate()).toBe('0000000007');
    });
  });

  describe('hash', () => {
    it('is HMAC-SHA256(OTP_SECRET, verification_id + ":" + code) in hex', () => {
      expect(createSut().hash(VERIFICATION_ID, '123456')).toBe(expectedHash(SECRET, VERIFICATION_ID, '123456'));
    });

    it('depends on the secret', () => {
      const other = createSut({ OTP_SECRET: 'another-otp-secret-for-unit-tests-987654' });
      expect(other.hash(VERIFICATION_ID, '123456')).not.toBe(createSut().hash(VERIFICATION_ID, '123456'));
    });

    it('depends on the verification id, so equal codes of two rows hash differently', () => {
      const sut = createSut();
      expect(sut.hash('id-1', '123456')).not.toBe(sut.hash('id-2', '123456'));
    });

    it('never contains the code in clear', () => {
      expect(createSut().hash(VERIFICATION_ID, '123456')).not.toContain('123456');
    });
  });

  describe('matches', () => {
    const stored = expectedHash(SECRET, VERIFICATION_ID, '123456');

    it('accepts the right code', () => {
      expect(createSut().matches(stored, VERIFICATION_ID, '123456')).toBe(true);
    });

    it.each(['123457', '12345', '', '0123456'])('rejects %p', (candidate) => {
      expect(createSut().matches(stored, VERIFICATION_ID, candidate)).toBe(false);
    });

    it('rejects the right code under another verification id', () => {
      expect(createSut().matches(stored, 'another-verification-id', '123456')).toBe(false);
    });

    it('rejects a hash made with another secret', () => {
      const foreign = expectedHash('another-otp-secret-for-unit-tests-987654', VERIFICATION_ID, '123456');
      expect(createSut().matches(foreign, VERIFICATION_ID, '123456')).toBe(false);
    });

    it.each([
      ['shorter', stored.slice(0, 32)],
      ['longer', `${stored}00`],
      ['empty', ''],
      ['not hex', 'zz'.repeat(32)],
    ])('returns false, without throwing, for a stored hash that is %s', (_, badHash) => {
      expect(() => createSut().matches(badHash, VERIFICATION_ID, '123456')).not.toThrow();
      expect(createSut().matches(badHash, VERIFICATION_ID, '123456')).toBe(false);
    });
  });
});
