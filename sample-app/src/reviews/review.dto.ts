import { IsInt, IsNotEmpty, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';

export class CreateReviewDto {
  /** IRI of the reviewed book, e.g. `/books/1`. */
  @IsString()
  @IsNotEmpty()
  book!: string;

  @IsInt()
  @Min(1)
  @Max(5)
  rating!: number;

  @IsOptional()
  @IsString()
  @MaxLength(10000)
  body?: string;
}

export class UpdateReviewDto {
  @ValidateIf((patch: UpdateReviewDto) => patch.book !== undefined)
  @IsString()
  @IsNotEmpty()
  book?: string;

  @ValidateIf((patch: UpdateReviewDto) => patch.rating !== undefined)
  @IsInt()
  @Min(1)
  @Max(5)
  rating?: number;

  @ValidateIf((patch: UpdateReviewDto) => patch.body !== undefined)
  @IsString()
  @MaxLength(10000)
  body?: string;
}
