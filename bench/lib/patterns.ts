/** The search patterns measured by search (2) and used by the memory child (3). */

export interface SearchPattern {
  label: string;
  pattern: string;
  ignoreCase?: boolean;
}

/**
 * Literal and regex patterns rare enough in the default tree (node_modules) that repo.grep
 * scans all of it (under the 5,000-result cap); rows that hit the cap on another tree say so.
 */
export const PATTERNS: readonly SearchPattern[] = [
  { label: 'literal', pattern: 'XMLHttpRequest' },
  { label: 'literal', pattern: 'Licensed under the Apache License' },
  { label: 'literal', pattern: 'TODO' },
  { label: 'literal -i', pattern: 'deprecated', ignoreCase: true },
  { label: 'regex', pattern: 'function\\s+\\w+Sync\\s*\\(' },
  { label: 'regex', pattern: '[0-9a-f]{40}' },
  { label: 'regex', pattern: 'class \\w+ extends \\w+Error' },
];
