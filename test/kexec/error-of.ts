import { KexecError } from '../../kexec/errors.js';

/** The KexecError a promise rejects with; anything else (or no rejection) fails the test. */
export async function errorOf(p: Promise<unknown>): Promise<KexecError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KexecError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}
