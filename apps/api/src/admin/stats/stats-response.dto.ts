import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { STATS_GROUPINGS, type StatsGrouping } from './stats-query.dto';

export class StatsFiguresDto {
  @ApiProperty({ example: 120, description: 'Codes requested (send and resend)' }) requested: number;
  @ApiProperty({ example: 118, description: 'Codes a provider accepted' }) sent: number;
  @ApiProperty({ example: 110, description: 'Codes whose SMS was reported delivered' }) delivered: number;
  @ApiProperty({ example: 3, description: 'Codes no provider accepted, or whose delivery failed or expired' })
  failed: number;
  @ApiProperty({ example: 97, description: 'Codes verified (logins)' }) verified: number;
  @ApiProperty({ example: 12, description: 'Codes that ran out of time unused' }) expired: number;
  @ApiProperty({ example: 2, description: 'Codes closed after too many wrong tries' }) max_attempts: number;
  @ApiProperty({ example: 0.8083, nullable: true, type: Number, description: 'verified / requested' }) conversion_rate:
    number | null;
  @ApiProperty({
    example: 21.5,
    nullable: true,
    type: Number,
    description: 'Median seconds from sending a code to verifying it',
  })
  median_seconds_to_verify: number | null;
  @ApiProperty({
    example: '1.4160',
    description:
      'Sum over the delivery attempts of the codes: the cost the vendor stated for the attempt (in `currency`), ' +
      'else, for an accepted attempt, the SMS_PRICES of its provider; a decimal string',
  })
  estimated_cost: string;
  @ApiPropertyOptional({
    example: '0.3120',
    description:
      'group_by=channel only. For the codes of telegram and whatsapp that a link accepted: what each would have ' +
      "cost by SMS (SMS_PRICES of the first priced SMS link of its country's chain, else of the cheapest priced " +
      'SMS provider) minus what it cost (estimated_cost, every attempt of it); codes with no known SMS price ' +
      'count 0, sms codes 0. Negative when the fallbacks cost more than they saved. A decimal string.',
  })
  saved_vs_sms?: string;
}

export class StatsGroupDto extends StatsFiguresDto {
  @ApiProperty({
    example: '2026-11-20',
    description:
      'The day (UTC), the provider (`none`: no provider accepted), the country (`unknown`) or the channel ' +
      '(`sms`, `telegram`, `whatsapp`; `none`: no link accepted)',
  })
  key: string;
}

export class StatsResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '2026-11-13T00:00:00.000Z' }) from: string;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) to: string;
  @ApiProperty({ example: 'day', enum: STATS_GROUPINGS }) group_by: StatsGrouping;
  @ApiProperty({
    example: 'USD',
    nullable: true,
    type: String,
    description:
      'Currency of estimated_cost and saved_vs_sms (SMS_PRICE_CURRENCY; a vendor-stated cost in another ' +
      'currency is replaced by SMS_PRICES); null when no price is configured and no vendor stated a cost',
  })
  currency: string | null;
  @ApiProperty({ type: StatsFiguresDto }) totals: StatsFiguresDto;
  @ApiProperty({ type: [StatsGroupDto] }) groups: StatsGroupDto[];
}
