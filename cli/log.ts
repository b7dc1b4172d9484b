/** Logs: pino, JSON to stderr, pretty on a terminal. Results go to stdout, never logs. */
import pino from 'pino';

const level = process.env.LUSIM_LOG ?? 'info';

export const log = process.stderr.isTTY
  ? pino({ level, transport: { target: 'pino-pretty', options: { destination: 2, colorize: true } } })
  : pino({ level }, pino.destination(2));
