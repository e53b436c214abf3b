import { repackWorkbook } from './xlsx-repack.test-support.ts';

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

/**
 * A part as the Open XML SDK (.NET) writes it: the main namespace bound to `prefix` on the root instead of being the
 * default, and every element of it written with the prefix (`<x:row>`, `</x:row>`); `r:id` and other namespaces'
 * prefixes as they were. A part of another namespace (relationships, content types) is returned as it is.
 */
export function withMainPrefix(text: string, prefix = 'x'): string {
  if (!text.includes(`xmlns="${MAIN}"`)) return text;
  return text
    .replace(`xmlns="${MAIN}"`, `xmlns:${prefix}="${MAIN}"`)
    .replace(/<(\/?)([A-Za-z_][\w.-]*)(?=[\s/>])/g, (tag, slash: string, name: string) =>
      name.includes(':') ? tag : `<${slash}${prefix}:${name}`,
    );
}

/** The workbook with every part of the main namespace written with a prefix (`withMainPrefix`). */
export function prefixedWorkbook(bytes: Buffer, prefix = 'x'): Promise<Buffer> {
  return repackWorkbook(bytes, { edit: (_part, text) => withMainPrefix(text, prefix) });
}
