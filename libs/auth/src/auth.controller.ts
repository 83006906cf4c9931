import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, Client, ClientInfo, ErrorCode } from '@app/common';
import { AccessTokenGuard, AuthenticatedRequest } from './access-token.guard';
import { AuthService } from './auth.service';
import { RefreshTokenRequestDto } from './dto/refresh-token-request.dto';
import { LogoutAllResponseDto, SessionDto, SessionIdParamDto, SessionsResponseDto } from './dto/session.dto';
import { SuccessResponseDto, TokenResponseDto } from './dto/token-response.dto';
import { MeResponseDto, UserDto } from './dto/user.dto';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Trade a refresh token for a new pair (rotation). A repeat within REFRESH_REUSE_GRACE_SECONDS gets a second ' +
      'working pair; reusing an old one later revokes the session.',
  })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.Unauthorized,
    ErrorCode.RefreshTokenReused,
    ErrorCode.ServiceUnavailable,
  )
  async refresh(@Body() body: RefreshTokenRequestDto, @Client() client: ClientInfo): Promise<TokenResponseDto> {
    return TokenResponseDto.from(await this.auth.refresh(body.refresh_token, client), 'Tokens refreshed');
  }

  @Post('logout')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke the session of this refresh token' })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(ErrorCode.ValidationFailed, ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async logout(@Body() body: RefreshTokenRequestDto, @Client() client: ClientInfo): Promise<SuccessResponseDto> {
    await this.auth.logout(body.refresh_token, client);
    return { success: true, message: 'Logged out' };
  }

  @Get('me')
  @UseGuards(AccessTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The user of the access token' })
  @ApiOkResponse({ type: MeResponseDto })
  @ApiErrorResponses(ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  me(@Req() request: AuthenticatedRequest): MeResponseDto {
    return { success: true, user: UserDto.from(request.user) };
  }

  @Get('sessions')
  @UseGuards(AccessTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: "The user's active sessions (signed-in devices); `current` marks this token's" })
  @ApiOkResponse({ type: SessionsResponseDto })
  @ApiErrorResponses(ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async sessions(@Req() request: AuthenticatedRequest): Promise<SessionsResponseDto> {
    const sessions = await this.auth.listSessions(request.accessToken);
    return { success: true, sessions: sessions.map((session) => SessionDto.from(session, request.accessToken.sid)) };
  }

  @Delete('sessions/:id')
  @HttpCode(200)
  @UseGuards(AccessTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'End one of your sessions (this device or another): its refresh tokens and access tokens stop working at once',
  })
  @ApiOkResponse({ type: SuccessResponseDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.Unauthorized,
    ErrorCode.NotFound,
    ErrorCode.ServiceUnavailable,
  )
  async endSession(
    @Param() params: SessionIdParamDto,
    @Req() request: AuthenticatedRequest,
    @Client() client: ClientInfo,
  ): Promise<SuccessResponseDto> {
    await this.auth.endSession(request.accessToken, params.id, client);
    return { success: true, message: 'Session ended' };
  }

  @Post('logout-all')
  @HttpCode(200)
  @UseGuards(AccessTokenGuard)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'End every session of the user, this one included' })
  @ApiOkResponse({ type: LogoutAllResponseDto })
  @ApiErrorResponses(ErrorCode.Unauthorized, ErrorCode.ServiceUnavailable)
  async logoutAll(@Req() request: AuthenticatedRequest, @Client() client: ClientInfo): Promise<LogoutAllResponseDto> {
    const revoked = await this.auth.logoutAll(request.accessToken, client);
    return { success: true, message: 'Logged out everywhere', sessions_revoked: revoked };
  }
}
