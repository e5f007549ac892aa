/** YAML scalars written by hand: plain when that reads back as the same string, else double-quoted (JSON's escapes are YAML's). */

const PLAIN = /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/;
/** Plain words YAML 1.1 or 1.2 would read as something other than a string. */
const NOT_A_STRING = /^(?:~|null|true|false|yes|no|on|off|y|n|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?|0x[0-9a-f]+|0o[0-7]+|\.inf|\.nan)$/i;

export const yamlScalar = (s: string): string => (PLAIN.test(s) && !NOT_A_STRING.test(s) ? s : JSON.stringify(s));

export const yamlKey = yamlScalar;
