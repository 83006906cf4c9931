import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiErrorResponses, Client, ClientInfo, ErrorCode } from '@app/common';
import { CodeRequestDto } from './dto/code-request.dto';
import { CodeSentResponseDto } from './dto/code-sent-response.dto';
import { CodeVerifyDto } from './dto/code-verify.dto';
import { LoginResponseDto } from './dto/login-response.dto';
import { IpThrottlerGuard } from './throttling/ip-throttler.guard';
import { SEND_THROTTLER, VERIFY_THROTTLER } from './throttling/throttler-names';
import { VerificationService } from './verification.service';

const SEND_ERRORS = [
  ErrorCode.ValidationFailed,
  ErrorCode.InvalidPhone,
  ErrorCode.CountryNotAllowed,
  ErrorCode.ChannelUnavailable,
  ErrorCode.RateLimited,
  ErrorCode.ResendTooSoon,
  ErrorCode.PhoneBlocked,
  ErrorCode.PhoneLocked,
  ErrorCode.SendBlocked,
  ErrorCode.SmsProviderRejected,
  ErrorCode.SmsProviderUnavailable,
  ErrorCode.ServiceUnavailable,
];

@ApiTags('sms-auth')
@Controller('sms-auth')
@UseGuards(IpThrottlerGuard)
export class SmsAuthController {
  constructor(private readonly verification: VerificationService) {}

  @Post('send-code')
  @HttpCode(200)
  @SkipThrottle({ [VERIFY_THROTTLER]: true })
  @ApiOperation({
    summary: 'Text a one-time code to a phone number',
    description: 'Cancels the pending code of that number, if any.',
  })
  @ApiOkResponse({ type: CodeSentResponseDto })
  @ApiErrorResponses(...SEND_ERRORS)
  async sendCode(@Body() body: CodeRequestDto, @Client() client: ClientInfo): Promise<CodeSentResponseDto> {
    const result = await this.verification.requestCode(
      { phoneNumber: body.phone_number, locale: body.locale, channel: body.channel, resend: false },
      client,
    );
    return CodeSentResponseDto.from(result, 'Code sent');
  }

  @Post('resend-code')
  @HttpCode(200)
  @SkipThrottle({ [VERIFY_THROTTLER]: true })
  @ApiOperation({
    summary: 'Text a new code; the previous one stops working',
    description: 'Each further send in the hour doubles the wait (resend_after).',
  })
  @ApiOkResponse({ type: CodeSentResponseDto })
  @ApiErrorResponses(...SEND_ERRORS)
  async resendCode(@Body() body: CodeRequestDto, @Client() client: ClientInfo): Promise<CodeSentResponseDto> {
    const result = await this.verification.requestCode(
      { phoneNumber: body.phone_number, locale: body.locale, channel: body.channel, resend: true },
      client,
    );
    return CodeSentResponseDto.from(result, 'Code sent again');
  }

  @Post('verify-code')
  @HttpCode(200)
  @SkipThrottle({ [SEND_THROTTLER]: true })
  @ApiOperation({ summary: 'Check the code and sign in: returns access and refresh tokens' })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrorResponses(
    ErrorCode.ValidationFailed,
    ErrorCode.InvalidPhone,
    ErrorCode.CodeInvalid,
    ErrorCode.CodeExpired,
    ErrorCode.MaxAttemptsReached,
    ErrorCode.NoActiveCode,
    ErrorCode.PhoneBlocked,
    ErrorCode.PhoneLocked,
    ErrorCode.RateLimited,
    ErrorCode.ServiceUnavailable,
  )
  async verifyCode(@Body() body: CodeVerifyDto, @Client() client: ClientInfo): Promise<LoginResponseDto> {
    return LoginResponseDto.from(await this.verification.verifyCode(body.phone_number, body.code, client));
  }
}
