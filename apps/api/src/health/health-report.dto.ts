import { ApiProperty } from '@nestjs/swagger';
import { HEALTH_INDICATOR_SCHEMA } from '@app/common';

type Indicators = Record<string, { status: 'up' | 'down' }>;

/** A 200 of /health and /health/ready: Terminus's report (a 503 is an ErrorResponseDto with `checks`). */
export class HealthReportDto {
  @ApiProperty({ example: 'ok', description: '`ok` when every fatal check is up' })
  status: string;

  @ApiProperty({
    type: Object,
    additionalProperties: HEALTH_INDICATOR_SCHEMA,
    nullable: true,
    required: false,
    example: { database: { status: 'up' } },
    description: 'The checks that are up',
  })
  info?: Indicators | null;

  @ApiProperty({
    type: Object,
    additionalProperties: HEALTH_INDICATOR_SCHEMA,
    nullable: true,
    required: false,
    example: {},
    description: 'The checks that are down (on a 200, only non-fatal ones such as Redis: `degraded: true`)',
  })
  error?: Indicators | null;

  @ApiProperty({
    type: Object,
    additionalProperties: HEALTH_INDICATOR_SCHEMA,
    required: false,
    example: { database: { status: 'up' } },
    description: 'Every check',
  })
  details?: Indicators;
}
