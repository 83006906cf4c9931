import { ApiProperty } from '@nestjs/swagger';
import type { VerifiedLogin } from '../verification.service';

export class LoginUserDto {
  @ApiProperty({ format: 'uuid', example: '5b0e1f8e-8b1d-4c9e-9f57-2f1f3f9a0c11' }) id: string;
  @ApiProperty({ example: '+77001234567' }) phone_number: string;
  @ApiProperty({ description: 'True when this login created the user', example: true }) is_new: boolean;
}

export class LoginResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: 'Phone number verified' }) message: string;
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI1YjBlMWY4ZSJ9.c2lnbmF0dXJl' })
  access_token: string;
  @ApiProperty({ example: 'q7Yt3fK0pQ2m8Zr1bXc9VwN4sL6uHe5jA0dGiOkTy2E' }) refresh_token: string;
  @ApiProperty({ example: 'bearer' }) token_type: 'bearer';
  @ApiProperty({ description: 'Lifetime of the access token in seconds', example: 900 }) expires_in: number;
  @ApiProperty({ type: LoginUserDto }) user: LoginUserDto;

  static from(login: VerifiedLogin): LoginResponseDto {
    return {
      success: true,
      message: 'Phone number verified',
      access_token: login.tokens.accessToken,
      refresh_token: login.tokens.refreshToken,
      token_type: 'bearer',
      expires_in: login.tokens.expiresIn,
      user: { id: login.user.id, phone_number: login.user.phoneNumber, is_new: login.isNew },
    };
  }
}
