import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '@app/sms';
import type { CodeRequestResult } from '../verification.service';

export class CodeSentResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: 'Code sent' }) message: string;
  @ApiProperty({ format: 'uuid', example: '0f8e6c1a-3b5d-4e2f-9a7c-1d2e3f4a5b6c' }) verification_id: string;
  @ApiProperty({ example: '+77001234567', description: 'The number in E.164' }) phone_number: string;
  @ApiProperty({
    nullable: true,
    type: String,
    description: "The SMS provider's message id (null for test numbers)",
    example: 'console-6b1f…',
  })
  sms_id: string | null;
  @ApiProperty({
    enum: DELIVERY_CHANNELS,
    description: "The channel of the link that accepted the code ('sms' for test numbers)",
    example: 'sms',
  })
  channel: DeliveryChannel;
  @ApiProperty({ description: 'Seconds until the code expires', example: 300 }) expires_in: number;
  @ApiProperty({ description: 'Seconds until another code can be requested', example: 60 }) resend_after: number;
  @ApiPropertyOptional({
    description: 'Development only (SMS_EXPOSE_CODE=true, never in production)',
    example: '123456',
  })
  debug_code?: string;

  static from(result: CodeRequestResult, message: string): CodeSentResponseDto {
    return {
      success: true,
      message,
      verification_id: result.verificationId,
      phone_number: result.phoneNumber,
      sms_id: result.smsId,
      channel: result.channel,
      expires_in: result.expiresIn,
      resend_after: result.resendAfter,
      ...(result.debugCode !== undefined ? { debug_code: result.debugCode } : {}),
    };
  }
}
