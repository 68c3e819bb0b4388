import { IsString, Matches } from 'class-validator';

export class LoginDto {
  @IsString()
  @Matches(/^[a-z0-9_-]{1,32}$/, { message: 'user must be 1 to 32 characters among a-z, 0-9, _ and -' })
  user!: string;
}
