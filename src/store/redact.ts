// A store URL's password must not reach logs through an error message.

/** The store URL with its password, if any (`//user:pw@` or `?password=pw`), replaced by `***`. */
export function redactUrl(spec: string): string {
  return spec.replace(/\/\/([^/@:]*):[^/@]*@/, '//$1:***@').replace(/([?&]password=)[^&#]*/gi, '$1***');
}
