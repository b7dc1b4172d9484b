/** Errors of the reset-method predictor: bad kernel names, flags or device selections. */
import { LusimError } from '../../devices/errors.js';

export type ResetMethodsErrorCode = 'unknown-kernel' | 'unknown-flag';

export class ResetMethodsError extends LusimError<ResetMethodsErrorCode> {}
