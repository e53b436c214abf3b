#!/usr/bin/env node
// The CLI is TypeScript run through tsx: no build step between `npm ci` and the first run.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
