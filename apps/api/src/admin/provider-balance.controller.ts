import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { ProviderBalance, ProviderBalanceService } from '@app/sms';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from './admin-key.guard';

class ProviderBalanceErrorDto {
  @ApiProperty({ example: 'SMS_PROVIDER_UNAVAILABLE', description: 'SMS_PROVIDER_*, NOT_SUPPORTED or INTERNAL' })
  code: string;
  @ApiProperty({ example: 'mobizon did not answer within 5000 ms' }) message: string;
  @ApiProperty({
    required: false,
    type: String,
    nullable: true,
    example: 'timeout',
    description: "The vendor's own error code, when it gave one",
  })
  provider_code?: string | null;
}

/** Either `balance` and `currency`, or `error` (why the balance could not be read). */
class ProviderBalanceDto {
  @ApiProperty({ example: 'mobizon' }) provider: string;
  @ApiProperty({
    required: false,
    example: '4043.0656',
    description: 'As the vendor states it (a decimal string, not rounded)',
  })
  balance?: string;
  @ApiProperty({
    required: false,
    type: String,
    nullable: true,
    example: 'KZT',
    description: 'The currency the vendor states; null when its reply names none',
  })
  currency?: string | null;
  @ApiProperty({ required: false, type: ProviderBalanceErrorDto })
  error?: ProviderBalanceErrorDto;
}

class ProviderBalancesResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [ProviderBalanceDto] }) providers: ProviderBalance[];
}

@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller()
export class ProviderBalanceController {
  constructor(private readonly balances: ProviderBalanceService) {}

  @Get('admin/providers/balance')
  @ApiOperation({ summary: 'Balance and currency of every configured SMS provider (admin key)' })
  @ApiOkResponse({ type: ProviderBalancesResponseDto })
  @ApiErrorResponses(ErrorCode.Unauthorized)
  async providerBalances(): Promise<ProviderBalancesResponseDto> {
    return { success: true, providers: await this.balances.balances() };
  }

  @Get('sms-auth/check-balance')
  @ApiOperation({ summary: 'Alias of GET /admin/providers/balance (the path of the original integrations)' })
  @ApiOkResponse({ type: ProviderBalancesResponseDto })
  @ApiErrorResponses(ErrorCode.Unauthorized)
  checkBalance(): Promise<ProviderBalancesResponseDto> {
    return this.providerBalances();
  }
}
