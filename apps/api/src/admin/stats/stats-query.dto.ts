import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { IsInstant } from '@app/common';

export const STATS_GROUPINGS = ['day', 'provider', 'country', 'channel'] as const;
export type StatsGrouping = (typeof STATS_GROUPINGS)[number];

export class StatsQueryDto {
  @ApiPropertyOptional({
    description: 'Start (inclusive), ISO 8601; default: 7 days before `to`',
    example: '2026-11-01T00:00:00Z',
  })
  @IsOptional()
  @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'End (exclusive), ISO 8601; default: now', example: '2026-11-08T00:00:00Z' })
  @IsOptional()
  @IsInstant()
  to?: string;

  @ApiPropertyOptional({
    enum: STATS_GROUPINGS,
    default: 'day',
    description:
      'day (UTC), provider (the vendor that sent the code), country, or channel (sms, telegram, whatsapp: the ' +
      'channel of the link that delivered the code, else of the last link that accepted it)',
  })
  @IsOptional()
  @IsIn(STATS_GROUPINGS)
  group_by?: StatsGrouping;
}
