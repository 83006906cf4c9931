import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { parseSmsPrices } from '../sms-prices';
import { timeRange } from '../time-range';
import { StatsQueryDto } from './stats-query.dto';
import { StatsResponseDto } from './stats-response.dto';
import { StatsRepository } from './stats.repository';

@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/stats')
export class StatsController {
  private readonly prices: Map<string, string>;
  private readonly currency: string;

  constructor(
    private readonly stats: StatsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.prices = parseSmsPrices(config.get('SMS_PRICES', { infer: true }));
    this.currency = config.get('SMS_PRICE_CURRENCY', { infer: true });
  }

  @Get()
  @ApiOperation({
    summary:
      'Codes requested, sent, delivered, failed, verified, expired; conversion, median time to verify, estimated cost',
  })
  @ApiOkResponse({ type: StatsResponseDto })
  @ApiErrorResponses(ErrorCode.ValidationFailed, ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async get(@Query() query: StatsQueryDto): Promise<StatsResponseDto> {
    const { from, to } = timeRange(query.from, query.to, 7, 366);
    const groupBy = query.group_by ?? 'day';
    const { totals, groups } = await this.stats.figures(from, to, groupBy, this.prices);
    return {
      success: true,
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: groupBy,
      currency: this.prices.size > 0 ? this.currency : null,
      totals,
      groups,
    };
  }
}
