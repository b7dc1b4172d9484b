/** Logs: pino, JSON to stderr, pretty on a terminal. Results go to stdout, never logs. */
import pino from 'pino';

const level = process.env.LUSIM_LOG ?? 'info';

// NO_COLOR (no-color.org): set and not empty, no colour; picocolors reads it for stdout's text too.
export const log = process.stderr.isTTY
  ? pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: !process.env.NO_COLOR } } })
  : pino({ level }, pino.destination(2));
