/**
 * The JSON Schema of a suite file (issue 11). One schema serves three readers: the loader
 * (sim/suite/load.ts validates every file with ajv against it), docs/suites.md (generated from the
 * descriptions here by scripts/gen-suite-docs.ts, checked by a test), and editors that read JSON
 * Schema. Facts beyond a schema (a kernel id the model knows, a case mixing reset and cycle
 * expectations) are checked by the loader after it, with the same file:line: key errors.
 */
import { SAVE_FORMATS } from '../cycle/carry.js';
import { FLOWS } from '../cycle/run.js';
import { RESET_KINDS } from '../../devices/reset/kinds.js';
import { COUNTED_VERDICTS } from './types.js';

const kernel = { type: 'string', minLength: 1, description: 'a kernel profile id (6.1, 6.1.y, 6.12, 6.12.y, 6.19, 7.1, 7.2, 7.3, lu-pci); with --qemu, a Debian series (6.1, 6.12, 7.x, 7.3) whose cached kernel picks the profile; or the path of your own kernel (a bzImage or build directory, relative to the suite file; docs/own-kernel.md), modelled by the profile of its version with its own .config' } as const;

const RESET_METHODS = ['device_specific', 'acpi', 'flr', 'af_flr', 'pm', 'bus', 'cxl_bus'] as const;

const verdictExpectation = {
  description: 'a count (exactly this many fields), {min, max} (a range), or a list of field names REGISTER.FIELD (exactly these fields, no others; parent:REGISTER.FIELD for the upstream port)',
  oneOf: [
    { type: 'integer', minimum: 0 },
    { type: 'object', additionalProperties: false, minProperties: 1, properties: { min: { type: 'integer', minimum: 0 }, max: { type: 'integer', minimum: 0 } } },
    { type: 'array', uniqueItems: true, items: { type: 'string', minLength: 1 } },
  ],
} as const;

const expectationProps = {
  reset_method: { type: 'array', uniqueItems: true, items: { enum: RESET_METHODS }, description: 'reset case: sysfs reset_method exactly, in its priority order (pci_init_reset_methods); [] when the file is not created' },
  reset_works: { type: 'boolean', description: 'reset case: VFIO\'s vdev->reset_works (vfio_pci_core_enable: pci_try_reset_function succeeded)' },
  reset_function_method: { enum: [...RESET_METHODS, 'none'], description: 'reset case: the method pci_reset_function uses, or none when it fails' },
  load: { enum: ['ok', 'refused'], description: 'cycle case: kernel B\'s pci_load_saved_state (or lusim-v1 load) returned 0 (ok) or refused the state' },
  ...Object.fromEntries(COUNTED_VERDICTS.map((v) => [v, { ...verdictExpectation, description: `cycle case: the fields whose verdict is ${v}: ${verdictExpectation.description}` }])),
  fields: {
    type: 'object', description: 'cycle case: the verdict of named fields, REGISTER.FIELD: verdict',
    additionalProperties: { enum: [...COUNTED_VERDICTS, 'unchanged'] },
  },
  freeze: { enum: ['ok', 'refused'], description: 'vfio-lu cycle: kernel A\'s vfio_pci_liveupdate freeze() passed every gate (ok) or refused the kexec' },
  freeze_gates: {
    type: 'object', description: 'vfio-lu cycle: freeze() gates by name (interrupts disabled, device in D0, pci_load_saved_state, pci_clear_master, vfio_pci_core_try_reset, pci_restore_state, handover): passed, refused or skipped',
    additionalProperties: { enum: ['passed', 'refused', 'skipped'] },
  },
} as const;

const expectationBase = { type: 'object', additionalProperties: false, properties: expectationProps } as const;

