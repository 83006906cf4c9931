import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses, Client, ClientInfo, ErrorCode } from '@app/common';
import { AccessTokenGuard, AuthenticatedRequest } from './access-token.guard';
import { AuthService } from './auth.service';
import { RefreshTokenRequestDto } from './dto/refresh-token-request.dto';
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
  async me(@Req() request: AuthenticatedRequest): Promise<MeResponseDto> {
    return { success: true, user: UserDto.from(await this.auth.currentUser(request.accessToken)) };
  }
}
