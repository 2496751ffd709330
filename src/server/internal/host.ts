/**
 * Which addresses the server (and the viewer on it) may listen on. It starts, answers, forks and interrupts runs for
 * whoever holds its token, and its page shows every store's state: on a network interface, anyone who can reach the
 * machine can try the token, and a leaked URL is enough. So it listens on loopback unless told, in so many words, to
 * do otherwise.
 */

const ipv4Loopback = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

/** `localhost`, 127.0.0.0/8 and `::1` (bare, bracketed or IPv4-mapped). */
export const isLoopback = (host: string): boolean => {
  const name = host.toLowerCase()
  if (name === "localhost" || name === "::1" || name === "[::1]") return true
  const v4 = ipv4Loopback.exec(name.startsWith("::ffff:") ? name.slice("::ffff:".length) : name)
  return v4 !== null && v4.slice(1).every((part) => Number(part) <= 255)
}

/** Why the viewer must not listen on `host`, or `undefined` when it may; `allow` says how to allow it on purpose. */
export const refusal = (
  host: string,
  allowRemote: boolean,
  allow = "pass allowRemote: true to Viewer.layer",
  who = "The run viewer"
): string | undefined => {
  if (allowRemote || isLoopback(host)) return undefined
  const what = host.trim() === ""
    ? "an empty host listens on every network interface"
    : `host ${JSON.stringify(host)} is not a loopback address`
  return `${who} refuses to listen there: ${what}, which lets anyone who can reach this machine try the ` +
    "token and read, answer, fork and interrupt runs. Bind 127.0.0.1 (the default) or localhost; to listen on " +
    `another address on purpose, ${allow}.`
}
