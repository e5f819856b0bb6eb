// Typed reads of untrusted JSON objects: the only tool the parse functions use to turn
// `unknown` into message types without a cast. A failed read throws FieldError, which
// each parse function turns into an `{ invalid }` value.

export class FieldError extends Error {}

export class Fields {
  private readonly o: object;

  constructor(value: unknown, what: string) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new FieldError(`${what} must be a JSON object`);
    }
    this.o = value;
  }

  /** One field, as unknown: read in place, without copying the object. */
  private get(name: string): unknown {
    if (!Object.hasOwn(this.o, name)) return undefined;
    const v: unknown = Reflect.get(this.o, name);
    return v;
  }

  has(name: string): boolean {
    const v = this.get(name);
    return v !== undefined && v !== null;
  }

  str(name: string, max = Number.MAX_SAFE_INTEGER): string {
    const v = this.get(name);
    if (typeof v !== 'string') throw new FieldError(`'${name}' must be a string`);
    if (Buffer.byteLength(v) > max) throw new FieldError(`'${name}' is longer than ${max} bytes`);
    return v;
  }

  int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.get(name);
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      throw new FieldError(`'${name}' must be a whole number`);
    }
    if (v < min || v > max) throw new FieldError(`'${name}' must be between ${min} and ${max}`);
    return v;
  }

  intOrNull(name: string, min = 0): number | null {
    return this.has(name) ? this.int(name, min) : null;
  }

  strOrNull(name: string): string | null {
    return this.has(name) ? this.str(name) : null;
  }

  oneOf<T extends string | boolean>(name: string, allowed: readonly T[]): T {
    const v = this.get(name);
    const found = allowed.find((a) => a === v);
    if (found === undefined) throw new FieldError(`'${name}' must be one of ${allowed.join(', ')}`);
    return found;
  }

  obj(name: string): Fields {
    return new Fields(this.get(name), `'${name}'`);
  }

  /** The object's own field names. */
  keys(): string[] {
    return Object.keys(this.o);
  }

  raw(name: string): unknown {
    return this.get(name);
  }
}

/** Runs a reader; a FieldError becomes `{ invalid }`, anything else propagates. */
export function attempt<T>(read: () => T): T | { invalid: string } {
  try {
    return read();
  } catch (err) {
    if (err instanceof FieldError) return { invalid: err.message };
    throw err;
  }
}

export function isInvalid<T extends object>(v: T | { invalid: string }): v is { invalid: string } {
  return 'invalid' in v;
}
