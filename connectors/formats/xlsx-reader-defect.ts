import { FileFormatError } from '../contracts.ts';

/**
 * A fault of our own code while it scans a workbook's XML on its way to exceljs (a TypeError in a scanner), kept
 * apart from the workbook's defects: exceljs hands whatever its input stream threw back through its row iterator,
 * where everything else is the workbook's (asWorkbookError). This passes through as it is, and the run settles it as
 * `internal-error` (平台内部错误，不是文件内容的问题), never as the provider's file.
 */
export class XlsxReaderDefect extends Error {
  override readonly name = 'XlsxReaderDefect';
  constructor(cause: unknown) {
    super(
      `defect in the xlsx reader's own scanning: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

/** One step of our own scanning: what it throws is the file's defect when it says so (FileFormatError), else ours. */
export function ownScan<T>(step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw error instanceof FileFormatError || error instanceof XlsxReaderDefect
      ? error
      : new XlsxReaderDefect(error);
  }
}
