import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { AppConfig, parseTestNumbers } from '@app/config';

/** `SMS_TEST_NUMBERS`: numbers with fixed codes (store reviewers, QA), sent through no provider. */
@Injectable()
export class TestNumbers {
  private readonly codes: ReadonlyMap<string, string>;
  private readonly validUntil: Date | null;

  constructor(config: ConfigService<AppConfig, true>) {
    this.codes = parseTestNumbers(
      config.get('SMS_TEST_NUMBERS', { infer: true }),
      config.get('DEFAULT_COUNTRY', { infer: true }),
    );
    const until = config.get('SMS_TEST_NUMBERS_VALID_UNTIL', { infer: true });
    this.validUntil = until ? new Date(until) : null;
  }

  /** The fixed code of an E.164 number, when it is a test number still in force. */
  fixedCodeFor(e164: string, now = new Date()): string | undefined {
    if (this.validUntil && now > this.validUntil) return undefined;
    return this.codes.get(e164);
  }
}
