#!/usr/bin/env bash
# Packs the library as npm would publish it, installs the tarball and `effect` into a fresh project in a
# temporary directory (npm registry only), type-checks a small program that imports `effect-pocketflow` and
# `effect-pocketflow/testing` with the repo's TypeScript, runs it with Node >= 22 and checks its output.
# The temporary directory is removed on exit, whatever happens. Run it with `npm run pack:check`, which
# puts the project's Node 22 first on PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 22 ]; then
  echo "pack-check: needs Node >= 22, found $(node --version) (run it with npm run pack:check)" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/effect-pocketflow-pack.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "pack-check: npm pack (prepack builds dist/)"
npm pack --silent --pack-destination "$tmp" >/dev/null
tarball="$(ls "$tmp"/effect-pocketflow-*.tgz)"

# The tarball must ship the built entry points, not only src/.
listing="$(tar -tzf "$tarball")"
for file in dist/index.js dist/index.d.ts dist/testing.js dist/testing.d.ts package.json README.md LICENSE; do
  if ! grep -qx "package/$file" <<<"$listing"; then
    echo "pack-check: $file is missing from $(basename "$tarball")" >&2
    exit 1
  fi
done

effect_version="$(node -p 'require("./node_modules/effect/package.json").version')"
app="$tmp/app"
mkdir -p "$app/src"
cd "$app"
cat >package.json <<'EOF'
{ "name": "pack-check-app", "private": true, "type": "module" }
EOF
echo "pack-check: npm install $(basename "$tarball") effect@$effect_version"
npm install --silent --no-audit --no-fund "$tarball" "effect@$effect_version"

cat >tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM"],
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "types": [],
    "strict": true,
    "exactOptionalPropertyTypes": true,
    "skipLibCheck": false,
    "outDir": "dist",
    "rootDir": "src"
  },
  "include": ["src"]
}
EOF

cat >src/main.ts <<'EOF'
import { Console, Effect, Layer } from "effect"
import { EmbeddingModel, LanguageModel } from "effect/ai"
import { Flow, Node, Shared } from "effect-pocketflow"
import { TestEmbeddingModel, TestLanguageModel } from "effect-pocketflow/testing"

class Store extends Shared.Service<Store, {
  readonly question: string
  readonly answer: string | undefined
}>()("pack-check/Store") {}

const answer = Node.make({
  name: "answer",
  prep: Store.get.pipe(Effect.map((s) => s.question)),
  exec: (question) => Effect.map(LanguageModel.generateText({ prompt: question }), (r) => r.text),
  post: (_question, text) => Store.update((s) => ({ ...s, answer: text })).pipe(Node.as("answered"))
})

const flow = Flow.make({ name: "pack-check", start: answer })

const program = Effect.gen(function*() {
  const action: "answered" = yield* flow
  const state = yield* Store.get
  const prompts = yield* TestLanguageModel.prompts
  const embedder = yield* EmbeddingModel.EmbeddingModel
  const { vector } = yield* embedder.embed("hello world")
  yield* Console.log(`action: ${action}`)
  yield* Console.log(`answer: ${state.answer}`)
  yield* Console.log(`prompts: ${JSON.stringify(prompts)}`)
  yield* Console.log(`embedding: ${vector.length}`)
})

const layer = Layer.mergeAll(
  TestLanguageModel.layer(({ text }) => (text.includes("France") ? "Paris" : undefined)),
  TestEmbeddingModel.layer({ dimensions: 8 }),
  Store.layer({ question: "What is the capital of France?", answer: undefined })
)

Effect.runPromise(Effect.provide(program, layer))
EOF

echo "pack-check: tsc (TypeScript $("$root/node_modules/.bin/tsc" --version | sed 's/Version //'))"
"$root/node_modules/.bin/tsc" -p tsconfig.json
"$root/node_modules/.bin/tsc" -p tsconfig.json --noEmit --explainFiles >"$tmp/files.txt"

# A consumer must get dist/ (types and code), never the source export condition.
for entry in index testing; do
  if ! grep -q "node_modules/effect-pocketflow/dist/$entry.d.ts" "$tmp/files.txt"; then
    echo "pack-check: tsc did not resolve effect-pocketflow to dist/$entry.d.ts" >&2
    exit 1
  fi
done
if grep -q "node_modules/effect-pocketflow/src/" "$tmp/files.txt"; then
  echo "pack-check: tsc resolved files from effect-pocketflow/src/ in a consumer project" >&2
  exit 1
fi
for specifier in effect-pocketflow effect-pocketflow/testing; do
  resolved="$(node --input-type=module -e "console.log(import.meta.resolve('$specifier'))")"
  case "$resolved" in
    */node_modules/effect-pocketflow/dist/*.js) ;;
    *)
      echo "pack-check: node resolved $specifier to $resolved, not dist/" >&2
      exit 1
      ;;
  esac
done

echo "pack-check: node $(node --version) dist/main.js"
output="$(node dist/main.js)"
expected='action: answered
answer: Paris
prompts: ["What is the capital of France?"]
embedding: 8'
if [ "$output" != "$expected" ]; then
  echo "pack-check: unexpected output:" >&2
  echo "$output" >&2
  echo "expected:" >&2
  echo "$expected" >&2
  exit 1
fi
echo "pack-check: ok"
