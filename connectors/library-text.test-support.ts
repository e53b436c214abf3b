import { expect } from 'vitest';

/**
 * What a provider must never read in a file's rejection: a library's English (`invalid code lengths set`,
 * `End of central directory record signature not found`), Node's error codes (`ENOENT`) or zlib's (`Z_DATA_ERROR`),
 * saxes' `line:column:` prefix. Names in the file (`xl/worksheets/sheet1.xml`, `.xlsx`, `CRC-32`) are allowed.
 */
export function expectNoLibraryText(message: string | undefined): void {
  expect(message).toBeTypeOf('string');
  expect(message).not.toMatch(/[A-Za-z]{2,}[ ,]+[a-z]{2,}/);
  expect(message).not.toMatch(/\bE[A-Z]{3,}\b|\bZ_[A-Z_]+\b/);
  expect(message).not.toMatch(/\d+:\d+:/);
}
