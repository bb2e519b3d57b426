// Stack files as humans leave them, shared by the unit and property tests.

/** stacks/Pulumi.jp.yaml as seeded. */
export const SEED = `# Stack config of region jp. The control loop edits only
# xplane:pools.<service>.{weight,nodes,excluded}; every other key is yours.
config:
  xplane:region: jp                # names platform-config/regions/jp.yaml
  aws:region: ap-northeast-1       # provider settings: humans own these
  xplane:pools:
    svc-plus:
      weight: 100                  # GTM: effective DNS weight of this region, 0 = out of rotation
      nodes: [jp-svc-plus-1]       # autoscaler: the desired nodes; the count is its length
      excluded: []                 # GTM: nodes kept out of DNS (down, or draining before removal)
`;

/** A stack file with everything the loop must not touch: secrets, other namespaces, comments, blank lines, block lists. */
export const STACK = `# Stack config of region jp. The control loop edits only
# xplane:pools.<service>.{weight,nodes,excluded}; every other key is yours.
secretsprovider: passphrase
encryptionsalt: v1:Tq3sY4kP0nU=:v1:6e0vK1pXGQm1vI1b:9kqJ8c3P6u2m0cW2rT8Vqg==
config:
  aws:region: ap-northeast-1       # provider settings: humans own these
  xplane:region: jp                # names platform-config/regions/jp.yaml

  # Pools: the control loop writes these.
  xplane:pools:
    svc-plus:
      weight: 100                  # GTM: effective DNS weight
      nodes: [jp-svc-plus-1, jp-svc-plus-2]   # autoscaler: the desired nodes
      excluded: []                 # GTM: nodes kept out of DNS
    svc-api:
      # block lists, the way some humans write them
      weight: 50
      nodes:
        - jp-svc-api-1   # the first one
        - jp-svc-api-2
      excluded:
        - jp-svc-api-2

  db:password:
    secure: AAABAHRiD0M1ZJ3z4Kc9Ej0mG6n2bGZK3q5OtTeL2y8t8h3cj0Q=
  app:features: [a,  b]            # spacing Document.toString() would change
# end of stack
`;

/** The pools STACK declares. */
export const STACK_POOLS = {
  'svc-plus': { weight: 100, nodes: ['jp-svc-plus-1', 'jp-svc-plus-2'], excluded: [] },
  'svc-api': { weight: 50, nodes: ['jp-svc-api-1', 'jp-svc-api-2'], excluded: ['jp-svc-api-2'] },
};