export const SUITE_SCHEMA = {
  $id: 'https://lusim.invalid/suite.schema.json',
  title: 'lusim suite',
  description: 'A regression suite: devices, the kernels they must hold on, and what each kernel must do with them.',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kernels', 'cases'],
  properties: {
    name: { type: 'string', minLength: 1, description: 'the suite\'s name (the JUnit testsuites name, the KTAP header)' },
    description: { type: 'string', description: 'free text' },
    kernels: { type: 'array', minItems: 1, uniqueItems: true, items: kernel, description: 'the kernels every case runs on, unless the case names its own' },
    cases: {
      type: 'array', minItems: 1, description: 'the cases; names are unique within the suite',
      items: {
        type: 'object', additionalProperties: false, required: ['name', 'device', 'expect'],
        properties: {
          name: { type: 'string', minLength: 1, description: 'the case\'s name (unique in the suite)' },
          device: {
            description: 'a built-in device (fixtures/qemu or fixtures/synthetic: nvme, e1000e, ...), {dump: FILE, bdf: "01:00.0"} (a dump file, relative to the suite file; bdf when it holds several functions), or {qemu: [NAME]} (a QEMU device by its real-run name: e1000e, nvme, virtio-net-pci, qemu-xhci; modelled from its QEMU 7.2 fixture, booted with --qemu)',
            oneOf: [
              { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9_-]+$' },
              { type: 'object', additionalProperties: false, required: ['dump'], properties: { dump: { type: 'string', minLength: 1 }, bdf: { type: 'string', pattern: '^([0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]$' } } },
              { type: 'object', additionalProperties: false, required: ['qemu'], properties: { qemu: { type: 'array', minItems: 1, maxItems: 1, items: { type: 'string', minLength: 1 } } } },
            ],
          },
          kernels: { type: 'array', minItems: 1, uniqueItems: true, items: kernel, description: 'the kernels this case runs on (default: the suite\'s); for a cycle case, the kernels B' },
          reset: {
            type: 'object', additionalProperties: false, description: 'reset case inputs a dump cannot show (as `lusim reset-methods` options)',
            properties: {
              flags: { type: 'array', uniqueItems: true, items: { enum: ['no-flr', 'no-pm', 'no-bus'] }, description: 'PCI_DEV_FLAGS_NO_* quirk flags' },
              acpi_rst: { type: 'boolean', description: 'the ACPI companion has _RST' },
              slot: { enum: ['none', 'no-reset-op', 'reset-op'], description: 'dev->slot (reset-op: pciehp\'s reset_slot)' },
            },
          },
          cycle: {
            type: 'object', additionalProperties: false,
            description: 'makes this a cycle case (`lusim cycle`): from and to are kernel A and B; a missing one takes each of the case\'s kernels in turn',
            properties: {
              from: kernel, to: kernel,
              format: { enum: SAVE_FORMATS, description: 'how the state crosses the kexec (default linux-blob)' },
              flow: { enum: FLOWS, description: 'plain, rfc-2025, lu-series, vfio-lu, vfio (default plain)' },
              drift: { type: 'string', minLength: 1, description: 'kernel B\'s data[] layout drift, as `lusim cycle --drift`' },
              reset: { enum: RESET_KINDS, description: 'a reset during the kexec window' },
              preserved: { type: 'boolean', description: 'the device is preserved (default true, false for the vfio flow)' },
              operational: { enum: ['driver', 'enumerated', 'as-found'], description: 'how the device reaches its operational state before kernel A saves (default driver)' },
              parent: { enum: ['none', 'default'], description: 'model the upstream port (default) or the device alone (none)' },
              handover: { enum: ['memmap', 'luo'], description: 'how the state crosses: a reserved range (memmap, default) or LUO, refused where kernel B does not speak kernel A\'s compatible strings' },
              freeze: {
                type: 'object', additionalProperties: false, description: 'vfio-lu: what userspace left behind at the kexec, as `lusim cycle --irqs-enabled --freeze-d3hot`',
                properties: { irqs_enabled: { type: 'boolean', description: 'interrupts still enabled' }, d3hot: { type: 'boolean', description: 'the device in D3hot' } },
              },
            },
          },
          expect: {
            type: 'object', additionalProperties: false, description: 'what must hold on every kernel; `on: {KERNEL: {...}}` overrides keys for one kernel',
            properties: {
              ...expectationProps,
              on: { type: 'object', description: 'per-kernel expectations: KERNEL: {key: value} (for a cycle case kernel B, or the pair A->B), replacing the same keys of the case\'s expectations there', additionalProperties: expectationBase },
            },
          },
        },
      },
    },
  },
} as const;
