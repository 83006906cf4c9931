import { ApiProperty } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { ErrorCode } from '../error-code';

/** One invalid field of a VALIDATION_FAILED error. */
export class FieldErrorDto {
  @ApiProperty({ example: 'phone_number', description: 'The field, dotted for nested ones (`a.b`)' })
  field: string;

  @ApiProperty({ type: [String], example: ['phone_number must be a string'] })
  messages: string[];
}

/** The state of one dependency, as /health/ready reports it (Terminus): `status` plus what the check adds. */
export const HEALTH_INDICATOR_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['up', 'down'] } },
  additionalProperties: true,
};

export class ErrorBodyDto {
  @ApiProperty({
    enum: ErrorCode,
    example: ErrorCode.CodeInvalid,
    description: 'Stable code: branch on this, not on the message',
  })
  code: ErrorCode;

  @ApiProperty({ example: 'The code is wrong' })
  message: string;

  @ApiProperty({
    required: false,
    type: [FieldErrorDto],
    description: 'VALIDATION_FAILED: what is wrong with each field (absent when the body itself is unreadable)',
  })
  fields?: FieldErrorDto[];

  @ApiProperty({
    required: false,
    example: 'entity.parse.failed',
    description:
      'VALIDATION_FAILED of a body or request refused before any route (e.g. unreadable JSON); SEND_BLOCKED: the ' +
      'fraud guard rule that refused the send (ip_countries, country_unverified, ip_unverified, prefix_velocity, ' +
      'prefix_breaker, country_spend)',
  })
  reason?: string;

  @ApiProperty({
    required: false,
    type: 'integer',
    example: 4,
    description: 'CODE_INVALID: wrong tries left for this code (0 with MAX_ATTEMPTS_REACHED)',
  })
  attempts_left?: number;

  @ApiProperty({
    required: false,
    type: 'integer',
    example: 60,
    description: '429/423: seconds until a retry can succeed (also in Retry-After)',
  })
  retry_after?: number;

  @ApiProperty({
    required: false,
    example: 'phone_hour',
    description: 'RATE_LIMITED / RESEND_TOO_SOON: the limit that was hit (ip, phone_hour, phone_day, phone_cooldown)',
  })
  limit?: string;

  @ApiProperty({
    required: false,
    format: 'date-time',
    example: '2026-01-01T12:00:00.000Z',
    description: 'PHONE_LOCKED: when the lock ends',
  })
  locked_until?: string;

  @ApiProperty({
    required: false,
    example: 'US',
    description: 'COUNTRY_NOT_ALLOWED, CHANNEL_UNAVAILABLE: the ISO code of the number',
  })
  country?: string;

  @ApiProperty({
    required: false,
    enum: ['sms', 'telegram', 'whatsapp'],
    example: 'telegram',
    description: "CHANNEL_UNAVAILABLE: the channel asked for, of which the number's chain has no link",
  })
  channel?: string;

  @ApiProperty({ required: false, example: 'mobizon', description: 'SMS_PROVIDER_*: the vendor that failed' })
  provider?: string;

  @ApiProperty({
    required: false,
    type: String,
    example: '2',
    description: "SMS_PROVIDER_*: the vendor's own error code (null when the vendor gave none)",
    nullable: true,
  })
  provider_code?: string | null;

  @ApiProperty({
    required: false,
    type: Object,
    additionalProperties: HEALTH_INDICATOR_SCHEMA,
    example: { database: { status: 'down', message: 'timeout' } },
    description: 'SERVICE_UNAVAILABLE from /health/ready: the state of each dependency',
  })
  checks?: Record<string, { status: 'up' | 'down' }>;
}

export class ErrorResponseDto {
  @ApiProperty({ example: false }) success: false;
  @ApiProperty({ type: ErrorBodyDto }) error: ErrorBodyDto;
}
