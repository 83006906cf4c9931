import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, ErrorCode } from '@app/common';
import { PhoneService } from '@app/phone';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { decodeCursor, encodeCursor, isCursorBigint } from '../keyset-cursor';
import { timeRange } from '../time-range';
import { AdminAuditRepository } from './admin-audit.repository';
import { AuditQueryDto } from './audit-query.dto';
import { AuditPageDto } from './audit-row.dto';

@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/audit')
export class AdminAuditController {
  constructor(
    private readonly audit: AdminAuditRepository,
    private readonly phones: PhoneService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Audit events, newest first; keyset-paginated' })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.InvalidPhone,
    ErrorCode.Unauthorized,
    ErrorCode.ServiceUnavailable,
  )
  async list(@Query() query: AuditQueryDto): Promise<AuditPageDto> {
    const range = query.from || query.to ? timeRange(query.from, query.to, 365 * 100) : undefined;
    const [beforeId] = query.cursor ? decodeCursor(query.cursor, 1, ([id]) => isCursorBigint(id)) : [];
    const limit = query.limit ?? 50;
    const page = await this.audit.page({
      type: query.type,
      phone: query.phone ? this.phones.parse(query.phone).e164 : undefined,
      userId: query.user_id,
      from: range?.from,
      to: range?.to,
      beforeId,
      limit,
    });
    const last = page.rows.at(-1);
    return { success: true, items: page.rows, next_cursor: page.more && last ? encodeCursor([last.id]) : null };
  }
}
