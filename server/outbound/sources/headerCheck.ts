/*
 * One place where sources check user-supplied header values (subject, names, file names)
 * before anything is stored: CR, LF and NUL are refused through the shared header hygiene
 * (lib/headers.ts), other control characters here, so no header can be injected.
 */
import { assertHeaderValue, HeaderInjectionError } from '../../lib/headers.js';

export function headerProblem(v: string): string | null {
  try {
    assertHeaderValue('value', v);
  } catch (e) {
    if (e instanceof HeaderInjectionError) return 'Line breaks (CR/LF) and NUL are not allowed here';
    throw e;
  }
  if (/[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(v)) return 'Control characters are not allowed here';
  return null;
}
