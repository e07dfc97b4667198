#!/usr/bin/env bash
# The demo's last step: the reports of the demo case, written beside it, and the installation's
# validation report. Prints the path of the HTML report.
#   $DEMO_DIR/report.html        for people (self-contained; report.pdf beside it, printed by headless Chromium)
#   $DEMO_DIR/report.jsonl       JSON Lines for machines
#   $DEMO_DIR/report.dfxml.xml   DFXML inventory with provenance
#   $DEMO_DIR/case.jsonld        CASE/UCO 1.4 JSON-LD
#   $DEMO_DIR/validation/        `interdict validate` known-answer results (HTML + JSON)
set -euo pipefail
: "${INTERDICT:?}" "${CASE_DIR:?}" "${DEMO_DIR:?}"

pdf_args=()
if [ -x "${INTERDICT_CHROMIUM:-/usr/bin/chromium}" ]; then
  pdf_args=(--pdf "$DEMO_DIR/report.pdf")
else
  echo "50-report: headless Chromium not installed; writing the HTML report without a PDF" >&2
fi
"$INTERDICT" report "$CASE_DIR" --format html --out "$DEMO_DIR/report.html" "${pdf_args[@]}"
"$INTERDICT" report "$CASE_DIR" --format json --out "$DEMO_DIR/report.jsonl"
"$INTERDICT" report "$CASE_DIR" --format dfxml --out "$DEMO_DIR/report.dfxml.xml"
"$INTERDICT" report "$CASE_DIR" --format case --out "$DEMO_DIR/case.jsonld"
"$INTERDICT" validate --out "$DEMO_DIR/validation"
echo "report: $DEMO_DIR/report.html"
