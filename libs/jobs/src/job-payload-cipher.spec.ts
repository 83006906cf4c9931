import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { JobPayloadCipher } from './job-payload-cipher';
import { jobIdFor } from './job-queue.service';

const cipherWith = (secret: string) =>
  new JobPayloadCipher({ get: () => secret } as unknown as ConfigService<AppConfig, true>);

describe(JobPayloadCipher.name, () => {
  const sut = cipherWith('a'.repeat(32));

  it('seals a code so that its payload does not contain it, and opens it again', () => {
    const sealed = sut.seal('123456', 'queue:verification-1');
    expect(JSON.stringify(sealed)).not.toContain('123456');
    expect(sut.open(sealed, 'queue:verification-1')).toBe('123456');
  });

  it('refuses a payload of another context, another OTP_SECRET, or altered', () => {
    const sealed = sut.seal('123456', 'queue:verification-1');
    expect(() => sut.open(sealed, 'queue:verification-2')).toThrow();
    expect(() => cipherWith('b'.repeat(32)).open(sealed, 'queue:verification-1')).toThrow();
    const data = Buffer.from(sealed.data, 'base64url');
    data[0] ^= 1;
    expect(() => sut.open({ ...sealed, data: data.toString('base64url') }, 'queue:verification-1')).toThrow();
  });
});

describe('jobIdFor', () => {
  it('derives one UUID per queue and key', () => {
    expect(jobIdFor('q', 'k')).toBe(jobIdFor('q', 'k'));
    expect(jobIdFor('q', 'k')).not.toBe(jobIdFor('q', 'k2'));
    expect(jobIdFor('q', 'k')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
