import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';

/** A secret sealed for a job's payload: AES-256-GCM, base64url parts. */
export interface SealedSecret {
  iv: string;
  data: string;
  tag: string;
}

/**
 * Seals what a job must carry but the database must not hold in clear (a one-time code): AES-256-GCM with a key
 * derived from OTP_SECRET by HKDF-SHA256, so pg-boss's job table holds ciphertext only. `context` (the queue and
 * the verification id) is bound as additional data: a sealed code cannot be moved to another job.
 */
@Injectable()
export class JobPayloadCipher {
  private readonly key: Buffer;

  constructor(config: ConfigService<AppConfig, true>) {
    const secret = Buffer.from(config.get('OTP_SECRET', { infer: true }), 'utf8');
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'sms-auth job payload v1', 32));
  }

  seal(plain: string, context: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return {
      iv: iv.toString('base64url'),
      data: data.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
  }

  /** Throws when the payload was altered, sealed for another context, or with another OTP_SECRET. */
  open(sealed: SealedSecret, context: string): string {
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
