import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';

export interface PhoneBlockDto {
  blocked_at: string;
  note: string | null;
}

export interface PhoneUserDto {
  id: string;
  created_at: string;
  last_login_at: string | null;
  active_sessions: number;
}

/**
 * An object or null, inline: OpenAPI 3.0 has no nullable `$ref` (its `nullable` needs a `type` beside it).
 * Every property is required (null where nullable).
 */
function nullableObject(properties: Record<string, SchemaObject>, description: string): ApiPropertyOptions {
  // The `required` list is the object's own (ApiPropertyOptions types it as the property's boolean).
  return {
    type: 'object',
    nullable: true,
    description,
    properties,
    required: Object.keys(properties),
  } as unknown as ApiPropertyOptions;
}

const BLOCK_SCHEMA = nullableObject(
  {
    blocked_at: { type: 'string', format: 'date-time', example: '2026-11-20T10:15:04.871Z' },
    note: { type: 'string', nullable: true, example: 'SMS pumping from this range' },
  },
  'null unless an operator blocked the number',
);

const USER_SCHEMA = nullableObject(
  {
    id: { type: 'string', format: 'uuid', example: '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c' },
    created_at: { type: 'string', format: 'date-time', example: '2026-10-01T08:00:00.000Z' },
    last_login_at: { type: 'string', format: 'date-time', nullable: true, example: '2026-11-20T10:15:31.002Z' },
    active_sessions: { type: 'integer', example: 2, description: 'Sessions neither revoked nor expired' },
  },
  'null when nobody signed in with this number',
);

/** What an operator needs to decide on a number: its block, its lock and its user. */
export class PhoneStateDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '+77001234567', description: 'E.164' }) phone_number: string;
  @ApiProperty(BLOCK_SCHEMA)
  blocked: PhoneBlockDto | null;
  @ApiProperty({
    example: '2026-11-20T11:15:04.871Z',
    format: 'date-time',
    nullable: true,
    type: String,
    description: 'When the lock after too many wrong codes ends; null unless a lock is active now',
  })
  locked_until: string | null;
  @ApiProperty(USER_SCHEMA)
  user: PhoneUserDto | null;
}

export class PhoneUnlockedDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '+77001234567' }) phone_number: string;
  @ApiProperty({ example: true, description: 'Whether a lock was active (and is now ended)' }) was_locked: boolean;
}

export class PhoneBlockedDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '+77001234567' }) phone_number: string;
  @ApiProperty({
    example: '2026-11-20T10:15:04.871Z',
    format: 'date-time',
    description: 'When the number was first blocked (blocking again keeps it)',
  })
  blocked_at: string;
  @ApiProperty({ example: false, description: 'Whether it was blocked already (then only the note changed)' })
  was_blocked: boolean;
  @ApiProperty({ example: 1, type: 'integer', description: "Active sessions of the number's user that were ended" })
  sessions_revoked: number;
}

export class PhoneUnblockedDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '+77001234567' }) phone_number: string;
  @ApiProperty({ example: true, description: 'Whether it was blocked' }) was_blocked: boolean;
}
