import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { AuditEventType } from '@app/audit';
import { PageQueryDto } from '../page-query.dto';

export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: AuditEventType })
  @IsOptional()
  @IsIn(Object.values(AuditEventType))
  type?: AuditEventType;

  @ApiPropertyOptional({ description: 'Any accepted phone format; matched as E.164', example: '+77001234567' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  user_id?: string;
}
