// This replica in the election among the replicas that share one store: who
// leads as it sees it, and whether (and under which lease) it may write nodes.
// The parts of the control plane are built before the election, which needs
// the address the API listens on, so they ask through this object.
import { type LeaderView, type Leadership, CONTROLLER_LEASE } from '../leader/index.js';
import type { ForwardTarget } from '../server/index.js';
import type { WriteFence } from '../store/index.js';

/** Where a follower sends /v1/*: itself when it leads, the leader's address, or nowhere yet. */
export function forwardTarget(view: LeaderView): ForwardTarget {
  if (view.role === 'leader') return { kind: 'local' };
  if (view.role === 'follower') return { kind: 'leader', url: view.leader.address };
  return { kind: 'none', reason: view.reason };
}

/** This replica's role and its right to write; see the file comment. */
export class Replica {
  /** The election, once the API listens (it advertises the API's address). */
  private election: Leadership | null = null;
  /** The fencing token of the term this replica leads (kept through a clean shutdown's last write). */
  private termToken: number | null = null;
  /** Set when the process stops: a clean shutdown still writes the registry out under its lease. */
  private closing = false;

  constructor(
    /** This replica's id in the election. */
    readonly id: string,
  ) {}

  /** Hands over the election, once it is built. */
  attach(election: Leadership): void {
    this.election = election;
  }

  /** True while this replica holds the lease. */
  leads(): boolean {
    return this.election?.isLeader === true;
  }

  /** Who leads, as this replica sees it. */
  view(): LeaderView {
    return this.election ? this.election.view() : { role: 'none', reason: 'starting' };
  }

  /** Asks the store who leads now (a forward to the leader failed). */
  poke(): void {
    this.election?.poke();
  }

  /** Why the last lease request failed, or null. */
  get storeError(): string | null {
    return this.election?.storeError ?? null;
  }

  /** Throws unless this replica still holds the lease (the check before a push). */
  async holdsLease(): Promise<void> {
    await this.election?.fence();
  }

  /** Whether the registry may write nodes: while leading, and during a clean shutdown's last write. */
  mayWriteNodes(): boolean {
    return this.leads() || this.closing;
  }

  /** The lease the registry's writes rest on, or undefined outside a term. */
  writeFence(): WriteFence | undefined {
    return this.termToken === null ? undefined : { lease: CONTROLLER_LEASE, holder: this.id, token: this.termToken };
  }

  /** Whether the process is stopping. */
  get stopping(): boolean {
    return this.closing;
  }

  /** A term under `token` begins. */
  enterTerm(token: number): void {
    this.termToken = token;
  }

  /** The term ended; nothing more is written under its token. */
  leaveTerm(): void {
    this.termToken = null;
  }

  /** The process is stopping. */
  close(): void {
    this.closing = true;
  }
}
