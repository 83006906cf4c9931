import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ConfigService } from '@nestjs/config';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { type AppConfig, parseSmsPrices } from '@app/config';
import { PhoneService } from '@app/phone';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { decodeCursor, encodeCursor, isCursorTimestamp, UUID_PATTERN } from '../keyset-cursor';
import { timeRange } from '../time-range';
import { type AttemptPricing, AdminVerificationsRepository } from './admin-verifications.repository';
import { VerificationPageDto } from './verification-row.dto';
import { VerificationsQueryDto } from './verifications-query.dto';

const ALL_TIME_DAYS = 365 * 100;

@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/verifications')
export class AdminVerificationsController {
  private readonly pricing: AttemptPricing;

  constructor(
    private readonly verifications: AdminVerificationsRepository,
    private readonly phones: PhoneService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.pricing = {
      prices: parseSmsPrices(config.get('SMS_PRICES', { infer: true })),
      currency: config.get('SMS_PRICE_CURRENCY', { infer: true }),
    };
  }

  @Get()
  @ApiOperation({
    summary: 'Codes, newest first, with their delivery attempts (never the code hash); keyset-paginated',
  })
  @ApiOkResponse({ type: VerificationPageDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.InvalidPhone,
    ErrorCode.Unauthorized,
    ErrorCode.ServiceUnavailable,
  )
  async list(@Query() query: VerificationsQueryDto): Promise<VerificationPageDto> {
    const { from, to } = timeRange(query.from, query.to, ALL_TIME_DAYS);
    const after = query.cursor
      ? (([createdAt, id]) => ({ createdAt, id }))(
          decodeCursor(query.cursor, 2, ([time, id]) => isCursorTimestamp(time) && UUID_PATTERN.test(id)),
        )
      : undefined;
    const limit = query.limit ?? 50;
    const page = await this.verifications.page(
      {
        phone: query.phone ? this.phones.parse(query.phone).e164 : undefined,
        status: query.status,
        provider: query.provider,
        from,
        to,
        after,
        limit,
      },
      this.pricing,
    );
    return {
      success: true,
      items: page.rows,
      next_cursor: page.more && page.last ? encodeCursor([page.last.createdAt, page.last.id]) : null,
    };
  }
}
