import { ApiProperty } from '@nestjs/swagger';
import { ErrorCode } from '../error-code';

export class ErrorBodyDto {
  @ApiProperty({
    enum: ErrorCode,
    example: ErrorCode.CodeInvalid,
    description: 'Stable code: branch on this, not on the message',
  })
  code: ErrorCode;

  @ApiProperty({ example: 'The code is wrong' })
  message: string;

  @ApiProperty({ required: false, example: 4, description: 'CODE_INVALID: wrong tries left for this code' })
  attempts_left?: number;

  @ApiProperty({
    required: false,
    example: 60,
    description: '429/423: seconds until a retry can succeed (also in Retry-After)',
  })
  retry_after?: number;

  @ApiProperty({ required: false, example: 'mobizon', description: 'SMS_PROVIDER_*: the vendor that failed' })
  provider?: string;

  @ApiProperty({
    required: false,
    example: '2',
    description: "SMS_PROVIDER_*: the vendor's own error code",
    nullable: true,
  })
  provider_code?: string | null;
}

export class ErrorResponseDto {
  @ApiProperty({ example: false }) success: false;
  @ApiProperty({ type: ErrorBodyDto }) error: ErrorBodyDto;
}
