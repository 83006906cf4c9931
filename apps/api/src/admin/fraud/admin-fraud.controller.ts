import { Body, Controller, Delete, Get, HttpCode, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ConfigService } from '@nestjs/config';
import { ApiErrorResponses, Client, type ClientInfo, DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { decodeCursor, encodeCursor, isCursorBigint, isCursorTimestamp } from '../keyset-cursor';
import { noteOf, OperatorNoteDto } from '../phones/operator-note.dto';
import { timeRange } from '../time-range';
import { AdminFraudRepository } from './admin-fraud.repository';
import { FraudDecisionPageDto, FraudSummaryDto, PrefixBlockLiftedDto, PrefixBlocksDto } from './fraud-decision.dto';
import { FraudDecisionsQueryDto, FraudSummaryQueryDto, PREFIX_PATTERN } from './fraud-decisions-query.dto';

const ALL_TIME_DAYS = 365 * 100;
const READ_ERRORS = [ErrorCode.ValidationFailed, ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable];

/** SPEC §10 for operators: the guard's decisions, its prefix blocks, and lifting one. */
@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/fraud')
export class AdminFraudController {
  private readonly currency: string;

  constructor(
    private readonly fraud: AdminFraudRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.currency = config.get('SMS_PRICE_CURRENCY', { infer: true });
  }

  @Get('decisions')
  @ApiOperation({
    summary: "The fraud guard's decisions, newest first, with each rule's figures; keyset-paginated",
  })
  @ApiOkResponse({ type: FraudDecisionPageDto })
  @ApiErrorResponses(...READ_ERRORS)
  async decisions(@Query() query: FraudDecisionsQueryDto): Promise<FraudDecisionPageDto> {
    const { from, to } = timeRange(query.from, query.to, ALL_TIME_DAYS);
    const after = query.cursor
      ? (([createdAt, id]) => ({ createdAt, id }))(
          decodeCursor(query.cursor, 2, ([time, id]) => isCursorTimestamp(time) && isCursorBigint(id)),
        )
      : undefined;
    const limit = query.limit ?? 50;
    const page = await this.fraud.decisions({ ...query, from, to, after, limit });
    return {
      success: true,
      items: page.rows,
      next_cursor: page.more && page.last ? encodeCursor([page.last.createdAt, page.last.id]) : null,
    };
  }

  @Get('blocks')
  @ApiOperation({ summary: 'Active prefix blocks (rule 5, the breaker), newest first' })
  @ApiOkResponse({ type: PrefixBlocksDto })
  @ApiErrorResponses(ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async blocks(): Promise<PrefixBlocksDto> {
    return { success: true, items: await this.fraud.activeBlocks() };
  }

  @Delete('blocks/:prefix')
  @HttpCode(200)
  @ApiOperation({
    summary: "Lift a prefix's block",
    description: 'Audited as fraud_prefix_unblocked with the note; the breaker counts its window afresh.',
  })
  @ApiParam({ name: 'prefix', description: 'The prefix (`+` as %2B, or without it)', example: '+7701123' })
  @ApiBody({ type: OperatorNoteDto, required: false })
  @ApiOkResponse({ type: PrefixBlockLiftedDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.NotFound,
    ErrorCode.Unauthorized,
    ErrorCode.ServiceUnavailable,
  )
  async lift(
    @Param('prefix') input: string,
    @Body() body: OperatorNoteDto,
    @Client() client: ClientInfo,
  ): Promise<PrefixBlockLiftedDto> {
    const prefix = input.startsWith('+') ? input : `+${input}`;
    if (!PREFIX_PATTERN.test(prefix))
      throw new DomainError(ErrorCode.ValidationFailed, 'prefix must be + and 4 to 12 digits', {
        fields: [{ field: 'prefix', messages: ['prefix must be + and 4 to 12 digits'] }],
      });
    const lifted = await this.fraud.lift(prefix, noteOf(body), client);
    if (!lifted) throw new DomainError(ErrorCode.NotFound, `The prefix ${prefix} has no active block`);
    return { success: true, prefix, blocked_until: lifted.blockedUntil };
  }

  @Get('summary')
  @ApiOperation({
    summary: 'Blocked sends per rule and per country, active blocks and the money not spent (default: 24 h)',
  })
  @ApiOkResponse({ type: FraudSummaryDto })
  @ApiErrorResponses(...READ_ERRORS)
  async summary(@Query() query: FraudSummaryQueryDto): Promise<FraudSummaryDto> {
    const { from, to } = timeRange(query.from, query.to, 1);
    const summary = await this.fraud.summary(from, to);
    return {
      success: true,
      from: from.toISOString(),
      to: to.toISOString(),
      allowed: summary.allowed,
      by_rule: summary.byRule,
      by_country: summary.byCountry,
      active_blocks: summary.activeBlocks,
      money_not_spent: summary.moneyNotSpent,
      currency: this.currency,
    };
  }
}
