#!/usr/bin/env bash
# The outside programs the tests run against, installed by the project itself, pinned:
#   chromium  Debian's chromium, for tests/browser.rs (the HTML report, headless)
#   sql       DuckDB's command-line program (PyPI duckdb-cli) and Spark (PyPI pyspark, local
#             mode on the machine's Java 17) in a virtual environment, for tests/sql_export.rs,
#             with sqlglot (PyPI) to parse the PostgreSQL and BigQuery statements no test runs
#   all       both
# Each step is skipped when what it installs is already there, and runs under a lock, so tests
# that call it at the same time install once. The tests call it themselves when a program is
# missing; .ci/run calls it first so the install time is printed apart from the tests'.
# Prints where everything is. Environment: CHURN_ENGINES_DIR (default target/test-engines).
set -euo pipefail
cd "$(dirname "$0")/../.."

CHROMIUM_PIN="156.0.8078.114-1~deb12u1"
DUCKDB_CLI_PIN="1.5.6"
PYSPARK_PIN="4.3.0"
SQLGLOT_PIN="27.0.0"
ENGINES="${CHURN_ENGINES_DIR:-target/test-engines}"
mkdir -p "$ENGINES"

sudo_if_needed() {
  if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi
}

# apt can only install versions its mirror still offers, and security updates replace old
# ones: the pin is tried first, the current package taken when it is gone; the version
# installed is printed. Measured on the 2-core dev machine: about 10 s.
install_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "chromium=$CHROMIUM_PIN" "chromium-common=$CHROMIUM_PIN" \
    || sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends chromium
}

# Java 17 runs Spark; the machine kind has it, a bare one gets Debian's headless runtime.
install_java() {
  if command -v java >/dev/null 2>&1; then
    return
  fi
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    openjdk-17-jre-headless
}

# Measured on the 2-core dev machine: about 40 s (pyspark is a 300 MB download).
install_sql() {
  install_java
  local venv="$ENGINES/venv"
  if [ -x "$venv/bin/duckdb" ] && "$venv/bin/python" -c "import pyspark, sqlglot" 2>/dev/null \
    && [ "$("$venv/bin/duckdb" --version | awk '{print $1}')" = "v$DUCKDB_CLI_PIN" ]; then
    return
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check \
    "duckdb-cli==$DUCKDB_CLI_PIN" "pyspark==$PYSPARK_PIN" "sqlglot==$SQLGLOT_PIN"
}

report() {
  if command -v chromium >/dev/null 2>&1; then
    dpkg-query -W -f='chromium ${Version}\n' chromium 2>/dev/null || chromium --version
  fi
  if [ -x "$ENGINES/venv/bin/duckdb" ]; then
    echo "duckdb $("$ENGINES/venv/bin/duckdb" --version) at $ENGINES/venv/bin/duckdb"
    echo "pyspark $("$ENGINES/venv/bin/python" -c 'import pyspark; print(pyspark.__version__)') in $ENGINES/venv"
    java -version 2>&1 | head -1
  fi
}

what="${1:-all}"
exec 9>"$ENGINES/.lock"
flock 9
case "$what" in
  chromium) install_chromium ;;
  sql) install_sql ;;
  all) install_chromium; install_sql ;;
  *) echo "usage: $0 chromium|sql|all" >&2; exit 2 ;;
esac
report
