import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: refuse it as bad input rather than fail in the driver. */
export const NoNulCharacters = () => Matches(/^[^\u0000]*$/, { message: '$property must not contain NUL characters' });
