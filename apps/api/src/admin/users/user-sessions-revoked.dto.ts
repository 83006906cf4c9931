import { ApiProperty } from '@nestjs/swagger';

export class UserSessionsRevokedDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ format: 'uuid', example: '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c' }) user_id: string;
  @ApiProperty({ example: 2, type: 'integer', description: 'Active sessions that were ended' })
  sessions_revoked: number;
}
