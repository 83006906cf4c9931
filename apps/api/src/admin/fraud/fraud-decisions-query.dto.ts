import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsIP, IsISO31661Alpha2, IsOptional, Matches } from 'class-validator';
import { IsInstant } from '@app/common';
import { PageQueryDto } from '../page-query.dto';

/** SPEC §10's rules, by the names decisions and SEND_BLOCKED give them. */
export const FRAUD_RULES = [
  'ip_countries',
  'country_unverified',
  'ip_unverified',
  'prefix_velocity',
  'prefix_breaker',
  'country_spend',
] as const;

export const PREFIX_PATTERN = /^\+\d{4,12}$/;

export class FraudDecisionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['allowed', 'blocked'] })
  @IsOptional()
  @IsIn(['allowed', 'blocked'])
  action?: 'allowed' | 'blocked';

  @ApiPropertyOptional({ enum: FRAUD_RULES, description: 'The rule that blocked' })
  @IsOptional()
  @IsIn(FRAUD_RULES)
  rule?: string;

  @ApiPropertyOptional({ example: 'KZ' })
  @IsOptional()
  @IsISO31661Alpha2()
  country?: string;

  @ApiPropertyOptional({ description: 'The number without its last 4 digits (`+` as %2B)', example: '+7701234' })
  @IsOptional()
  @Matches(PREFIX_PATTERN, { message: 'prefix must be + and 4 to 12 digits' })
  prefix?: string;

  @ApiPropertyOptional({ example: '203.0.113.7' })
  @IsOptional()
  @IsIP()
  ip?: string;
}

/** The window of the summary: the last 24 h unless given. */
export class FraudSummaryQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' }) @IsOptional() @IsInstant() from?: string;
  @ApiPropertyOptional({ example: '2026-11-02T00:00:00Z' }) @IsOptional() @IsInstant() to?: string;
}
