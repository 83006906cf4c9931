import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, Client, type ClientInfo, DomainError, ErrorCode } from '@app/common';
import { ADMIN_KEY_SECURITY, AdminKeyGuard } from '../admin-key.guard';
import { noteOf, OperatorNoteDto } from '../phones/operator-note.dto';
import { AdminUsersRepository } from './admin-users.repository';
import { UserIdParamDto } from './user-id-param.dto';
import { UserSessionsRevokedDto } from './user-sessions-revoked.dto';

/** SPEC §7: operators end a user's sessions. Audited. */
@ApiTags('admin')
@ApiBearerAuth(ADMIN_KEY_SECURITY)
@UseGuards(AdminKeyGuard)
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersRepository) {}

  @Post(':id/revoke-sessions')
  @HttpCode(200)
  @ApiOperation({
    summary: 'End every active session of a user: its refresh tokens are refused, its access tokens stop working',
    description: 'Audited as user_sessions_revoked, plus session_revoked per session.',
  })
  @ApiBody({ type: OperatorNoteDto, required: false })
  @ApiOkResponse({ type: UserSessionsRevokedDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.Unauthorized,
    ErrorCode.NotFound,
    ErrorCode.ServiceUnavailable,
  )
  async revokeSessions(
    @Param() params: UserIdParamDto,
    @Body() body: OperatorNoteDto,
    @Client() client: ClientInfo,
  ): Promise<UserSessionsRevokedDto> {
    const result = await this.users.revokeSessions(params.id, noteOf(body), client);
    if (!result) throw new DomainError(ErrorCode.NotFound, 'There is no user with this id');
    return { success: true, user_id: params.id, sessions_revoked: result.sessionsRevoked };
  }
}
