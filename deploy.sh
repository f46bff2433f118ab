#!/usr/bin/env bash
# Deploys openchecks (manifest.yaml) to the local stack, to any Apache OpenWhisk, or to a legacy IBM Cloud
# Functions namespace. Run `./deploy.sh --help` for targets, flags and variables.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="$repo/.venv/bin/python"
guest_auth="" # the local stack's own random key, read from its data directory (python -m infra.stack credentials)

usage() {
  cat <<'EOF'
Usage: ./deploy.sh TARGET [FLAGS]

Targets
  local       Install what is missing (infra/setup.sh), start the local stack (CouchDB, S3, OpenWhisk,
              feed provider, OpenID Provider, /whisk.system catalog) and deploy manifest.yaml to
              http://127.0.0.1:3233 with the guest key; then print the service URLs, the web page's
              address and the demo accounts' passwords for its "Sign in".
  openwhisk   Deploy to any Apache OpenWhisk. Host and key come from APIHOST and AUTH (environment or
              the env file), else from ~/.wskprops. Creates the app's databases and buckets first when
              the env file names them (python -m openchecks.provision).
  ibmcloud    Legacy IBM Cloud Functions through `ibmcloud fn deploy --manifest`. IBM Cloud Functions
              reached end of life in October 2024; use the openwhisk target instead.

Flags (every target)
  --dry-run         Print the plan (and, when the host answers, what would change); change nothing.
  --uninstall       Remove exactly what the manifest declares (feeds first). Data is kept.
  --env FILE        KEY=VALUE file for $VAR substitution (default: local.env, ignored by git;
                    start from template.local.env). Variables set in the environment win.
  --manifest FILE   The manifest to deploy (default: manifest.yaml).
  --insecure        Do not verify the API host's TLS certificate (self-signed, as wsk -i).
  -h, --help        This help.

Environment (local only)
  OPENCHECKS_DATA, OPENCHECKS_{WHISK,COUCHDB,S3,FEEDS,OIDC}_PORT   data directory and ports of the stack
  OPENCHECKS_SKIP_SETUP=1   skip infra/setup.sh (when everything is installed already)

Flags (local only)
  --status          Print the local stack's services, URLs and PIDs.
  --stop            Stop the local stack (its data survives).
  --reset           Stop the local stack and delete its data.

Variables (see template.local.env for every one, with comments)
  APIHOST, AUTH, NAMESPACE      where to deploy (openwhisk target); wsk's names, as in ~/.wskprops
  CLOUDANT_*, COS_*, TOKEN_SECRET, RUNTIME_IMAGE, SMTP_*/SENDGRID_API_KEY   what the manifest uses
A variable the manifest marks `required` but that is unset stops the deploy before anything changes,
naming the variable.

Examples
  ./deploy.sh local                              # everything on this machine
  ./deploy.sh local --status
  APIHOST=https://ow.example.com AUTH=uuid:key ./deploy.sh openwhisk --dry-run
  ./deploy.sh openwhisk --env prod.env
  ./deploy.sh openwhisk --uninstall

Exit status: 0 done, 1 deploy failed (platform refused or unreachable), 2 bad manifest, flags or env file.
EOF
}

if [ -t 1 ]; then
  c_bold=$'\033[1m' c_blue=$'\033[1;34m' c_yellow=$'\033[1;33m' c_red=$'\033[1;31m' c_off=$'\033[0m'
else
  c_bold="" c_blue="" c_yellow="" c_red="" c_off=""
fi
say() { printf '%s==>%s %s\n' "$c_blue" "$c_off" "$*"; }
note() { printf '%snote:%s %s\n' "$c_yellow" "$c_off" "$*"; }
die() {
  printf '%serror:%s %s\n' "$c_red" "$c_off" "$1" >&2
  exit "${2:-2}"
}

absolute() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

