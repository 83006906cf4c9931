import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { type AppConfig, parseSmsPrices } from '@app/config';
import { SMS_PROVIDERS, SmsDispatcher, type SmsProvider } from '@app/sms';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { timeRange } from '../time-range';
import { StatsQueryDto } from './stats-query.dto';
import { StatsResponseDto } from './stats-response.dto';
import { type StatsPricing, StatsRepository } from './stats.repository';
import { smsPricePerCode } from './sms-price-per-code';

@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/stats')
export class StatsController {
  private readonly pricing: StatsPricing;

  constructor(
    private readonly stats: StatsRepository,
    config: ConfigService<AppConfig, true>,
    dispatcher: SmsDispatcher,
    @Inject(SMS_PROVIDERS) providers: ReadonlyMap<string, SmsProvider>,
  ) {
    const prices = parseSmsPrices(config.get('SMS_PRICES', { infer: true }));
    this.pricing = {
      prices,
      currency: config.get('SMS_PRICE_CURRENCY', { infer: true }),
      // The chains are the dispatcher's (SMS_ROUTES, SMS_PROVIDER, test mode) and fixed at boot.
      smsPricePerCode: smsPricePerCode(
        dispatcher.routedCountries(),
        (country) => dispatcher.chainFor(country),
        providers.values(),
        prices,
      ),
    };
  }

  @Get()
  @ApiOperation({
    summary:
      'Codes requested, sent, delivered, failed, verified, expired; conversion, median time to verify, estimated ' +
      'cost; per channel also the money saved against sending every code by SMS',
  })
  @ApiOkResponse({ type: StatsResponseDto })
  @ApiErrorResponses(ErrorCode.ValidationFailed, ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async get(@Query() query: StatsQueryDto): Promise<StatsResponseDto> {
    const { from, to } = timeRange(query.from, query.to, 7, 366);
    const groupBy = query.group_by ?? 'day';
    const { totals, groups, vendorCosts } = await this.stats.figures(from, to, groupBy, this.pricing);
    return {
      success: true,
      from: from.toISOString(),
      to: to.toISOString(),
      group_by: groupBy,
      currency: this.pricing.prices.size > 0 || vendorCosts ? this.pricing.currency : null,
      totals,
      groups,
    };
  }
}
