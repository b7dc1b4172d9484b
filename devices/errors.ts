/**
 * Errors are data: one class per layer, a discriminating `code`, and the facts a user needs to act
 * (offset, expected, actual). Messages say what to do next.
 */
export class LusimError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** Why a file operation failed, in words a user acts on (the errno code names the common cases). */
export function fsErrorReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'it is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EIO: 'an I/O error',
    ENOSPC: 'the disk is full',
    EROFS: 'it is read-only',
  };
  return (code !== undefined ? words[code] : undefined) ?? (e as Error).message;
}

export type DeviceErrorCode =
  | 'dump-parse'
  | 'dump-size'
  | 'device-not-found'
  | 'bad-profile'
  | 'bad-register-table'
  | 'bad-offset';

/** Errors of the config-space model and dump I/O (constructing an impossible device throws). */
export class DeviceError extends LusimError<DeviceErrorCode> {}