# -- arguments ---------------------------------------------------------------------------------------------
target=""
dry_run=0
insecure=0
uninstall=0
stack_command=""
env_file=""
env_explicit=0
manifest=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      usage
      exit 0
      ;;
    local | openwhisk | ibmcloud)
      [ -z "$target" ] || die "only one target, got '$target' and '$1'"
      target="$1"
      ;;
    --dry-run) dry_run=1 ;;
    --insecure) insecure=1 ;;
    --uninstall) uninstall=1 ;;
    --status) stack_command="status" ;;
    --stop) stack_command="stop" ;;
    --reset) stack_command="reset" ;;
    --env)
      [ $# -ge 2 ] || die "--env needs a file"
      env_file="$(absolute "$2")"
      env_explicit=1
      shift
      ;;
    --env=*)
      env_file="$(absolute "${1#--env=}")"
      env_explicit=1
      ;;
    --manifest)
      [ $# -ge 2 ] || die "--manifest needs a file"
      manifest="$(absolute "$2")"
      shift
      ;;
    --manifest=*) manifest="$(absolute "${1#--manifest=}")" ;;
    *) die "unknown argument '$1' (see ./deploy.sh --help)" ;;
  esac
  shift
done
[ -n "$target" ] || {
  usage >&2
  die "give a target: local, openwhisk or ibmcloud"
}
[ -z "$stack_command" ] || [ "$target" = local ] || die "--$stack_command applies to the local target only"
[ "$dry_run" = 0 ] || [ "$uninstall" = 0 ] || note "--dry-run with --uninstall: showing what would be removed"

cd "$repo"
env_file="${env_file:-$repo/local.env}"
manifest="${manifest:-$repo/manifest.yaml}"
if [ ! -f "$env_file" ]; then
  [ "$env_explicit" = 0 ] || die "env file $env_file not found (copy template.local.env to start one)"
  env_file=""
fi

# Arguments every deployer call shares.
deployer_args=(--manifest "$manifest")
[ "$insecure" = 0 ] || deployer_args+=(--insecure)
[ -z "$env_file" ] || deployer_args+=(--env "$env_file")

ensure_venv() {
  if [ ! -x "$python" ]; then
    say "installing the Python environment (infra/setup.sh)"
    bash "$repo/infra/setup.sh"
  fi
}

# Stops with the deployer's message (naming the file, entity, key or variable, or the missing API host or
# key) before anything changes. Extra arguments (e.g. --apihost/--auth) go to the deployer.
check_manifest() {
  local flags=()
  [ "$dry_run" = 0 ] || flags+=(--dry-run)
  "$python" -m infra.deployer --check "${deployer_args[@]}" "${flags[@]}" "$@" ||
    die "the manifest or the target is not deployable; nothing was changed" 2
}

# True when NAME is non-empty in the environment or in the env file.
var_set() {
  local name="$1"
  [ -z "${!name:-}" ] || return 0
  [ -n "$env_file" ] && grep -Eq "^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=[[:space:]]*[^[:space:]#]" "$env_file"
}

# Hook: creates the app's databases, indexes, configuration document and buckets, idempotently, when the
# pipeline's provisioning module exists (actions/openchecks/provision.py) and the variables name the services.
provision_app() {
  if ! var_set CLOUDANT_URL && ! var_set COS_ENDPOINT; then
    note "CLOUDANT_URL and COS_ENDPOINT unset: databases and buckets not provisioned"
    return 0
  fi
  if ! "$python" -c 'import importlib.util, sys; sys.exit(0 if importlib.util.find_spec("openchecks.provision") else 1)' 2>/dev/null; then
    note "openchecks.provision not found; databases and buckets not provisioned"
    return 0
  fi
  if [ "$dry_run" = 1 ]; then
    note "dry run: would run python -m openchecks.provision (databases, indexes, config document, buckets)"
    return 0
  fi
  say "provisioning databases and buckets (openchecks.provision)"
  local args=()
  [ -z "$env_file" ] || args+=(--env "$env_file")
  "$python" -m openchecks.provision "${args[@]}" || die "provisioning failed; the manifest was not deployed" 1
}

run_deployer() {
  local flags=()
  [ "$dry_run" = 0 ] || flags+=(--dry-run)
  [ "$uninstall" = 0 ] || flags+=(--uninstall)
  "$python" -m infra.deployer "${deployer_args[@]}" "${flags[@]}" "$@" || exit $?
}

