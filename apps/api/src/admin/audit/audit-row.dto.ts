import { ApiProperty } from '@nestjs/swagger';

export class AuditRowDto {
  @ApiProperty({ example: '1024', description: 'Increasing event number (a string: it is a bigint)' }) id: string;
  @ApiProperty({ example: '2026-11-20T10:15:31.002Z' }) occurred_at: string;
  @ApiProperty({ example: 'code_verified' }) type: string;
  @ApiProperty({ example: 'success', enum: ['success', 'failure'] }) outcome: string;
  @ApiProperty({ example: '+77001234567', nullable: true, type: String }) phone_number: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) user_id: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) verification_id: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) session_id: string | null;
  @ApiProperty({ example: 'mobizon', nullable: true, type: String }) provider: string | null;
  @ApiProperty({ example: '203.0.113.7', nullable: true, type: String }) ip: string | null;
  @ApiProperty({ example: 'MyApp/2.1 (iOS 17)', nullable: true, type: String }) user_agent: string | null;
  @ApiProperty({ example: { reason: 'code_invalid', attempts_left: 3 } }) details: Record<string, unknown>;
}

export class AuditPageDto {
  @ApiProperty({ example: true }) success: true;
  @ApiProperty({ type: [AuditRowDto] }) items: AuditRowDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  next_cursor: string | null;
}
