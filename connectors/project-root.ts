import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder the CLI's precompiled modules are written to, mirroring the checkout (scripts/cli-build.js). */
const BUILD_FOLDER = '.build';

const above = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The checkout's root, where the default catalog, configuration, data and reports live: the folder above this
 * file's, or above `.build/` when this module runs precompiled from there.
 */
export const PROJECT_ROOT = path.basename(above) === BUILD_FOLDER ? path.dirname(above) : above;
