#!/usr/bin/env bash
# The consumer test (CI): pack the library as npm would publish it, install the tarball into a temporary CDK app
# outside the repository (everything else from the registry, as a team would), type-check the three example team
# stacks in examples/ against the package's published types, and synthesize each with every compliance pack.
# Any unacknowledged finding, type error or missing file fails it. KEEP_CONSUMER_APP=1 keeps the app for a look.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/sdp-consumer-XXXXXX")"
if [ "${KEEP_CONSUMER_APP:-}" = 1 ]; then echo "consumer app kept in $work"; else trap 'rm -rf "$work"' EXIT; fi

version_of() { node -p "const p = require('$root/package.json'); (p.devDependencies || {})['$1'] || (p.dependencies || {})['$1']"; }

echo "== npm pack"
tarball="$(cd "$root" && npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "$tarball: $(du -k "$work/$tarball" | cut -f1) KiB"

app="$work/team-app"
mkdir -p "$app"
cp -R "$root/examples" "$app/examples"
cat > "$app/package.json" <<JSON
{
  "name": "team-app",
  "version": "1.0.0",
  "private": true,
  "allowScripts": { "esbuild": true }
}
JSON
cat > "$app/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "commonjs", "moduleResolution": "node", "strict": true, "esModuleInterop": true,
    "skipLibCheck": true, "noEmit": true, "types": ["node"]
  },
  "include": ["examples/**/*.ts"],
  "exclude": ["examples/**/*.test.ts"]
}
JSON

echo "== npm install (the tarball, its peers and the team's own tools, from the registry)"
(cd "$app" && npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  "$work/$tarball" \
  "aws-cdk-lib@$(version_of aws-cdk-lib)" "constructs@$(version_of constructs)" "cdk-nag@$(version_of cdk-nag)" \
  "esbuild@$(version_of esbuild)" "typescript@$(version_of typescript)" "tsx@$(version_of tsx)" \
  "@types/node@$(version_of @types/node)" "@types/aws-lambda@$(version_of @types/aws-lambda)" \
  "@aws-sdk/client-s3@$(version_of @aws-sdk/client-s3)")

installed="$app/node_modules/secure-data-pipeline"
echo "== the installed package holds bundles, not handler sources"
test -f "$installed/dist/lambda/ingest/index.js"
test -f "$installed/dist/lib/index.d.ts"
test ! -e "$installed/lambda"
test -f "$installed/LICENSE"

echo "== type-check the examples against the published types"
(cd "$app" && npx tsc -p tsconfig.json)

for example in team-dataset bring-your-own-vpc custom-stage; do
  echo "== synth examples/$example with every pack"
  started=$(date +%s)
  (cd "$app" && CDK_OUTDIR="cdk.out/$example" npx tsx "examples/$example/app.ts")
  ls "$app/cdk.out/$example/"*.template.json > /dev/null
  # No account lookups: a lookup leaves "missing" context in the manifest and dummy values in the template.
  node -e "const m = require(process.argv[1]); if (m.missing) { console.error('lookups needed:', JSON.stringify(m.missing)); process.exit(1); }" "$app/cdk.out/$example/manifest.json"
  echo "examples/$example: synthesized in $(( $(date +%s) - started )) s"
done

# The built-in handlers were taken from the installed package's bundles, byte for byte (not rebuilt at synth).
assets="$(find "$app/cdk.out/team-dataset" -path '*/asset.*/index.js' -exec sha256sum {} +)"
for handler in ingest store load; do
  want="$(sha256sum "$installed/dist/lambda/$handler/index.js" | cut -d' ' -f1)"
  if ! grep -q "^$want " <<< "$assets"; then
    echo "no asset in cdk.out/team-dataset is the package's dist/lambda/$handler/index.js" >&2
    exit 1
  fi
done
echo "== the built-in handlers' assets are the package's prebuilt bundles"
echo "consumer test passed"
