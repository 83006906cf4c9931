import { ApiProperty } from '@nestjs/swagger';

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
  @ApiProperty({ example: '1.4160', description: 'Accepted SMS × SMS_PRICES, as a decimal string' })
  estimated_cost: string;
}

export class StatsGroupDto extends StatsFiguresDto {
  @ApiProperty({
    example: '2026-11-20',
    description: 'The day (UTC), the provider (`none`: no provider accepted) or the country (`unknown`)',
  })
  key: string;
}

export class StatsResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '2026-11-13T00:00:00.000Z' }) from: string;
  @ApiProperty({ example: '2026-11-20T00:00:00.000Z' }) to: string;
  @ApiProperty({ example: 'day' }) group_by: string;
  @ApiProperty({
    example: 'USD',
    nullable: true,
    type: String,
    description: 'Currency of estimated_cost (SMS_PRICE_CURRENCY)',
  })
  currency: string | null;
  @ApiProperty({ type: StatsFiguresDto }) totals: StatsFiguresDto;
  @ApiProperty({ type: [StatsGroupDto] }) groups: StatsGroupDto[];
}
