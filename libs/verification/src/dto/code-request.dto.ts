import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { SUPPORTED_LOCALES, type Locale } from '@app/config';
import { DELIVERY_CHANNELS, type DeliveryChannel } from '@app/sms';

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

  @ApiPropertyOptional({
    enum: DELIVERY_CHANNELS,
    description:
      "Deliver only through the links of this channel in the number's chain (SMS_ROUTES / SMS_PROVIDER), in " +
      'their order; none of that channel → 400 CHANNEL_UNAVAILABLE, and no code is issued. Default: the whole ' +
      'chain. Test numbers ignore it.',
    example: 'telegram',
  })
  @IsOptional()
  @IsIn(DELIVERY_CHANNELS)
  channel?: DeliveryChannel;
}
