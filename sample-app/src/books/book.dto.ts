import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';
import { NoNulCharacters } from '../common/no-nul.decorator';

export class CreateBookDto {
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  @MaxLength(255)
  title!: string;

  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(255)
  author?: string | null;

  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(32)
  isbn?: string | null;
}

/** JSON merge patch: absent keys stay, `null` clears an optional field; the title cannot be cleared. */
export class UpdateBookDto {
  @ValidateIf((patch: UpdateBookDto) => patch.title !== undefined)
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  @MaxLength(255)
  title?: string;

  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(255)
  author?: string | null;

  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(32)
  isbn?: string | null;
}
