import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { ProviderBalance, ProviderBalanceService } from '@app/sms';
import { AdminKeyGuard } from './admin-key.guard';

class ProviderBalanceDto {
  @ApiProperty({ example: 'mobizon' }) provider: string;
  @ApiProperty({
    required: false,
    example: '4043.0656',
    description: 'As the vendor states it (a decimal string, not rounded)',
  })
  balance?: string;
  @ApiProperty({ required: false, nullable: true, example: 'KZT' }) currency?: string | null;
  @ApiProperty({
    required: false,
    example: {
      code: 'SMS_PROVIDER_UNAVAILABLE',
      message: 'mobizon did not answer within 5000 ms',
      provider_code: 'timeout',
    },
  })
  error?: { code: string; message: string; provider_code?: string | null };
}

class ProviderBalancesResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [ProviderBalanceDto] }) providers: ProviderBalance[];
}

@ApiTags('admin')
@ApiBearerAuth()
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
