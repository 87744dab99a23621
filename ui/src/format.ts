// Numbers with units and times in the browser's zone.
const dateTime = new Intl.DateTimeFormat(undefined, {
  year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
});

// An API time (RFC 3339 in UTC) in the browser's zone; "—" when unset.
export function time(rfc3339: string | null | undefined): string {
  if (!rfc3339) return "—";
  const d = new Date(rfc3339);
  return isNaN(d.getTime()) ? rfc3339 : dateTime.format(d);
}

export function timeNs(ns: number | null | undefined): string {
  if (!ns) return "—";
  return dateTime.format(new Date(ns / 1e6));
}

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m} min ${Math.round(seconds - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function num(v: unknown): string {
  if (typeof v !== "number") return v === null || v === undefined ? "—" : String(v);
  if (Number.isInteger(v)) return v.toLocaleString();
  return Math.abs(v) >= 1000 ? v.toLocaleString(undefined, { maximumFractionDigits: 1 }) : v.toPrecision(4);
}

export function shortDigest(ref: string): string {
  return ref.startsWith("sha256:") ? ref.slice(0, 19) + "…" : ref;
}
