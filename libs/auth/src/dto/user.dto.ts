import { ApiProperty } from '@nestjs/swagger';
import type { User } from '../entities/user.entity';

export class UserDto {
  @ApiProperty({ format: 'uuid', example: '5b0e1f8e-8b1d-4c9e-9f57-2f1f3f9a0c11' }) id: string;
  @ApiProperty({ example: '+77001234567', description: 'E.164' }) phone_number: string;
  @ApiProperty({ example: '2026-01-01T12:00:00.000Z' }) created_at: string;
  @ApiProperty({ example: '2026-01-02T08:30:00.000Z', nullable: true, type: String }) last_login_at: string | null;

  static from(user: User): UserDto {
    return {
      id: user.id,
      phone_number: user.phoneNumber,
      created_at: new Date(user.createdAt).toISOString(),
      last_login_at: user.lastLoginAt ? new Date(user.lastLoginAt).toISOString() : null,
    };
  }
}

export class MeResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: UserDto }) user: UserDto;
}
