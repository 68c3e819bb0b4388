import { IsNotEmpty, IsString, MaxLength, ValidateIf } from 'class-validator';
import { NoNulCharacters } from '../common/no-nul.decorator';

export class CreateNoteDto {
  /** IRI of the book, e.g. `/books/1`. */
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  book!: string;

  @IsString()
  @NoNulCharacters()
  @MaxLength(10000)
  body!: string;
}

export class UpdateNoteDto {
  @ValidateIf((patch: UpdateNoteDto) => patch.book !== undefined)
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  book?: string;

  @ValidateIf((patch: UpdateNoteDto) => patch.body !== undefined)
  @IsString()
  @NoNulCharacters()
  @MaxLength(10000)
  body?: string;
}
