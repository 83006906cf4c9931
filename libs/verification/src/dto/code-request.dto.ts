import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SUPPORTED_LOCALES, type Locale } from '@app/config';

export class CodeRequestDto {
  @ApiProperty({
    description: 'International (+7…) or national form; spaces, dashes and parentheses are fine',
    example: '+7 700 123-45-67',
  })
  @IsString()
  @MaxLength(32)
  phone_number: string;

  @ApiPropertyOptional({
    enum: SUPPORTED_LOCALES,
    description: 'Language of the SMS text (default SMS_DEFAULT_LOCALE)',
    example: 'ru',
  })
  @IsOptional()
  @IsIn(SUPPORTED_LOCALES)
  locale?: Locale;
}
