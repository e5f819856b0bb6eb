// User-visible failures: one class per kind, each message a full sentence that says
// what was wrong and what to do. Codes travel on the wire; messages are for people.

export type ErrorCode =
  | 'E_BAD_REQUEST'
  | 'E_TOO_LARGE'
  | 'E_UNKNOWN_JOB'
  | 'E_ILLEGAL_STATE'
  | 'E_SHUTTING_DOWN'
  | 'E_POOL'
  | 'E_STORAGE'
  | 'E_CANCELLED'
  | 'E_INTERNAL';

export const ERROR_CODES: readonly ErrorCode[] = [
  'E_BAD_REQUEST',
  'E_TOO_LARGE',
  'E_UNKNOWN_JOB',
  'E_ILLEGAL_STATE',
  'E_SHUTTING_DOWN',
  'E_POOL',
  'E_STORAGE',
  'E_CANCELLED',
  'E_INTERNAL',
];

export abstract class JmsError extends Error {
  abstract readonly code: ErrorCode;
}

export class BadRequestError extends JmsError {
  readonly code = 'E_BAD_REQUEST';
}

export class TooLargeError extends JmsError {
  readonly code = 'E_TOO_LARGE';
}

export class UnknownJobError extends JmsError {
  readonly code = 'E_UNKNOWN_JOB';
  constructor(jobId: number) {
    super(`there is no job with JobID ${jobId}; 'status-all' lists the known jobs.`);
  }
}

export class IllegalStateError extends JmsError {
  readonly code = 'E_ILLEGAL_STATE';
}

export class ShuttingDownError extends JmsError {
  readonly code = 'E_SHUTTING_DOWN';
  constructor(message = 'the coordinator is shutting down and takes no more requests; send it again once a coordinator runs again.') {
    super(message);
  }
}

export class PoolError extends JmsError {
  readonly code = 'E_POOL';
}

export class StorageError extends JmsError {
  readonly code = 'E_STORAGE';
}

/** The console that sent a request cancelled it (^C). */
export class RequestCancelledError extends JmsError {
  readonly code = 'E_CANCELLED';
  constructor() {
    super('the request was cancelled by its console; nothing else changed.');
  }
}

/** The console could not reach or lost its coordinator. */
export class CoordinatorNotRunningError extends Error {
  constructor(message: string, options?: { cause: unknown }) {
    super(message, options);
  }
}
