import { seededRandom } from '../../fixtures/generate/seeded-random.ts';

/**
 * Small CSV files of the bytes that make readers disagree, generated from a seed (the same files on every run):
 * quotes, doubled quotes, quotes inside unquoted cells, all three line breaks (mixed within a file too), a byte
 * order mark, the delimiters a sniffer chooses between, Chinese text and emoji, NUL, bytes that are not UTF-8 and
 * a UTF-8 character cut short; rows with too few or too many cells; with and without a final line break.
 */
export function* trickyCsvFiles(seed: number, count: number): Generator<Buffer> {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const cell = (): Buffer => {
    const plain = next() < 0.7;
    const parts: Buffer[] = [];
    for (let i = Math.floor(next() * 4); i > 0; i--) parts.push(pick(plain ? PLAIN : ATOMS));
    const body = Buffer.concat(parts);
    if (next() >= 0.3) return body;
    // Quoted, its quotes doubled (byte by byte: the cut character stays cut).
    return Buffer.from(`"${body.toString('latin1').replaceAll('"', '""')}"`, 'latin1');
  };
  for (let file = 0; file < count; file++) {
    const columns = 1 + Math.floor(next() * 3);
    const delimiter = pick([',', ',', ',', ';', '\t', '|']);
    const newline = pick(['\n', '\r\n', '\r']);
    const lines: Buffer[] = [
      Buffer.from(
        (next() < 0.2 ? '\uFEFF' : '') + Array.from({ length: columns }, (_, i) => `h${i}`).join(delimiter),
      ),
    ];
    for (let row = Math.floor(next() * 30); row > 0; row--) {
      const cells = next() < 0.85 ? columns : Math.floor(next() * (columns + 2));
      const parts: Buffer[] = [];
      for (let i = 0; i < cells; i++) {
        if (i > 0) parts.push(Buffer.from(next() < 0.95 ? delimiter : pick([',', ';', '\t'])));
        parts.push(cell());
      }
      lines.push(Buffer.concat(parts));
    }
    const parts: Buffer[] = [];
    lines.forEach((line, i) => {
      parts.push(line);
      if (i < lines.length - 1 || next() < 0.7)
        parts.push(Buffer.from(next() < 0.9 ? newline : pick(['\n', '\r\n', '\r'])));
    });
    yield Buffer.concat(parts);
  }
}

const PLAIN = ['a', 'b', '1', ' ', '甲', '😀'].map((text) => Buffer.from(text));
const ATOMS = [
  ...PLAIN,
  ...['"', '""', ',', ';', '\t', '\n', '\r\n', '\r', '\uFEFF', 'x"y', '\u0000'].map((text) =>
    Buffer.from(text),
  ),
  Buffer.from([0xff]),
  // The first two bytes of 甲 (E7 94 B2): a character cut short.
  Buffer.from([0xe7, 0x94]),
];
