/**
 * Dump bytes as text: strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past U+10FFFF)
 * with no control characters but tab, CR and LF. lspci prints pci.ids names, which hold UTF-8
 * ("... für ..."): such a dump is text, and its descriptions must survive a round trip. Anything
 * that is not such text is binary (a raw config). Written out because devices/ has no Node or web
 * APIs (TextDecoder is neither ES2022 nor allowed here).
 */

/** The text `bytes` hold, or undefined when they are not control-free UTF-8. */
export function decodeText(bytes: Uint8Array): string | undefined {
  const points: number[] = [];
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    let cp: number;
    let n: number;
    if (b < 0x80) [cp, n] = [b, 1];
    else if (b >= 0xc2 && b <= 0xdf) [cp, n] = [b & 0x1f, 2];
    else if (b >= 0xe0 && b <= 0xef) [cp, n] = [b & 0x0f, 3];
    else if (b >= 0xf0 && b <= 0xf4) [cp, n] = [b & 0x07, 4];
    else return undefined;
    if (i + n > bytes.length) return undefined;
    for (let k = 1; k < n; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (c & 0x3f);
    }
    const min = [0, 0, 0x80, 0x800, 0x10000][n];
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    if ((cp < 0x20 && cp !== 0x09 && cp !== 0x0a && cp !== 0x0d) || cp === 0x7f) return undefined;
    points.push(cp);
    if (points.length === 4096) out += String.fromCodePoint(...points.splice(0));
    i += n;
  }
  return out + String.fromCodePoint(...points);
}

/** A description made safe for one line of output: control characters shown as \xNN. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
