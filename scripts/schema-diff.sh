#!/usr/bin/env bash
# scripts/schema-diff.sh - fail on an unacknowledged breaking change of the GraphQL API.
#
#   bash scripts/schema-diff.sh        (or: make schema-diff)
#
# schema.snapshot.graphql is the sorted SDL of the schema the server executes (make
# schema-snapshot; a Go test and make check-generated keep it current). This script takes every
# version of it in the first-parent history of HEAD, plus the working copy when it differs from
# HEAD, and runs `graphql-inspector diff` on each consecutive pair. CI runs once on main after
# many commits, so checking only the last commit would miss a field removed three commits ago.
#
# A BREAKING change fails the run unless schema.breaking-changes acknowledges it (see the header
# of that file: deprecate first; acknowledging is for exceptional, announced cases).
# scripts/schema-diff/acknowledged.js is the graphql-inspector rule that reads that file;
# scripts/schema-diff/report.js collects what is left so all pairs are checked before failing.
#
# graphql-inspector and graphql are pinned in scripts/schema-diff/package-lock.json and
# installed with npm ci. Some of the CLI's URL/GitHub loader dependencies declare Node >= 22 in
# their engines; they are loaded but never used for local files, and the CLI runs on Node 20.
#
# A shallow clone is diffed as far as its history goes: nothing is fetched.
# Exit status: 0 when no unacknowledged breaking change, 1 otherwise or on error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

SNAPSHOT=schema.snapshot.graphql
ACK_FILE="$ROOT/schema.breaking-changes"
TOOL_DIR="$ROOT/scripts/schema-diff"

say() { printf '[schema-diff] %s\n' "$*" >&2; }
die() {
	printf '[schema-diff] error: %s\n' "$*" >&2
	exit 1
}

# --- prerequisites ------------------------------------------------------------------------------
command -v git >/dev/null 2>&1 || die "git is not on PATH"
git rev-parse --git-dir >/dev/null 2>&1 || die "$ROOT is not a git repository"
command -v node >/dev/null 2>&1 || die "node is not on PATH (Node.js >= 20 is needed: apt-get install nodejs npm)"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH (apt-get install npm)"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
((node_major >= 20)) || die "Node.js >= 20 is needed, found $(node --version)"

# npm ci deletes and reinstalls node_modules (tens of seconds); skip it when the installed tree
# comes from the current lock file, which the stamp written after the last npm ci records.
lock_sum="$(sha256sum "$TOOL_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$TOOL_DIR/node_modules/.installed-lock-sha256"
if [[ ! -x "$TOOL_DIR/node_modules/.bin/graphql-inspector" || "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
	say "installing graphql-inspector (npm ci in scripts/schema-diff)"
	npm ci --prefix "$TOOL_DIR" --no-audit --no-fund --loglevel=error >&2
	echo "$lock_sum" >"$stamp"
fi
INSPECTOR="$TOOL_DIR/node_modules/.bin/graphql-inspector"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# --- versions of the snapshot -------------------------------------------------------------------
if [[ "$(git rev-parse --is-shallow-repository)" == true ]]; then
	say "note: this is a shallow clone; versions older than its history are not checked (nothing is fetched)"
fi

# Each version: a label and a file holding its content. Commits that delete the file have no
# version and are skipped; the next version is compared with the last one that existed.
labels=()
files=()
if git rev-parse --verify -q HEAD >/dev/null; then
	while read -r commit; do
		blob="$(git rev-parse -q --verify "$commit:$SNAPSHOT" 2>/dev/null)" || continue
		file="$WORK/${#files[@]}.graphql"
		git cat-file blob "$blob" >"$file"
		labels+=("$(git log -1 --format='%h %s' "$commit" | cut -c1-80)")
		files+=("$file")
	done < <(git rev-list --first-parent --reverse HEAD -- "$SNAPSHOT")
fi
if [[ -f "$SNAPSHOT" ]] && { ((${#files[@]} == 0)) || ! cmp -s "$SNAPSHOT" "${files[-1]}"; }; then
	labels+=("working copy (uncommitted)")
	files+=("$ROOT/$SNAPSHOT")
fi

if ((${#files[@]} == 0)); then
	say "no version of $SNAPSHOT found: nothing to compare"
	exit 0
fi
say "${#files[@]} version(s) of $SNAPSHOT in the first-parent history of HEAD; $((${#files[@]} - 1)) comparison(s)"

# --- compare consecutive versions -------------------------------------------------------------
failed=0
for ((i = 1; i < ${#files[@]}; i++)); do
	old="${files[i - 1]}" new="${files[i]}"
	if cmp -s "$old" "$new"; then
		continue # the same content again, e.g. a change and its revert on either side
	fi
	report="$WORK/report-$i"
	: >"$report"
	say "${labels[i - 1]}  ->  ${labels[i]}"
	set +e
	output="$(SCHEMA_DIFF_ACK_FILE="$ACK_FILE" SCHEMA_DIFF_REPORT="$report" \
		"$INSPECTOR" diff "$old" "$new" \
		--rule "$TOOL_DIR/acknowledged.js" --onComplete "$TOOL_DIR/report.js" 2>&1)"
	rc=$?
	set -e
	# The CLI prints "[log] " etc. in front of every line and a blank line before the list.
	sed -e 's/^\[[a-z]*\] //' -e '/^$/d' -e 's/^/    /' <<<"$output" >&2
	if ((rc != 0)); then
		die "graphql-inspector failed (exit code $rc) on ${labels[i - 1]} -> ${labels[i]}"
	fi
	if [[ -s "$report" ]]; then
		failed=1
		{
			printf '\n    NOT ACKNOWLEDGED breaking change(s) in %s:\n' "${labels[i]}"
			sed 's/^/      /' "$report"
			printf '\n'
		} >&2
	fi
done

if ((failed)); then
	say "FAILED: unacknowledged breaking change(s) listed above."
	say "Deprecate instead of removing (@deprecated), or, for an exceptional and announced case,"
	say "add each line shown above to schema.breaking-changes with '# reason' (see its header)."
	exit 1
fi
say "ok: no unacknowledged breaking change"
