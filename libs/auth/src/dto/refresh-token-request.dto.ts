import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';

export class RefreshTokenRequestDto {
  @ApiProperty({
    description: 'The refresh token from verify-code or the last refresh',
    example: 'q7Yt3fK0pQ2m8Zr1bXc9VwN4sL6uHe5jA0dGiOkTy2E',
  })
  @IsString()
  @Length(20, 200)
  refresh_token: string;
}
