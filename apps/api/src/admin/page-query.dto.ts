import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsInstant } from '@app/common';

/** The time window and keyset paging every admin list shares. */
export class PageQueryDto {
  @ApiPropertyOptional({ example: '2026-11-01T00:00:00Z' }) @IsOptional() @IsInstant() from?: string;
  @ApiPropertyOptional({ example: '2026-11-08T00:00:00Z' }) @IsOptional() @IsInstant() to?: string;

  @ApiPropertyOptional({ description: '`next_cursor` of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9_-]+$/, { message: 'cursor is invalid' })
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}
