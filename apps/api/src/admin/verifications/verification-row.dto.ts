import { ApiProperty } from '@nestjs/swagger';
import { DELIVERY_CHANNELS } from '@app/sms';

export class DeliveryAttemptDto {
  @ApiProperty({ example: 1 }) attempt_number: number;
  @ApiProperty({ example: 'mobizon' }) provider: string;
  @ApiProperty({ example: 'sms', enum: DELIVERY_CHANNELS, description: 'The channel of the provider' })
  channel: string;
  @ApiProperty({
    example: '0.012',
    nullable: true,
    type: String,
    description:
      'What the attempt cost, a decimal string: as the vendor stated it, else (an accepted attempt) the ' +
      'SMS_PRICES of its provider; null when neither is known',
  })
  cost: string | null;
  @ApiProperty({
    example: 'USD',
    nullable: true,
    type: String,
    description: "The vendor's currency, or SMS_PRICE_CURRENCY for an SMS_PRICES figure; null with no cost",
  })
  cost_currency: string | null;
  @ApiProperty({
    example: 'sms_prices',
    nullable: true,
    type: String,
    description: 'Where `cost` comes from: `vendor` (stated by it) or `sms_prices` (estimated); null with no cost',
  })
  cost_source: 'vendor' | 'sms_prices' | null;
  @ApiProperty({ example: '70000005678', nullable: true, type: String }) message_id: string | null;
  @ApiProperty({ example: 'delivered', enum: ['queued', 'sent', 'delivered', 'read', 'failed', 'expired', 'unknown'] })
  status: string;
  @ApiProperty({ example: 'DELIVRD', nullable: true, type: String }) provider_status: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) error_code: string | null;
  @ApiProperty({ example: null, nullable: true, type: String }) error_message: string | null;
  @ApiProperty({ example: '2026-11-20T10:15:05.120Z' }) created_at: string;
  @ApiProperty({ example: '2026-11-20T10:15:09.004Z' }) updated_at: string;
}

/** One code as operators see it: everything but its hash. */
export class VerificationRowDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: '+77001234567' }) phone_number: string;
  @ApiProperty({ example: 'KZ', nullable: true, type: String }) country: string | null;
  @ApiProperty({ example: 'approved' }) status: string;
  @ApiProperty({ example: 1 }) attempts: number;
  @ApiProperty({ example: 5 }) max_attempts: number;
  @ApiProperty({ example: 'ru' }) locale: string;
  @ApiProperty({ example: 'mobizon', nullable: true, type: String }) provider: string | null;
  @ApiProperty({ example: '70000005678', nullable: true, type: String }) sms_id: string | null;
  @ApiProperty({ example: 'delivered', nullable: true, type: String }) delivery_status: string | null;
  @ApiProperty({ example: false }) is_test_number: boolean;
  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String }) ip: string | null;
  @ApiProperty({ example: 'MyApp/2.1 (iOS 17)', nullable: true, type: String }) user_agent: string | null;
  @ApiProperty({ example: '2026-11-20T10:15:04.871Z' }) created_at: string;
  @ApiProperty({ example: '2026-11-20T10:20:04.871Z' }) expires_at: string;
  @ApiProperty({ example: '2026-11-20T10:15:31.002Z', nullable: true, type: String }) verified_at: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) user_id: string | null;
  @ApiProperty({ type: [DeliveryAttemptDto] }) deliveries: DeliveryAttemptDto[];
}

export class VerificationPageDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [VerificationRowDto] }) items: VerificationRowDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  next_cursor: string | null;
}
