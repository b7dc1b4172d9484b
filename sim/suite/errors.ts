/** Errors of a suite file: each names the file, the line and the key, and says what to write instead. */
import { LusimError } from '../../devices/errors.js';

export interface SuiteIssue {
  readonly file: string;
  readonly line: number;
  /** The key's path in the file: cases[1].expect.reset_works. */
  readonly key: string;
  readonly message: string;
}

export function formatIssue(i: SuiteIssue): string {
  return `${i.file}:${i.line}: ${i.key === '' ? '' : `${i.key}: `}${i.message}`;
}

/** The suite file is wrong (exit 2): every issue found, the first one in the message. */
export class SuiteError extends LusimError<'suite-invalid'> {
  constructor(readonly issues: readonly SuiteIssue[]) {
    super('suite-invalid', issues.map(formatIssue).join('\n'), { issues });
  }
}
