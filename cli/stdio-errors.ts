/**
 * Failed writes to stdout and stderr, which Node raises as unhandled 'error' events: a stack
 * trace and exit 1.
 *
 * - EPIPE: a reader that quit early (`lusim cycle --matrix | head -1`) closed the pipe. Output
 *   nobody reads any more is no error of the command's: stop at once, with the status a shell
 *   reports for a process SIGPIPE ended, as `yes | head` does (Node ignores SIGPIPE itself).
 * - Anything else (`> /dev/full`: ENOSPC, EIO): the output is lost, which one line on stderr says.
 *
 * process.exit runs the 'exit' handlers, which kill any QEMU the run started (kexec/process/cleanup.ts).
 */
import { fsErrorReason } from '../devices/errors.js';
import { EXIT_FAILURE } from './errors.js';

export const EXIT_BROKEN_PIPE = 128 + 13;

export function exitOnStdioError(): void {
  for (const [stream, name] of [[process.stdout, 'stdout'], [process.stderr, 'stderr']] as const) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
      // stderr itself failing has nowhere to be said.
      if (name === 'stdout') process.stderr.write(`lusim: cannot write to stdout (${fsErrorReason(e)}): the output is lost; send it where it can be written\n`);
      process.exit(EXIT_FAILURE);
    });
  }
}
