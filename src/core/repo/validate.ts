/**
 * Checks on the arguments model-written code passes in. The code is generated, so wrong
 * types and off-by-one values are expected; each error says what was wrong and what a
 * correct call looks like.
 */
import { RepoError } from './types';

/** A short description of a bad argument for an error message. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/** `value` as a positive integer, or `fallback` when it is undefined. */
export function positiveInteger(value: unknown, what: string, fallback: number): number;
export function positiveInteger(value: unknown, what: string, fallback?: undefined): number | undefined;
export function positiveInteger(value: unknown, what: string, fallback?: number): number | undefined {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new RepoError(`${what} must be a positive integer; got ${describe(value)}.`);
  }
  return value;
}

/** `value` as a non-negative integer, or `fallback` when it is undefined. */
export function nonNegativeInteger(value: unknown, what: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new RepoError(`${what} must be a whole number, 0 or more; got ${describe(value)}.`);
  }
  return value;
}

/** Options objects are optional; anything else than an object or undefined is a mistake. */
export function optionsObject<T extends object>(value: T | undefined, call: string): Partial<T> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new RepoError(`${call}: the options must be an object like { … }; got ${describe(value)}.`);
  }
  return value;
}
