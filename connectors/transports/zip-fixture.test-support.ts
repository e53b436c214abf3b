import { writeFile } from 'node:fs/promises';
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../zip-crc.ts';

/**
 * One entry, already deflated (method 8) or stored as it is (method 0, as `zip -0` and some Windows tools store
 * small files): the bytes that follow its header, and what the headers state.
 */
export interface DeflatedEntry {
  /** The name's bytes as stored. */
  name: Buffer;
  /** Whether the name is flagged UTF-8 (old Chinese Windows tools leave GBK names unflagged). */
  utf8: boolean;
  packed: Buffer;
  crc: number;
  /** The expanded size both headers state — true or not, as a test needs (below 4 GiB: no zip64). */
  size: number;
  /** 0: `packed` is the content itself; default 8 (deflated). */
  method?: 0 | 8;
}

/**
 * The bytes of a zip holding `entries`, written by hand so tests can build every archive a provider might send:
 * unsafe names (`../x.csv`) real writers refuse, GBK names, bombs, entries that misstate their size.
 */
export function zipBytes(entries: DeflatedEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const flags = entry.utf8 ? 0x800 : 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(entry.method ?? 8, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.packed.length, 18);
    local.writeUInt32LE(entry.size, 22);
    local.writeUInt16LE(entry.name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(entry.method ?? 8, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.packed.length, 20);
    central.writeUInt32LE(entry.size, 24);
    central.writeUInt16LE(entry.name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, entry.name, entry.packed);
    centrals.push(central, entry.name);
    offset += local.length + entry.name.length + entry.packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Writes a zip holding the given entries with their names taken verbatim. Names are flagged UTF-8 unless
 * `rawNames` gives their bytes (old Chinese Windows tools). Entries are deflated, but those named in `stored`
 * (method 0, as `zip -0` writes them).
 */
export async function writeZip(
  file: string,
  entries: Record<string, string | Buffer>,
  rawNames: Record<string, Buffer> = {},
  stored: readonly string[] = [],
): Promise<void> {
  const deflated = Object.entries(entries).map(([name, content]): DeflatedEntry => {
    const data = Buffer.from(content);
    const raw = rawNames[name];
    const store = stored.includes(name);
    return {
      name: raw ?? Buffer.from(name, 'utf8'),
      utf8: !raw,
      packed: store ? data : deflateRawSync(data),
      crc: crc32(data),
      size: data.length,
      method: store ? 0 : 8,
    };
  });
  await writeFile(file, zipBytes(deflated));
}
