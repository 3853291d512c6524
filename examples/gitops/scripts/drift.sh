#!/bin/sh
# Compare what a Terraform folder manages with the live billing domain.
#
#   drift.sh TERRAFORM_DIR REPORT.md
#
# Writes the Markdown drift report to REPORT.md; exits like `cloudbilling drift`:
# 0 no drift, 2 drift (or a failure, then REPORT.md says so). CLOUDBILLING overrides the
# command (default `cloudbilling`); CLOUDBILLING_TF_ENGINE the engine (default
# `terraform`; `tofu` for OpenTofu).
set -u
dir=$1
report=$2
cb=${CLOUDBILLING:-cloudbilling}
tf=${CLOUDBILLING_TF_ENGINE:-terraform}
state=$(mktemp)
trap 'rm -f "$state"' EXIT

if ! "$tf" -chdir="$dir" init -input=false -no-color >/dev/null 2>&1 ||
  ! "$tf" -chdir="$dir" show -json >"$state" 2>/dev/null; then
  printf '<!-- cloudbilling-drift -->\n### cloudbilling drift\n\n❌ **could not read the Terraform state** of %s\n' "$dir" >"$report"
  exit 2
fi
rm -f "$report"
$cb drift --terraform-state "$state" --format markdown --out "$report" ${IGNORE_UNMANAGED:+--ignore-unmanaged} >/dev/null 2>"$state.err"
code=$?
if [ ! -f "$report" ]; then
  printf '<!-- cloudbilling-drift -->\n### cloudbilling drift\n\n❌ **cloudbilling drift failed**: %s\n' "$(tail -n 1 "$state.err")" >"$report"
fi
rm -f "$state.err"
exit $code
