import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';

/** Generates codes from a CSPRNG and keeps only HMAC-SHA256(OTP_SECRET, verification_id + ":" + code). */
@Injectable()
export class CodeHasher {
  private readonly secret: Buffer;
  private readonly length: number;

  constructor(config: ConfigService<AppConfig, true>) {
    const secret: string = config.get('OTP_SECRET', { infer: true });
    this.secret = Buffer.from(secret, 'utf8');
    this.length = config.get('OTP_LENGTH', { infer: true });
  }

  generate(): string {
    return randomInt(0, 10 ** this.length)
      .toString()
      .padStart(this.length, '0');
  }

  hash(verificationId: string, code: string): string {
    return createHmac('sha256', this.secret).update(`${verificationId}:${code}`).digest('hex');
  }

  /** Constant-time: the comparison takes as long for a near miss as for a wild guess. */
  matches(storedHash: string, verificationId: string, candidate: string): boolean {
    const expected = Buffer.from(storedHash, 'hex');
    const actual = Buffer.from(this.hash(verificationId, candidate), 'hex');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}
