/**
 * A tokenizer-free token estimate (about 4 characters a token), used wherever a server
 * reports no usage or a size must be judged before sending. Results that rest on it are
 * flagged as estimated.
 */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}
