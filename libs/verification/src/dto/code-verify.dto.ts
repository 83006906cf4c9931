import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';

export class CodeVerifyDto {
  @ApiProperty({ description: 'The same number the code was sent to, in any accepted form', example: '+77001234567' })
  @IsString()
  @MaxLength(32)
  phone_number: string;

  @ApiProperty({ description: 'The digits from the SMS', example: '123456' })
  @IsString()
  @Matches(/^\d{4,10}$/, { message: 'code must be 4 to 10 digits' })
  code: string;
}
