// What the provider tells the user from the dynamic-provider host. The host has no connection to
// the engine (it is never given PULUMI_NODEJS_ENGINE, so pulumi.log would only print), but the
// engine turns each line the host prints into a diagnostic of the operation: a line on stdout
// (after the port line) is info, a line on stderr is shown from the error stream. So a risk is a
// line on stderr marked "warning:", and information that is not a risk is a plain line on stdout.

/** A risk the admin must weigh (Outlook profiles, restarts, something left behind). */
export function warn(message: string): void {
  process.stderr.write(`warning: ${message}\n`);
}

/** Information that is not a risk: what was done, as planned. */
export function info(message: string): void {
  process.stdout.write(`${message}\n`);
}
