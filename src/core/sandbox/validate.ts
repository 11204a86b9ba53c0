/**
 * Tiny argument checkers for calls that cross from the sandbox to the host. Arguments
 * arrive as structured-cloned data from hostile code: we check types and sizes and never
 * coerce (coercion could run attacker-chosen code on the host side). Messages are written
 * for the model, which reads them as thrown errors.
 */

export type Check<T> = {
  readonly description: string;
  parse(value: unknown, where: string): T;
};

export class ArgumentError extends Error {
  override readonly name = 'ArgumentError';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

export function string(opts: { max: number; nonEmpty?: boolean }): Check<string> {
  return {
    description: 'string',
    parse(value, where) {
      if (typeof value !== 'string') throw new ArgumentError(`${where} must be a string, got ${kindOf(value)}.`);
      if (opts.nonEmpty && value.length === 0) throw new ArgumentError(`${where} must not be empty.`);
      if (value.length > opts.max) {
        throw new ArgumentError(`${where} is ${value.length.toLocaleString('en-US')} characters; the limit is ${opts.max.toLocaleString('en-US')}.`);
      }
      return value;
    },
  };
}

export function integer(opts: { min: number; max: number }): Check<number> {
  return {
    description: 'integer',
    parse(value, where) {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new ArgumentError(`${where} must be an integer, got ${kindOf(value)}.`);
      }
      if (value < opts.min || value > opts.max) {
        throw new ArgumentError(`${where} must be between ${opts.min} and ${opts.max.toLocaleString('en-US')}, got ${value}.`);
      }
      return value;
    },
  };
}

export const boolean: Check<boolean> = {
  description: 'boolean',
  parse(value, where) {
    if (typeof value !== 'boolean') throw new ArgumentError(`${where} must be true or false, got ${kindOf(value)}.`);
    return value;
  },
};

export function array<T>(item: Check<T>, opts: { max: number; nonEmpty?: boolean }): Check<T[]> {
  return {
    description: `${item.description}[]`,
    parse(value, where) {
      if (!Array.isArray(value)) throw new ArgumentError(`${where} must be an array, got ${kindOf(value)}.`);
      if (opts.nonEmpty && value.length === 0) throw new ArgumentError(`${where} must not be empty.`);
      if (value.length > opts.max) {
        throw new ArgumentError(`${where} has ${value.length.toLocaleString('en-US')} items; the limit is ${opts.max.toLocaleString('en-US')}.`);
      }
      return value.map((v, i) => item.parse(v, `${where}[${i}]`));
    },
  };
}

export function oneOf<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return {
    description: `${a.description} | ${b.description}`,
    parse(value, where) {
      try {
        return a.parse(value, where);
      } catch (errA) {
        if (!(errA instanceof ArgumentError)) throw errA;
        try {
          return b.parse(value, where);
        } catch {
          throw new ArgumentError(`${where} must be a ${a.description} or a ${b.description}, got ${kindOf(value)}.`);
        }
      }
    },
  };
}

type Shape = Record<string, Check<unknown>>;
type Parsed<S extends Shape> = { [K in keyof S]?: S[K] extends Check<infer T> ? T : never };

/** An options object: every key optional, unknown keys refused (they are usually typos). */
export function options<S extends Shape>(shape: S): Check<Parsed<S>> {
  const known = Object.keys(shape);
  return {
    description: `{${known.join(', ')}}`,
    parse(value, where) {
      if (value === undefined || value === null) return {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new ArgumentError(`${where} must be an options object like {${known.map((k) => `${k}: …`).join(', ')}}, got ${kindOf(value)}.`);
      }
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (!known.includes(key)) {
          throw new ArgumentError(`${where} has an unknown option "${key}"; known options: ${known.join(', ')}.`);
        }
        const v = (value as Record<string, unknown>)[key];
        if (v !== undefined) out[key] = shape[key]!.parse(v, `${where}.${key}`);
      }
      return out as Parsed<S>;
    },
  };
}

/** Marks a positional argument as optional (undefined passes through). */
export function optional<T>(check: Check<T>): Check<T | undefined> {
  return {
    description: `${check.description}?`,
    parse(value, where) {
      return value === undefined ? undefined : check.parse(value, where);
    },
  };
}
