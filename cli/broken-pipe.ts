/**
 * A reader that quits early (`lusim cycle --matrix | head -1`) closes the pipe, and the next write
 * fails with EPIPE, which Node raises as an unhandled 'error' event: a stack trace and exit 1.
 * Output nobody reads any more is no error of the command's: stop at once, with the status a
 * shell reports for a process SIGPIPE ended, as `yes | head` does (Node ignores SIGPIPE itself).
 * process.exit runs the 'exit' handlers, which kill any QEMU the run started (kexec/process/cleanup.ts).
 */
export const EXIT_BROKEN_PIPE = 128 + 13;

export function exitOnBrokenPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(EXIT_BROKEN_PIPE);
      throw e;
    });
  }
}
