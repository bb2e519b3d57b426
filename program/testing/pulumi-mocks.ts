// Pulumi mocks for the program's unit tests: every resource the program
// declares is recorded (type, name, inputs, and which inputs were secret),
// and provider calls answer with fixed values. A test file calls installMocks
// BEFORE it imports the program (dynamically), as Pulumi's testing guide asks.
import * as pulumi from '@pulumi/pulumi';

/** One resource the program declared. */
export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Names of the inputs that arrived as secrets. */
  secretInputs: string[];
}

/** Options of the mocks. */
export interface MockOptions {
  /** The stack name Pulumi reports; default `jp`. */
  stack?: string;
  /** `outputs` of StackReferences by stack name (`organization/xplane/jp`). */
  stackOutputs?: Map<string, Record<string, unknown>>;
}

/** What the mocks recorded; `reset` forgets it between runs. */
export interface MockRecorder {
  resources: RecordedResource[];
  calls: { token: string; inputs: Record<string, unknown> }[];
  /** The resources of one type, e.g. `aws:ec2/instance:Instance`. */
  ofType(type: string): RecordedResource[];
  reset(): void;
}

// The wire form of a secret value in the mock monitor (runtime/rpc.ts).
const SECRET_SIG_KEY = '4dabf18193072939515e22adb298388d';
const SECRET_SIG = '1b47061264138c4ac30d75fd1eb44270';

function isWireSecret(value: unknown): value is { value: unknown } {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** A fake public IP per instance name, stable for a given name. */
export function fakeIp(name: string): string {
  let hash = 0;
  for (const ch of name) hash = (hash * 31 + ch.charCodeAt(0)) % 65_000;
  return `198.51.${Math.floor(hash / 254) % 254}.${(hash % 254) + 1}`;
}

/** The Pulumi type of a LocalNode (a dynamic resource of module `xplane`). */
export const LOCAL_NODE_TYPE = 'pulumi-nodejs:dynamic/xplane:LocalNode';
/** The Pulumi type of a LocalDnsRecords. */
export const LOCAL_DNS_TYPE = 'pulumi-nodejs:dynamic/xplane:LocalDnsRecords';

/** The Pulumi type of a PowerDnsRecords. */
export const POWERDNS_RECORDS_TYPE = 'pulumi-nodejs:dynamic/xplane:PowerDnsRecords';

/** A fake process id per local node name, stable for a given name. */
export function fakePid(name: string): number {
  return 10_000 + (Number(/([0-9]+)$/.exec(name)?.[1] ?? 0) % 10_000);
}

/** Installs the mocks for project `xplane`; resolves once they are in place. */
export async function installMocks(options: MockOptions = {}): Promise<MockRecorder> {
  const recorder: MockRecorder = {
    resources: [],
    calls: [],
    ofType: (type) => recorder.resources.filter((r) => r.type === type),
    reset: () => {
      recorder.resources.length = 0;
      recorder.calls.length = 0;
    },
  };
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const raw = args.inputs as Record<string, unknown>;
        const inputs: Record<string, unknown> = {};
        const secretInputs: string[] = [];
        for (const [key, value] of Object.entries(raw)) {
          if (isWireSecret(value)) secretInputs.push(key);
          inputs[key] = isWireSecret(value) ? value.value : value;
        }
        recorder.resources.push({ type: args.type, name: args.name, inputs, secretInputs });
        if (args.type === 'pulumi:pulumi:StackReference') {
          const stack = typeof inputs.name === 'string' ? inputs.name : args.name;
          const outputs = options.stackOutputs?.get(stack);
          if (!outputs) throw new Error(`stack ${stack} not found`);
          return { id: stack, state: { name: stack, outputs } };
        }
        // Pass inputs back unchanged (secrets still wrapped), so outputs keep their secretness.
        const state: Record<string, unknown> = { ...raw };
        if (args.type === 'aws:ec2/instance:Instance') state.publicIp = fakeIp(args.name);
        // The local target's dynamic resources: what their providers would add (program/local/*.cjs).
        if (args.type === LOCAL_NODE_TYPE) state.pid = fakePid(args.name);
        if (args.type === LOCAL_DNS_TYPE) state.path = `${String(inputs.stateDir)}/dns/${String(inputs.domain)}/${String(inputs.region)}.json`;
        if (args.type === POWERDNS_RECORDS_TYPE) state.records = [(inputs.region as { name: string }).name, (inputs.answer as { name: string }).name];
        return { id: `${args.name}-id`, state };
      },
      call: (args) => {
        const inputs = args.inputs as Record<string, unknown>;
        recorder.calls.push({ token: args.token, inputs });
        if (args.token === 'aws:ec2/getAmi:getAmi') return { id: 'ami-0123', name: 'debian-12-amd64-20250101-1' };
        if (args.token === 'aws:route53/getZone:getZone') return { zoneId: 'Z123', id: 'Z123', name: inputs.name };
        return {};
      },
    },
    'xplane',
    options.stack ?? 'jp',
    false,
  );
  return recorder;
}

/** Sets the whole stack config: objects become JSON text, as Pulumi passes them. */
export function setStackConfig(config: Record<string, unknown>, secretKeys: string[] = []): void {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) flat[key] = typeof value === 'string' ? value : JSON.stringify(value);
  pulumi.runtime.setAllConfig(flat, secretKeys);
}

/** Resolves an Output's value (Outputs resolve asynchronously under mocks). */
export function promiseOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Resolves every Output nested in a value (stack outputs are plain objects holding Outputs). */
export async function resolveAll(value: unknown): Promise<unknown> {
  return promiseOf(pulumi.output(value));
}
