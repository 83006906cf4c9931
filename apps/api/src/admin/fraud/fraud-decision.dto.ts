import { ApiProperty } from '@nestjs/swagger';
import { FRAUD_RULES } from './fraud-decisions-query.dto';

export class FraudRuleFigureDto {
  @ApiProperty({ enum: FRAUD_RULES }) rule: string;
  @ApiProperty({ example: 'hour', description: 'day, hour, sends (the breaker window) or block (a standing block)' })
  window: string;
  @ApiProperty({ type: Number, nullable: true, example: 11 }) count: number | null;
  @ApiProperty({ type: Number, example: 10 }) threshold: number;
  @ApiProperty() fired: boolean;
}

export class FraudDecisionDto {
  @ApiProperty({ example: '42' }) id: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'null: the send was refused' })
  verification_id: string | null;
  @ApiProperty({ example: '+77011234567' }) phone_number: string;
  @ApiProperty({ type: String, nullable: true }) ip: string | null;
  @ApiProperty({ type: String, nullable: true, example: 'KZ' }) country: string | null;
  @ApiProperty({ example: '+7701123' }) prefix: string;
  @ApiProperty({ enum: ['record', 'enforce'], description: 'record: a blocked send went out anyway' }) mode: string;
  @ApiProperty({ enum: ['allowed', 'blocked'] }) action: string;
  @ApiProperty({ type: String, nullable: true, description: `The rule that blocked: ${FRAUD_RULES.join(', ')}` })
  rule: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'allow_ip, allow_phone (not judged) or known_phone (judged by the IP rules only)',
  })
  bypass: string | null;
  @ApiProperty({ type: Number, nullable: true }) retry_after: number | null;
  @ApiProperty({ type: String, nullable: true, example: '0.012000', description: 'SMS_PRICES of the send' })
  estimated_cost: string | null;
  @ApiProperty({ type: [FraudRuleFigureDto] }) rules: FraudRuleFigureDto[];
}

export class FraudDecisionPageDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [FraudDecisionDto] }) items: FraudDecisionDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class PrefixBlockDto {
  @ApiProperty({ example: '+7701123' }) prefix: string;
  @ApiProperty({ format: 'date-time' }) blocked_at: string;
  @ApiProperty({ format: 'date-time' }) blocked_until: string;
}

export class PrefixBlocksDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [PrefixBlockDto] }) items: PrefixBlockDto[];
}

export class PrefixBlockLiftedDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: '+7701123' }) prefix: string;
  @ApiProperty({ format: 'date-time', description: 'When the block would have ended' }) blocked_until: string;
}

export class FraudCountDto {
  @ApiProperty({ example: 'prefix_velocity', description: 'The rule, or the country' }) key: string;
  @ApiProperty({ example: 12, description: 'Sends refused (enforce)' }) blocked: number;
  @ApiProperty({ example: 3, description: 'Sends that would have been refused (record)' }) flagged: number;
}

export class FraudSummaryDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ format: 'date-time' }) from: string;
  @ApiProperty({ format: 'date-time' }) to: string;
  @ApiProperty({ example: 1042 }) allowed: number;
  @ApiProperty({ type: [FraudCountDto] }) by_rule: FraudCountDto[];
  @ApiProperty({ type: [FraudCountDto] }) by_country: FraudCountDto[];
  @ApiProperty({ example: 2 }) active_blocks: number;
  @ApiProperty({ example: '1.440000', description: 'Blocked sends (enforce) × their SMS_PRICES' })
  money_not_spent: string;
  @ApiProperty({ example: 'USD' }) currency: string;
}
