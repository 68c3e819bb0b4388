import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { NoNulCharacters } from '../common/no-nul.decorator';

export class CreateReviewDto {
  /** IRI of the reviewed book, e.g. `/books/1`. */
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  book!: string;

  @IsInt()
  @Min(1)
  @Max(5)
  rating!: number;

  @IsOptional()
  @IsString()
  @NoNulCharacters()
  @MaxLength(10000)
  body?: string;
}

export class UpdateReviewDto {
  @ValidateIf((patch: UpdateReviewDto) => patch.book !== undefined)
  @IsString()
  @NoNulCharacters()
  @IsNotEmpty()
  book?: string;

  @ValidateIf((patch: UpdateReviewDto) => patch.rating !== undefined)
  @IsInt()
  @Min(1)
  @Max(5)
  rating?: number;

  @ValidateIf((patch: UpdateReviewDto) => patch.body !== undefined)
  @IsString()
  @NoNulCharacters()
  @MaxLength(10000)
  body?: string;
}
