import { isResidentIdNumber, maskResidentId } from './resident-id.ts';
import { checkUscc } from './uscc.ts';

/**
 * A code value as a message may show it: masked when it is a resident ID number (whatever column it was
 * typed into), as it is otherwise — a USCC is public and never masked, even one that could also pass as an ID.
 */
export function shownCode(value: string): string {
  if (!isResidentIdNumber(value) || checkUscc(value) === null) return value;
  return maskResidentId(value);
}
