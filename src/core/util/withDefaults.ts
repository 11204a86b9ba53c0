/**
 * Fills in defaults for options whose value is missing *or explicitly undefined*. Plain
 * object spread would let `{ timeoutMs: undefined }` (as a CLI passes for an unset flag)
 * override the default.
 */
export function withDefaults<D extends object, O extends object>(defaults: D, options: O): D & O {
  const out: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) out[key] = value;
  return out as D & O;
}
