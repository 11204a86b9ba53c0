/**
 * The one order every listing and search result comes back in.
 *
 * Paths are compared segment by segment, which is the order a depth-first walk visits
 * them when each directory's entries are sorted by name — and the order `rg --sort path`
 * prints them. Using it everywhere is what lets ripgrep and the JavaScript fallback stop
 * at the same `maxResults` cut-off and return the same matches. It differs from a plain
 * string sort only around `/`: here "a/x" < "a-b" < "a.txt", because the directory "a"
 * sorts before any longer name that starts with "a".
 */
export function comparePaths(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // A separator ends the segment, so it sorts before every character a name can hold.
    if (ca === 47) ca = -1;
    if (cb === 47) cb = -1;
    return ca - cb;
  }
  return a.length - b.length;
}
