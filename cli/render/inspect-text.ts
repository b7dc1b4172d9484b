/** Human-readable rendering of `inspect` (the --json form is devices/describe.ts FunctionView). */
import pc from 'picocolors';
import { oneLine } from '../../devices/dump/text.js';
import type { CapabilityView, FunctionView, RegisterView } from '../../devices/describe.js';

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

function fieldSummary(reg: RegisterView): string {
  const parts: string[] = [];
  for (const fd of reg.fields) {
    if (fd.name === reg.name || fd.value === 0) continue;
    const short = fd.name.startsWith(`${reg.name}_`) ? fd.name.slice(reg.name.length + 1) : fd.name;
    parts.push(fd.bits.includes(':') ? `${short}=${fd.value.toString(16)}` : short);
  }
  return parts.join(' ');
}

function renderRegisters(regs: readonly RegisterView[], withFields: boolean, indent: string): string[] {
  const out: string[] = [];
  for (const reg of regs) {
    if (reg.unknown) {
      out.push(`${indent}${pc.dim(`[${hex(reg.offset, 3)}]`)} ${reg.name.padEnd(28)} ${'?'.repeat(reg.width * 2)}  ${pc.dim('unknown: not in the dump')}`);
      continue;
    }
    const val = hex(reg.value, reg.width * 2);
    const summary = withFields ? '' : fieldSummary(reg);
    out.push(`${indent}${pc.dim(`[${hex(reg.offset, 3)}]`)} ${reg.name.padEnd(28)} ${val}${summary ? `  ${summary}` : ''}`);
    if (withFields) {
      for (const fd of reg.fields) {
        const flags = [fd.access, fd.sticky ? 'sticky' : '', fd.volatile ? 'volatile' : ''].filter(Boolean).join(',');
        out.push(`${indent}    ${fd.bits.padStart(5)}  ${fd.name.padEnd(36)} ${flags.padEnd(18)} ${fd.value.toString(16)}`);
      }
    }
  }
  return out;
}

function capTitle(c: CapabilityView): string {
  const id = c.extended ? hex(c.id, 4) : hex(c.id, 2);
  const v = c.version ? ` v${c.version}` : '';
  return `[${hex(c.offset, c.extended ? 3 : 2)}] ${c.name} (${c.key}, id ${id})${v}, ${c.size} bytes${c.overlaps ? pc.red(` OVERLAPS ${c.overlaps}`) : ''}`;
}

export function renderInspect(v: FunctionView, opts: { fields: boolean }): string {
  const out: string[] = [];
  const kind = ['endpoint (type 0)', 'bridge (type 1)', 'CardBus bridge (type 2)'][v.headerType] ?? `header type ${v.headerType}`;
  out.push(pc.bold(`${v.bdf} ${oneLine(v.description ?? '')}`.trim()));
  out.push(`  ${hex(v.vendorId, 4)}:${hex(v.deviceId, 4)} class ${hex(v.classCode, 6)} rev ${hex(v.revision, 2)}, ${kind}${v.multifunction ? ', multifunction' : ''}; ${v.configSizeWhy?.includes('cannot tell') ? 'config space size unknown' : `${v.configSize}-byte config space`} (${v.captured} bytes in the dump); profile ${v.profile}`);
  if (v.capture) {
    const c = v.capture;
    const sizeCheck = c.configSize === undefined ? '' : c.configSize === v.configSize ? `, cfg_size ${c.configSize} (as lusim sizes it)` : pc.red(`, cfg_size ${c.configSize} but lusim sizes it ${v.configSize}`);
    out.push(`  captured from Linux ${c.kernelRelease ?? '(release not recorded)'}${c.kernelVersion ? ` (${c.kernelVersion})` : ''}${c.root ? '' : ' without root'}: driver ${c.driver ?? '(none)'}, reset_method ${c.resetMethod && c.resetMethod.length > 0 ? c.resetMethod.join(' ') : '(none)'}${c.currentLinkSpeed ? `, link ${c.currentLinkSpeed}` : ''}${sizeCheck}`);
  }
  out.push(pc.bold('  Header'));
  out.push(...renderRegisters(v.header, opts.fields, '    '));
  const std = v.capabilities.filter((c) => !c.extended);
  const ext = v.capabilities.filter((c) => c.extended);
  out.push(pc.bold(`  Capabilities (${std.length})`));
  for (const c of std) {
    out.push(`    ${capTitle(c)}`);
    out.push(...renderRegisters(c.registers, opts.fields, '      '));
  }
  if (v.configSize > 256) {
    out.push(pc.bold(`  Extended capabilities (${ext.length})`));
    for (const c of ext) {
      out.push(`    ${capTitle(c)}`);
      out.push(...renderRegisters(c.registers, opts.fields, '      '));
    }
  }
  if (v.findings.length > 0) {
    out.push(pc.bold(`  Findings (${v.findings.length})`));
    for (const f of v.findings) {
      const sev = f.severity === 'error' ? pc.red(f.severity) : f.severity === 'warning' ? pc.yellow(f.severity) : pc.dim(f.severity);
      out.push(`    ${sev} ${f.code} [${hex(f.offset, 3)}] ${f.message}`);
      out.push(`      Linux: ${f.linux}`);
    }
  }
  return `${out.join('\n')}\n`;
}
