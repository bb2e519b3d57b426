// The author of the loop's commits, as `Name <email>`.

/** `Name <email>` split. */
export interface Identity {
  name: string;
  email: string;
}

/** Parses `Name <email>`. */
export function parseIdentity(text: string): Identity {
  const match = /^\s*(.+?)\s*<([^<>\s]+)>\s*$/.exec(text);
  if (!match) throw new Error(`author must look like "Name <email>", got "${text}"`);
  return { name: match[1] ?? '', email: match[2] ?? '' };
}
