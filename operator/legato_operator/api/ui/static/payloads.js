// Payloads are Temporal's: base64 metadata (above all `encoding`) and base64 data. Only
// json/plain is decoded; anything else (binary/encrypted, a codec's) is shown as it is.

function fromBase64(text) {
  const raw = atob(String(text || "").replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function toBase64(bytes) {
  let raw = "";
  for (const b of bytes) raw += String.fromCharCode(b);
  return btoa(raw);
}

const utf8 = new TextDecoder("utf-8");

/** Whether `value` has a payload's shape. */
export function isPayload(value) {
  return Boolean(value) && typeof value === "object" && !Array.isArray(value) && "metadata" in value && "data" in value;
}

/** A payload's encoding ("json/plain"), or "" when it names none. */
export function encodingOf(payload) {
  const encoded = payload && payload.metadata ? payload.metadata.encoding : "";
  if (!encoded) return "";
  try {
    return utf8.decode(fromBase64(encoded));
  } catch {
    return "";
  }
}

/**
 * What a payload holds, for a person: `{encoding, decoded: true, value}` for json/plain
 * (and binary/null, which is null), else `{encoding, decoded: false, base64, size}`.
 */
export function decode(payload) {
  const encoding = encodingOf(payload);
  if (encoding === "binary/null") return { encoding, decoded: true, value: null };
  if (encoding === "json/plain") {
    try {
      return { encoding, decoded: true, value: JSON.parse(utf8.decode(fromBase64(payload.data))) };
    } catch {
      // Not JSON after all: show its bytes.
    }
  }
  const base64 = String(payload && payload.data ? payload.data : "");
  return { encoding: encoding || "(none)", decoded: false, base64, size: base64 ? fromBase64(base64).length : 0 };
}

/** A payload as one JSON-able value: the JSON itself, or `{encoding, base64}` when not json/plain. */
export function readable(payload) {
  const d = decode(payload);
  return d.decoded ? d.value : { encoding: d.encoding, size: d.size, base64: d.base64 };
}

/** The same object with every payload in it replaced by `readable(payload)`. */
export function readableDeep(value) {
  if (isPayload(value)) return readable(value);
  if (Array.isArray(value)) return value.map(readableDeep);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, readableDeep(v)]));
  }
  return value;
}

/** A short one-line text of a payload (or a list of them), for tables. */
export function brief(payloadOrList, max = 120) {
  const values = Array.isArray(payloadOrList) ? payloadOrList.map(readable) : readable(payloadOrList);
  const text = JSON.stringify(values) ?? "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A value as a json/plain payload, as the SDK's default converter writes it. */
export function encode(value) {
  const data = new TextEncoder().encode(JSON.stringify(value));
  return { metadata: { encoding: toBase64(new TextEncoder().encode("json/plain")) }, data: toBase64(data) };
}

/**
 * The arguments a person typed, as payloads: "" is none, a JSON array is one argument per
 * item, any other JSON value is one argument. Throws SyntaxError naming the problem.
 */
export function parseArgs(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return [];
  let value;
  try {
    value = JSON.parse(trimmed);
  } catch (e) {
    throw new SyntaxError(`The arguments are not JSON: ${e.message}`);
  }
  return (Array.isArray(value) ? value : [value]).map(encode);
}
