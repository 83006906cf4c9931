import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength, NotContains } from 'class-validator';

/** The optional body of every operator action: why, for the audit trail. */
export class OperatorNoteDto {
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    maxLength: 500,
    description: "The operator's note, recorded with the action's audit event",
    example: 'Ticket #4821: the user asked to be let in again',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  @NotContains('\u0000', { message: 'note must not contain NUL characters' })
  note?: string | null;
}

/** The note of an optional body: null when there is no body or no note. */
export function noteOf(body: OperatorNoteDto | undefined): string | null {
  return body?.note ?? null;
}
