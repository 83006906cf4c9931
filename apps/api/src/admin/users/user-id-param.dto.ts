import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';

export class UserIdParamDto {
  @ApiProperty({ format: 'uuid', example: '3f1c2a4e-8b7d-4c6e-9a1b-2d3e4f5a6b7c' })
  @IsUUID()
  id: string;
}
