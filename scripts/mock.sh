# mock.sh is sourced by the scripts that run a CLI against the mock OpenSpecimen server.
#
# start_mock DIR [ARG...] starts bin/openspecimen-mockserver with ARG... on a free port of
# 127.0.0.1, its request log in DIR/mockserver.log, and waits for its one line, "listening on
# <url>", read from a FIFO rather than by guessing a port or sleeping. It sets MOCK_URL (the
# REST root) and MOCK_PID, and exports OPENSPECIMEN_URL with it. stop_mock stops it; a script
# calls it from its EXIT trap.
start_mock() {
  local dir=$1 line=
  shift
  rm -f "$dir/mock.stdout"
  mkfifo "$dir/mock.stdout"
  "$MOCK_BIN" -listen 127.0.0.1:0 "$@" >"$dir/mock.stdout" 2>"$dir/mockserver.log" &
  MOCK_PID=$!
  exec {MOCK_FD}<"$dir/mock.stdout"
  if ! read -r -t 30 line <&"$MOCK_FD" || [[ $line != "listening on "* ]]; then
    echo "the mock server did not start (${line:-no output}):" >&2
    cat "$dir/mockserver.log" >&2 || true
    return 1
  fi
  MOCK_URL=${line#listening on }
  export OPENSPECIMEN_URL=$MOCK_URL
}

stop_mock() {
  if [[ -n ${MOCK_PID:-} ]]; then
    kill -TERM "$MOCK_PID" 2>/dev/null || true
    wait "$MOCK_PID" 2>/dev/null || true
    MOCK_PID=
  fi
  if [[ -n ${MOCK_FD:-} ]]; then
    exec {MOCK_FD}<&-
    MOCK_FD=
  fi
}

MOCK_BIN=${MOCK_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bin/openspecimen-mockserver}
MOCK_PID=
MOCK_FD=
