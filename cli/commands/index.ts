/** Every `lusim` subcommand: one file each, one line here. */
import type { Command } from 'commander';
import { register as capture } from './capture.js';
import { register as corpus } from './corpus.js';
import { register as cycle } from './cycle.js';
import { register as dump } from './dump.js';
import { register as fuzz } from './fuzz.js';
import { register as fidelity } from './fidelity.js';
import { register as inspect } from './inspect.js';
import { register as kernels } from './kernels.js';
import { register as predict } from './predict.js';
import { register as reset } from './reset.js';
import { register as resetMethods } from './reset-methods.js';
import { register as suite } from './suite.js';

export const COMMANDS: readonly ((program: Command) => void)[] = [
  inspect,
  cycle,
  dump,
  kernels,
  corpus,
  capture,
  reset,
  resetMethods,
  fuzz,
  suite,
  predict,
  fidelity,
];