# Sets NAME to VALUE for this run unless the environment or the env file already sets it.
default_var() {
  local name="$1" value="$2"
  [ -z "${!name:-}" ] || return 0
  if [ -n "$env_file" ] && grep -Eq "^[[:space:]]*(export[[:space:]]+)?${name}[[:space:]]*=" "$env_file"; then
    return 0
  fi
  export "$name=$value"
}

# The local stack's token secret: made once at random and kept in its data directory, so demo tokens
# survive restarts and no secret is written in the code.
local_token_secret() {
  local dir="${OPENCHECKS_DATA:-$repo/.data}/secrets"
  if [ ! -s "$dir/token_secret" ]; then
    mkdir -p "$dir"
    (umask 077 && "$python" -c 'import secrets; print(secrets.token_hex(32))' >"$dir/token_secret")
  fi
  cat "$dir/token_secret"
}

# -- targets -----------------------------------------------------------------------------------------------
target_local() {
  if [ -n "$stack_command" ]; then
    [ -x "$python" ] || die "the local stack is not installed yet; run ./deploy.sh local" 1
    exec "$python" -m infra.stack "$stack_command"
  fi
  local whisk_url="http://127.0.0.1:${OPENCHECKS_WHISK_PORT:-3233}"
  local s3_url="http://127.0.0.1:${OPENCHECKS_S3_PORT:-4568}"
  local bring_up=0
  [ "$dry_run" = 1 ] || [ "$uninstall" = 1 ] || bring_up=1
  if [ "$bring_up" = 1 ] && [ "${OPENCHECKS_SKIP_SETUP:-0}" != 1 ]; then
    say "installing what is missing (infra/setup.sh)"
    bash "$repo/infra/setup.sh"
  else
    ensure_venv
  fi
  # The local stack's random platform key and CouchDB admin, made once in its data directory.
  local creds
  creds="$("$python" -m infra.stack credentials)" || die "cannot read the local stack's credentials" 1
  guest_auth="$(sed -n 's/^AUTH=//p' <<<"$creds")"
  default_var CLOUDANT_USERNAME "$(sed -n 's/^CLOUDANT_USERNAME=//p' <<<"$creds")"
  default_var CLOUDANT_PASSWORD "$(sed -n 's/^CLOUDANT_PASSWORD=//p' <<<"$creds")"
  # The local services' addresses and keys, unless local.env or the environment says otherwise.
  default_var CLOUDANT_URL "http://127.0.0.1:${OPENCHECKS_COUCHDB_PORT:-5984}"
  default_var COS_ENDPOINT "$s3_url"
  default_var COS_PUBLIC_ENDPOINT "$s3_url"
  default_var COS_HMAC_ACCESS_KEY_ID S3RVER
  default_var COS_HMAC_SECRET_ACCESS_KEY S3RVER
  default_var COS_REGION us-south
  default_var TOKEN_SECRET "$(local_token_secret)"
  # The local OpenID Provider signs the page's users in, unless the environment or the env file names another
  # provider (a non-empty OIDC_ISSUER); then all of its OIDC_* settings are left as they are.
  if ! var_set OIDC_ISSUER; then
    local name
    for name in OIDC_ISSUER OIDC_CLIENT_ID OIDC_AUDIENCE OIDC_ROLE_CLAIM OIDC_ROLE_MAP; do
      export "$name=$(sed -n "s/^$name=//p" <<<"$creds")"
    done
  fi
  # The MICR models this checkout installed (the tessdata_dir package parameter; actions read no environment).
  default_var OPENCHECKS_TESSDATA "$repo/.cache/tessdata"
  # The action image's name: locally the platform runs blackbox-with-code actions on this machine's install.
  default_var RUNTIME_IMAGE "openchecks/action-python-v3.11:latest"
  local have_manifest=0
  if [ -f "$manifest" ]; then
    have_manifest=1
    check_manifest --apihost "$whisk_url" --auth "$guest_auth"
  fi
  if [ "$bring_up" = 1 ]; then
    say "starting the local stack"
    "$python" -m infra.stack up >/dev/null || die "the local stack did not start; see ./deploy.sh local --status" 1
  fi
  if [ "$have_manifest" = 0 ]; then
    note "no manifest at $manifest: nothing to deploy yet"
  else
    [ "$uninstall" = 1 ] || provision_app
    run_deployer --apihost "$whisk_url" --auth "$guest_auth"
  fi
  if [ "$bring_up" = 1 ]; then
    say "local stack"
    "$python" -m infra.stack status | "$python" -c '
import json, sys
doc = json.load(sys.stdin)
for name, info in doc.items():
    url = info.get("url") if isinstance(info, dict) and name != "ui" else None
    if url:
        print(f"  {name:<10} {url}")
ui = doc.get("ui") if isinstance(doc.get("ui"), dict) else {}
print("  web page   " + (ui.get("url") or "(not deployed yet: no ui entry in the stack status)"))
' || note "could not read the stack status (./deploy.sh local --status)"
    if [ "$have_manifest" = 1 ] && [ "$uninstall" = 0 ]; then
      say "demo accounts at the local sign-in (the page's \"Sign in\" button; user name and password)"
      printf '  customer   %s\n' "$(sed -n 's/^OIDC_DEMO_CUSTOMER=//p' <<<"$creds" | sed 's/:/  password: /')"
      printf '  reviewer   %s\n' "$(sed -n 's/^OIDC_DEMO_REVIEWER=//p' <<<"$creds" | sed 's/:/  password: /')"
      say "developer tokens (valid 1 day; the sign-in page's \"For developers\" link, the CLI, scripts)"
      printf '  customer   %s\n' "$("$python" -m openchecks.tokens mint --email demo@example.com --role customer --ttl 86400)"
      printf '  reviewer   %s\n' "$("$python" -m openchecks.tokens mint --email reviewer@example.com --role reviewer --ttl 86400)"
    fi
  fi
}

