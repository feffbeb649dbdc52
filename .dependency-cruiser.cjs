// dependency-cruiser: the house's layers and the direction of its imports (npm run lint; CI).
// Imports point one way, top to bottom:
//   entry (main, cli, workers) → edge (app, deps, web, webhooks, every routes.ts) → inbound →
//   conversation → alerts + advisories → directory → outbox → leaves (db, config, clock, logging,
//   metrics, http, text)
// and, on the side, senders (providers + channels) → outbox (types only) and leaves; only the entry
// points and the edge import a sender. Type-only imports count (tsPreCompilationDeps), circles are
// refused, and a feature's routes.ts is imported by app.ts alone.

/** A feature's HTTP routes (src/<feature>/routes.ts, org-routes.ts) are edge modules living in feature folders. */
const ROUTES = '^src/[^/]+/[a-z-]*routes\\.ts$';

/** Top to bottom: a module may import its own layer and the layers below it, never one above. */
const LAYERS = [
  { name: 'entry', path: ['^src/(main|cli|workers|runtime)\\.ts$'] },
  { name: 'edge', path: ['^src/(app|deps)\\.ts$', '^src/(web|webhooks)/', ROUTES] },
  { name: 'inbound', path: ['^src/inbound/'] },
  { name: 'conversation', path: ['^src/conversation/'] },
  { name: 'alerts', path: ['^src/(alerts|advisories)/'] },
  { name: 'directory', path: ['^src/directory/'] },
  { name: 'outbox', path: ['^src/outbox/'] },
  { name: 'leaves', path: ['^src/(db|metrics|http|text)/', '^src/(config|clock|logging)\\.ts$'] },
];
const SENDERS = '^src/(providers|channels)/';
const OUTBOX = '^src/outbox/';
/** What every provider's webhook parser produces for the intake: a contract module, types and a predicate. */
const INBOUND_CONTRACT = '^src/inbound/message\\.ts$';
const LEAVES = LAYERS.at(-1).path;

const layerRules = LAYERS.slice(1).map((layer, k) => {
  const above = LAYERS.slice(0, k + 1);
  return {
    name: `layer-${layer.name}`,
    comment: `${layer.name} imports only ${LAYERS.slice(k + 1).map((l) => l.name).join(', ')} (not ${above.map((l) => l.name).join(', ')})`,
    severity: 'error',
    from: { path: layer.path, pathNot: ROUTES },
    to: { path: above.flatMap((l) => l.path) },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A circle (type-only imports included) means two modules are one; split what they share into the lower one.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'leaves-import-leaves',
      comment: 'Leaves (db, config, clock, logging, metrics, http, text) import nothing above them.',
      severity: 'error',
      from: { path: LEAVES, pathNot: ROUTES },
      to: { path: '^src/', pathNot: LEAVES },
    },
    {
      name: 'routes-only-from-app',
      comment: 'A feature\'s routes.ts is the edge of that feature: only app.ts registers it.',
      severity: 'error',
      from: { pathNot: '^src/app\\.ts$' },
      to: { path: ROUTES },
    },
    {
      name: 'senders-below-the-outbox',
      comment: 'Providers and channels implement the outbox\'s Sender: they import outbox types, the inbound message contract and leaves, nothing of the features (their admin API, src/providers/routes.ts, is an edge module).',
      severity: 'error',
      from: { path: SENDERS, pathNot: ROUTES },
      to: { path: '^src/', pathNot: [SENDERS, OUTBOX, INBOUND_CONTRACT, ...LEAVES] },
    },
    {
      name: 'senders-take-outbox-types-only',
      comment: 'From the outbox a sender takes types (Sender, SendOutcome, payloads), never its code.',
      severity: 'error',
      from: { path: SENDERS },
      to: { path: OUTBOX, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'one-sender-folder-each',
      comment: 'A provider or channel folder holds everything about it and imports no other one; files beside the folders (failover.ts, outcome.ts) are shared.',
      severity: 'error',
      from: { path: '^src/(providers|channels)/([^/]+)/' },
      to: { path: SENDERS, pathNot: ['^src/$1/$2/', '^src/$1/[^/]+\\.ts$'] },
    },
    {
      name: 'senders-wired-by-entry-and-edge',
      comment: 'Only the entry points (workers.ts wires them) and the edge (webhooks, simulator page) import a provider or channel.',
      severity: 'error',
      from: { path: LAYERS.slice(2).flatMap((l) => l.path), pathNot: ROUTES },
      to: { path: SENDERS },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-to-dev-deps',
      comment: 'The production install has no devDependencies (npm ci --omit=dev).',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules'] },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
