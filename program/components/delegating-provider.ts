// The one dynamic provider object of the local target. Pulumi serializes a
// dynamic provider as the source text of its functions (Function.toString) and
// runs that text in its plugin process (bin/pulumi-resource-pulumi-nodejs).
// This program runs through tsx, and esbuild's output can reference helpers
// (`__name`, …) that live in the transpiled module, not in the function, so a
// serialized function that calls a local helper or declares a named function
// can break in the plugin. Hence each method here is a single expression with
// no free variable but `require` (which Pulumi never captures; the plugin gives
// the deserialized module its own): it loads the resource's implementation, a
// plain CommonJS file (program/local/*.cjs) whose absolute path is an input of
// the resource, and calls the method of the same name.
import type * as pulumi from '@pulumi/pulumi';

/** What every resource of this provider carries: the absolute path of its implementation module. */
export interface DelegatingState {
  implementation: string;
}

/** A provider implementation module (program/local/*.cjs). */
interface Implementation {
  create(inputs: DelegatingState): Promise<pulumi.dynamic.CreateResult>;
  read(id: string, props: DelegatingState): Promise<pulumi.dynamic.ReadResult>;
  diff(id: string, olds: DelegatingState, news: DelegatingState): Promise<pulumi.dynamic.DiffResult>;
  update(id: string, olds: DelegatingState, news: DelegatingState): Promise<pulumi.dynamic.UpdateResult>;
  delete(id: string, props: DelegatingState): Promise<void>;
}

/**
 * The provider of LocalNode, LocalDnsRecords and PowerDnsRecords. `require` is the global of
 * @types/node: the program never calls these (it is ESM); the plugin does,
 * inside the CommonJS module it builds from the serialized text. Old state
 * (olds, props) names the implementation it was made with, so deleting or
 * reading a resource uses the module that created it; new inputs name the
 * current one.
 */
export const delegatingProvider: pulumi.dynamic.ResourceProvider<DelegatingState, DelegatingState> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs as CommonJS in the plugin process (see the header)
  create: (inputs) => (require(inputs.implementation) as Implementation).create(inputs),
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs as CommonJS in the plugin process (see the header)
  read: (id, props) => (require((props as DelegatingState).implementation) as Implementation).read(id, props as DelegatingState),
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs as CommonJS in the plugin process (see the header)
  diff: (id, olds, news) => (require(news.implementation) as Implementation).diff(id, olds, news),
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs as CommonJS in the plugin process (see the header)
  update: (id, olds, news) => (require(news.implementation) as Implementation).update(id, olds, news),
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs as CommonJS in the plugin process (see the header)
  delete: (id, props) => (require(props.implementation) as Implementation).delete(id, props),
};
