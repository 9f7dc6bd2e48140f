// Validation rules shared by the resources, with messages that say what to do.
import { z } from "zod";

// Control characters (newline, NUL, …) are never part of a real Exchange or DNS name.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

/** A DNS host name: letters, digits and hyphens in dot-separated labels of at most 63 characters. */
export function isHostName(value: string): boolean {
  const name = value.endsWith(".") ? value.slice(0, -1) : value;
  if (name.length === 0 || name.length > 253) return false;
  return name.split(".").every((label) => LABEL.test(label));
}

/** A fully qualified domain name (at least two labels), lower-cased, without a trailing dot. */
export const Fqdn = z
  .string({ error: "must be a string such as outlook-ho.contoso.com" })
  .trim()
  .refine((v) => isHostName(v) && v.replace(/\.$/, "").includes("."), {
    message: "must be a fully qualified DNS name such as outlook-ho.contoso.com (letters, digits and hyphens in dot-separated labels)",
  })
  .transform((v) => v.replace(/\.$/, "").toLowerCase());

/** An AD site name. AD allows no dots, spaces or slashes in practice; Exchange resolves it by name. */
export const SiteName = z
  .string({ error: "must be the name of an Active Directory site, such as HeadOffice" })
  .min(1, "must not be empty")
  .max(63, "must be at most 63 characters (an AD site name)")
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, {
    message: "must be an Active Directory site name: letters, digits, hyphens and underscores (such as HeadOffice)",
  });

/** A CAS array name: Exchange allows up to 64 characters; a name with spaces cannot be used as an Identity. */
export const ArrayName = z
  .string({ error: "must be a string such as cas-headoffice" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters (Exchange's limit for a CAS array name)")
  .refine((v) => !CONTROL.test(v), { message: "must not contain control characters such as newlines" })
  .refine((v) => !/\s/.test(v), { message: "must not contain spaces: Exchange cannot use such a name as an Identity later" })
  .refine((v) => /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(v), {
    message: "must be letters, digits, hyphens, underscores and dots, starting with a letter or digit (such as cas-headoffice)",
  });

/** An Exchange object identity we send as a value (a database name, a server name). */
export const ExchangeName = z
  .string({ error: "must be a string" })
  .min(1, "must not be empty")
  .max(64, "must be at most 64 characters")
  .refine((v) => !CONTROL.test(v), { message: "must not contain control characters such as newlines" })
  .refine((v) => v.trim() === v, { message: "must not start or end with spaces" });
