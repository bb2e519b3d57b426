// The store's clock on Postgres, as SQL: the server's time in epoch ms, so
// replicas with skewed clocks agree. It is now(), the start of the
// transaction, constant within a statement; lease calls are one statement
// each, so it is when the server took the call. That errs on the safe side
// for leadership: a lease written lapses no earlier than the caller's start
// + TTL (the caller's own deadline), and a statement that waited for a row
// lock judges expiry by the time it arrived, so it never takes a lease early.

/** SQL for the server's current time in whole epoch milliseconds (bigint). */
export const NOW_MS = `floor(extract(epoch from now()) * 1000)::bigint`;
