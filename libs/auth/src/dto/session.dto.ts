import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import type { ActiveSession } from '../session.repository';

/** One signed-in device: a session and the refresh tokens that rotate from its login. */
export class SessionDto {
  @ApiProperty({ format: 'uuid', example: '0c6f1b2e-5d3a-4f7e-9a41-8e2b7c9d0f13' }) id: string;
  @ApiProperty({ description: 'When the code was verified', example: '2026-01-01T12:00:00.000Z' })
  created_at: string;
  @ApiProperty({
    description: 'The last refresh, or the login when it never refreshed',
    example: '2026-01-02T08:30:00.000Z',
  })
  last_used_at: string;
  @ApiProperty({
    description: 'When its refresh tokens stop working at the latest',
    example: '2026-01-31T12:00:00.000Z',
  })
  expires_at: string;
  @ApiProperty({ description: 'IP address at login', example: '203.0.113.7', nullable: true, type: String })
  ip: string | null;
  @ApiProperty({
    description: 'User agent at login',
    example: 'MyApp/2.3 (iPhone; iOS 18.1)',
    nullable: true,
    type: String,
  })
  user_agent: string | null;
  @ApiProperty({ description: 'The session of the access token of this request', example: true }) current: boolean;

  static from(session: ActiveSession, currentSessionId: string): SessionDto {
    return {
      id: session.id,
      created_at: session.createdAt.toISOString(),
      last_used_at: session.lastUsedAt.toISOString(),
      expires_at: session.expiresAt.toISOString(),
      ip: session.ip,
      user_agent: session.userAgent,
      current: session.id === currentSessionId,
    };
  }
}

export class SessionsResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({
    type: [SessionDto],
    description: 'Active sessions, most recently used first (at most 200)',
  })
  sessions: SessionDto[];
}

export class SessionIdParamDto {
  @ApiProperty({ format: 'uuid', description: 'A session id from GET /auth/sessions' })
  @IsUUID()
  id: string;
}

export class LogoutAllResponseDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ example: 'Logged out everywhere' }) message: string;
  @ApiProperty({ description: 'How many sessions this ended, the current one included', example: 3 })
  sessions_revoked: number;
}
