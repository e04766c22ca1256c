/**
 * Where the Wasm bytes go, without extra tools: the sections of the shipped module, and the code
 * size per crate, read from the function names cargo leaves in its own output (wasm-pack then runs
 * wasm-bindgen and `wasm-opt -Os`, which strips the names, so the per-crate figures are of the
 * unoptimised code and are shares, not exact shipped bytes).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start', 'element', 'code', 'data', 'data count', 'tag'];

class Reader {
  constructor(
    readonly b: Uint8Array,
    public p = 0,
  ) {}
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.b[this.p++]!;
      result |= (byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
  }
  name(): string {
    const n = this.u32();
    const s = Buffer.from(this.b.subarray(this.p, this.p + n)).toString('utf8');
    this.p += n;
    return s;
  }
}

interface Section {
  id: number;
  name: string;
  start: number;
  size: number;
}

function sections(b: Uint8Array): Section[] {
  const r = new Reader(b, 8);
  const out: Section[] = [];
  while (r.p < b.length) {
    const id = b[r.p++]!;
    const size = r.u32();
    const start = r.p;
    let name = SECTION_NAMES[id] ?? `unknown ${id}`;
    if (id === 0) name = `custom "${new Reader(b, start).name()}"`;
    out.push({ id, name, start, size });
    r.p = start + size;
  }
  return out;
}

/** The crate a (legacy-mangled or plain) Rust symbol belongs to. */
export function crateOf(symbol: string): string {
  const legacy = /^_ZN(\d+)/.exec(symbol);
  if (legacy) {
    const n = Number(legacy[1]);
    let crate = symbol.slice(legacy[0].length, legacy[0].length + n);
    // Trait impls mangle as `_$LT$Type$u20$as$u20$Trait$GT$`: attribute them to the type's crate.
    const impl = /^_\$LT\$(?:\$RF\$|\$BP\$|mut\$u20\$)*([a-z_][a-z0-9_]*)/.exec(crate);
    if (impl) crate = impl[1]!;
    return crate;
  }
  if (symbol.startsWith('__wbg') || symbol.startsWith('__wbindgen')) return 'wasm-bindgen glue';
  const plain = /^<?([a-z_][a-z0-9_]*)::/.exec(symbol);
  if (plain) return plain[1]!;
  return symbol.includes('dlmalloc') ? 'dlmalloc' : '(other)';
}

/** What a function is for, from its symbol (first match wins). */
export function roleOf(symbol: string): string {
  if (/serde/i.test(symbol) || /jit_admin_core\.\.read\.\./.test(symbol) || /14jit_admin_core4read/.test(symbol)) return 'serde: reading and writing JSON values';
  if (/wasm_bindgen|js_sys|^__wbg|^__wbindgen|externref/.test(symbol)) return 'wasm-bindgen and js-sys glue';
  if (/fmt|Display|Debug|format/.test(symbol)) return 'formatting (core::fmt)';
  if (/drop_in_place|5alloc|hashbrown|dlmalloc|btree|raw_vec|Clone/.test(symbol)) return 'allocation, collections, clone and drop';
  if (/jit_admin_core/.test(symbol)) return 'decision logic (jit_admin_core)';
  if (/sha2|digest|chrono/.test(symbol)) return 'sha2 and chrono';
  return 'other (core, std, unnamed)';
}

/** Code bytes per crate, from the `name` section and the code section of an unstripped module. */
function codeByCrate(b: Uint8Array): {
  total: number;
  crates: Array<{ crate: string; bytes: number; functions: number }>;
  roles: Array<{ role: string; bytes: number; functions: number }>;
} {
  const all = sections(b);
  const importSec = all.find((s) => s.id === 2);
  let importedFuncs = 0;
  if (importSec) {
    const r = new Reader(b, importSec.start);
    const n = r.u32();
    for (let i = 0; i < n; i++) {
      r.name();
      r.name();
      const kind = b[r.p++]!;
      if (kind === 0) {
        r.u32();
        importedFuncs++;
      } else if (kind === 1) {
        r.p++;
        const flags = r.u32();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 2) {
        const flags = r.u32();
        r.u32();
        if (flags & 1) r.u32();
      } else if (kind === 3) {
        r.p += 2;
      } else {
        r.p++;
        r.u32();
      }
    }
  }
  const names = new Map<number, string>();
  const nameSec = all.find((s) => s.name === 'custom "name"');
  if (nameSec) {
    const r = new Reader(b, nameSec.start);
    r.name();
    while (r.p < nameSec.start + nameSec.size) {
      const sub = b[r.p++]!;
      const size = r.u32();
      const end = r.p + size;
      if (sub === 1) {
        const count = r.u32();
        for (let i = 0; i < count; i++) {
          const index = r.u32();
          names.set(index, r.name());
        }
      }
      r.p = end;
    }
  }
  const code = all.find((s) => s.id === 10);
  const byCrate = new Map<string, { bytes: number; functions: number }>();
  const byRole = new Map<string, { bytes: number; functions: number }>();
  let total = 0;
  if (code) {
    const r = new Reader(b, code.start);
    const count = r.u32();
    for (let i = 0; i < count; i++) {
      const size = r.u32();
      const bodyStart = r.p;
      r.p = bodyStart + size;
      const symbol = names.get(importedFuncs + i) ?? '(unnamed)';
      for (const [map, key] of [
        [byCrate, crateOf(symbol)],
        [byRole, roleOf(symbol)],
      ] as const) {
        const entry = map.get(key) ?? { bytes: 0, functions: 0 };
        entry.bytes += size;
        entry.functions++;
        map.set(key, entry);
      }
      total += size;
    }
  }
  return {
    total,
    crates: [...byCrate.entries()].map(([crate, v]) => ({ crate, ...v })).sort((a, b) => b.bytes - a.bytes),
    roles: [...byRole.entries()].map(([role, v]) => ({ role, ...v })).sort((a, b) => b.bytes - a.bytes),
  };
}

export interface WasmSizeReport {
  file: string;
  bytes: number;
  gzipBytes: number;
  sections: Array<{ name: string; bytes: number }>;
  /** From the unoptimised module cargo built (before wasm-bindgen and wasm-opt). */
  unoptimised?: {
    file: string;
    bytes: number;
    codeBytes: number;
    crates: Array<{ crate: string; bytes: number; share: number; functions: number }>;
    roles: Array<{ role: string; bytes: number; share: number; functions: number }>;
  };
}

export function wasmSize(shipped: string, unoptimised?: string): WasmSizeReport {
  const b = readFileSync(shipped);
  const report: WasmSizeReport = {
    file: shipped,
    bytes: b.length,
    gzipBytes: gzipSync(b, { level: 9 }).length,
    sections: sections(b).map((s) => ({ name: s.name, bytes: s.size })),
  };
  if (unoptimised) {
    const u = readFileSync(unoptimised);
    const { total, crates, roles } = codeByCrate(u);
    const share = (bytes: number) => Math.round((bytes / Math.max(1, total)) * 1000) / 10;
    report.unoptimised = {
      file: unoptimised,
      bytes: u.length,
      codeBytes: total,
      crates: crates.map((c) => ({ ...c, share: share(c.bytes) })),
      roles: roles.map((r) => ({ ...r, share: share(r.bytes) })),
    };
  }
  return report;
}
