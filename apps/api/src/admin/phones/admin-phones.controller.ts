import { Body, Controller, Delete, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, Client, type ClientInfo, ErrorCode } from '@app/common';
import { PhoneService } from '@app/phone';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { AdminPhonesRepository } from './admin-phones.repository';
import { noteOf, OperatorNoteDto } from './operator-note.dto';
import { PhoneBlockedDto, PhoneStateDto, PhoneUnblockedDto, PhoneUnlockedDto } from './phone-state.dto';

const PHONE_PARAM = {
  name: 'phone',
  description: 'Any form send-code accepts: E.164 (its `+` URL-encoded as %2B in a raw URL), or digits',
  example: '+77001234567',
};
const NOTE_BODY = { type: OperatorNoteDto, required: false };
const ACTION_ERRORS = [
  ErrorCode.ValidationFailed,
  ErrorCode.InvalidPhone,
  ErrorCode.Unauthorized,
  ErrorCode.ServiceUnavailable,
];

/** SPEC §7: operators look a number up, end its lock, block and unblock it. Each action is audited. */
@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/phones')
export class AdminPhonesController {
  constructor(
    private readonly phones: AdminPhonesRepository,
    private readonly phoneNumbers: PhoneService,
  ) {}

  @Get(':phone')
  @ApiOperation({ summary: "A number's block, its active lock and its user with the count of active sessions" })
  @ApiParam(PHONE_PARAM)
  @ApiOkResponse({ type: PhoneStateDto })
  @ApiErrorResponses(ErrorCode.InvalidPhone, ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async state(@Param('phone') input: string): Promise<PhoneStateDto> {
    const phone = this.e164(input);
    return { success: true, phone_number: phone, ...(await this.phones.state(phone)) };
  }

  @Post(':phone/unlock')
  @HttpCode(200)
  @ApiOperation({
    summary: 'End the lock after too many wrong codes',
    description: 'The wrong codes so far stop counting. Audited as phone_unlocked, also when there was no lock.',
  })
  @ApiParam(PHONE_PARAM)
  @ApiBody(NOTE_BODY)
  @ApiOkResponse({ type: PhoneUnlockedDto })
  @ApiErrorResponses(...ACTION_ERRORS)
  async unlock(
    @Param('phone') input: string,
    @Body() body: OperatorNoteDto,
    @Client() client: ClientInfo,
  ): Promise<PhoneUnlockedDto> {
    const phone = this.e164(input);
    const { wasLocked } = await this.phones.unlock(phone, noteOf(body), client);
    return { success: true, phone_number: phone, was_locked: wasLocked };
  }

  @Post(':phone/block')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Block a number: send, resend and verify answer PHONE_BLOCKED',
    description:
      "Ends every active session of the number's user and cancels its pending code. Blocking again replaces " +
      'the note. Audited as phone_blocked, plus session_revoked per session.',
  })
  @ApiParam(PHONE_PARAM)
  @ApiBody(NOTE_BODY)
  @ApiOkResponse({ type: PhoneBlockedDto })
  @ApiErrorResponses(...ACTION_ERRORS)
  async block(
    @Param('phone') input: string,
    @Body() body: OperatorNoteDto,
    @Client() client: ClientInfo,
  ): Promise<PhoneBlockedDto> {
    const phone = this.e164(input);
    const result = await this.phones.block(phone, noteOf(body), client);
    return {
      success: true,
      phone_number: phone,
      blocked_at: result.blockedAt,
      was_blocked: result.wasBlocked,
      sessions_revoked: result.sessionsRevoked,
    };
  }

  @Delete(':phone/block')
  @ApiOperation({
    summary: 'Unblock a number',
    description: 'Audited as phone_unblocked, also when it was not blocked.',
  })
  @ApiParam(PHONE_PARAM)
  @ApiBody(NOTE_BODY)
  @ApiOkResponse({ type: PhoneUnblockedDto })
  @ApiErrorResponses(...ACTION_ERRORS)
  async unblock(
    @Param('phone') input: string,
    @Body() body: OperatorNoteDto,
    @Client() client: ClientInfo,
  ): Promise<PhoneUnblockedDto> {
    const phone = this.e164(input);
    const { wasBlocked } = await this.phones.unblock(phone, noteOf(body), client);
    return { success: true, phone_number: phone, was_blocked: wasBlocked };
  }

  /** Normalised as send-code does (same DEFAULT_COUNTRY), so the block and the lock match its rows. */
  private e164(input: string): string {
    return this.phoneNumbers.parse(input).e164;
  }
}
