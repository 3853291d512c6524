#!/bin/sh
# Plan a Terraform folder and review the saved plan against the billing rules.
#
#   review.sh TERRAFORM_DIR REPORT.md
#
# Writes the Markdown report (a PR comment) to REPORT.md and exits like
# `cloudbilling review`: 0 clean, 1 rule errors (also when the plan itself fails on a
# billing rule), 2 the plan could not be made or read.
# STRICT=1 treats warnings as errors. CLOUDBILLING overrides the command (default
# `cloudbilling`); CLOUDBILLING_TF_ENGINE the engine (default `terraform`; `tofu` for
# OpenTofu). The plan JSON holds sensitive values in clear: it is deleted at once.
set -u
dir=$1
report=$2
cb=${CLOUDBILLING:-cloudbilling}
tf=${CLOUDBILLING_TF_ENGINE:-terraform}
json="$dir/.review-plan.json"
log=$(mktemp)
trap 'rm -f "$json" "$dir/.review.tfplan" "$log"' EXIT

fail() {
  {
    echo '<!-- cloudbilling-review -->'
    echo '### cloudbilling review'
    echo
    echo "❌ **$1** — the plan could not be reviewed."
    echo
    echo '```'
    tail -n 30 "$2"
    echo '```'
  } >"$report"
  exit 2
}

"$tf" -chdir="$dir" init -input=false -no-color >"$log" 2>&1 || fail "${tf##*/} init failed" "$log"
if ! "$tf" -chdir="$dir" plan -input=false -no-color -lock=false -out=.review.tfplan >"$log" 2>&1; then
  # The provider judges the whole plan: a billing rule fails the plan itself. That is a
  # review result (exit 1, the rules in the report), not a plan that could not be made.
  rules=$(grep -E '^Error: [A-Z][A-Z_]+: ' "$log" | sed -E 's/^Error: ([A-Z_]+): (.*)$/- **\1**: \2/' | sort -u)
  [ -n "$rules" ] || fail "${tf##*/} plan failed" "$log"
  {
    echo '<!-- cloudbilling-review -->'
    echo '### cloudbilling review'
    echo
    echo "❌ **${tf##*/} plan failed on billing rules**: nothing can be applied until they are fixed."
    echo
    echo "$rules"
    echo
    echo '<details><summary>plan output</summary>'
    echo
    echo '```'
    tail -n 60 "$log"
    echo '```'
    echo '</details>'
  } >"$report"
  exit 1
fi
"$tf" -chdir="$dir" show -json .review.tfplan >"$json" 2>"$log" || fail "${tf##*/} show failed" "$log"

rm -f "$report"
$cb review "$json" --format markdown --out "$report" ${STRICT:+--strict} >/dev/null 2>"$log"
code=$?
[ -f "$report" ] || fail 'cloudbilling review failed' "$log"
rm -f "$log"
exit $code
