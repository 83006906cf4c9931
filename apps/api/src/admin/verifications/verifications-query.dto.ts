import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SMS_PROVIDER_NAMES } from '@app/config';
import { VerificationStatus } from '@app/verification';
import { PageQueryDto } from '../page-query.dto';

export class VerificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Any accepted phone format; matched as E.164', example: '+77001234567' })
  @IsOptional()
  @IsString()
  @MaxLength(32)
  phone?: string;

  @ApiPropertyOptional({ enum: VerificationStatus })
  @IsOptional()
  @IsIn(Object.values(VerificationStatus))
  status?: VerificationStatus;

  @ApiPropertyOptional({ description: 'The provider that sent the code', enum: [...SMS_PROVIDER_NAMES, 'test_number'] })
  @IsOptional()
  @IsIn([...SMS_PROVIDER_NAMES, 'test_number'])
  provider?: string;
}
