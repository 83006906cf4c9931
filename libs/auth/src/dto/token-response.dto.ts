import { ApiProperty } from '@nestjs/swagger';
import type { TokenPair } from '../auth.service';

export class TokenResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: 'Tokens refreshed' }) message: string;
  @ApiProperty({
    description:
      'JWT for the Authorization header, signed with JWT_ALGORITHM (ES256 by default); its `kid` header names ' +
      'the key in GET /.well-known/jwks.json',
    example: 'eyJhbGciOiJFUzI1NiIsImtpZCI6Im5EM3VnIiwidHlwIjoiSldUIn0.eyJzdWIiOiI1YjBlMWY4ZSJ9.c2lnbmF0dXJl',
  })
  access_token: string;
  @ApiProperty({
    description: 'Opaque, single use: each refresh returns a new one',
    example: 'q7Yt3fK0pQ2m8Zr1bXc9VwN4sL6uHe5jA0dGiOkTy2E',
  })
  refresh_token: string;
  @ApiProperty({ example: 'bearer' }) token_type: 'bearer';
  @ApiProperty({ description: 'Lifetime of the access token in seconds', example: 900 }) expires_in: number;

  static from(tokens: TokenPair, message: string): TokenResponseDto {
    return {
      success: true,
      message,
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      token_type: 'bearer',
      expires_in: tokens.expiresIn,
    };
  }
}

export class SuccessResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: 'Logged out' }) message: string;
}