target_openwhisk() {
  ensure_venv
  [ -f "$manifest" ] || die "manifest $manifest not found (give --manifest FILE)"
  check_manifest
  [ "$uninstall" = 1 ] || provision_app
  run_deployer
}

target_ibmcloud() {
  printf '%sIBM Cloud Functions reached end of life in October 2024%s: its namespaces and entities were\n' \
    "$c_bold" "$c_off"
  echo "deleted. The openwhisk target (./deploy.sh openwhisk) deploys the same manifest to any Apache"
  echo "OpenWhisk and is the way forward; this target remains for legacy namespaces only."
  [ -f "$manifest" ] || die "manifest $manifest not found (give --manifest FILE)"
  if ! command -v ibmcloud >/dev/null 2>&1; then
    die "the ibmcloud CLI is not installed, so there is nothing to deploy to; use ./deploy.sh openwhisk" 1
  fi
  if [ -x "$python" ]; then
    # ibmcloud brings its own host and key: validate the manifest only
    "$python" -m infra.deployer --check --dry-run "${deployer_args[@]}" || die "the manifest is not deployable" 2
  fi
  if [ -n "$env_file" ]; then
    # ibmcloud fn deploy substitutes $VARs from its environment: export the env file's values (environment wins)
    local exports py="$python"
    [ -x "$py" ] || py=python3
    # shellcheck disable=SC2016  # the single-quoted text is Python, not shell
    exports="$("$py" -c '
import shlex, sys
from infra.deployer.environment import read_env_file
from pathlib import Path
for key, value in read_env_file(Path(sys.argv[1])).items():
    print(f"[ -n \"${{{key}+x}}\" ] || export {key}={shlex.quote(value)}")
' "$env_file")" || die "cannot read $env_file" 2
    eval "$exports"
  fi
  if [ "$uninstall" = 1 ]; then
    ibmcloud fn undeploy --manifest "$manifest"
  elif [ "$dry_run" = 1 ]; then
    ibmcloud fn deploy --manifest "$manifest" --preview
  else
    ibmcloud fn deploy --manifest "$manifest"
  fi
}

case "$target" in
  local) target_local ;;
  openwhisk) target_openwhisk ;;
  ibmcloud) target_ibmcloud ;;
esac
