/**
 * Reads the config of a Pulumi stack file (`Pulumi.<stack>.yaml`) into the flat string map
 * the Pulumi runtime uses (`"tap:alertEmails"` → JSON text), without the Pulumi CLI.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { PROJECT } from "../config";

/** Converts the parsed `config:` block; `file` is only used in error messages. */
export function flattenStackConfig(config: unknown, file: string): Record<string, string> {
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) {
    throw new Error(`${file}: "config" must be a mapping of keys to values`);
  }
  const out: Record<string, string> = {};
  for (const [rawKey, value] of Object.entries(config as Record<string, unknown>)) {
    // Pulumi files always namespace keys; a bare key belongs to the project.
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      throw new Error(
        `${file}: ${key} is a secret, which cannot be decrypted without the Pulumi CLI; remove it from the file used for synth or give a plain value`,
      );
    }
    if (value === null || value === undefined) continue;
    out[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** Reads `Pulumi.<stack>.yaml` in `dir`. */
export function readStackConfig(stack: string, dir: string): Record<string, string> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new Error(`--stack ${JSON.stringify(stack)}: a stack name has only letters, digits, _, . and -`);
  }
  const file = join(dir, `Pulumi.${stack}.yaml`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file} (does stack "${stack}" exist?)`, { cause: err });
  }
  const doc = load(text) as { config?: unknown } | null;
  return flattenStackConfig(doc?.config, file);
}
