import { IsNotEmpty, IsOptional, IsString, MaxLength, ValidateIf } from 'class-validator';

export class CreateBookDto {
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  title!: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  author?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  isbn?: string | null;
}

/** JSON merge patch: absent keys stay, `null` clears an optional field; the title cannot be cleared. */
export class UpdateBookDto {
  @ValidateIf((patch: UpdateBookDto) => patch.title !== undefined)
  @IsString()
  @IsNotEmpty()
  @MaxLength(255)
  title?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  author?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  isbn?: string | null;
}
