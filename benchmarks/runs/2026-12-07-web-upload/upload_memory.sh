#!/usr/bin/env bash
# Peak memory of the web server while an administrator uploads a CQC file (issue 18 item 1).
#
#   upload_memory.sh BIN FILE MODE
#
# BIN: a release `caremarket`; FILE: a CQC export (caremarket-bench import --keep-file makes one);
# MODE: `direct` (an empty register: the upload is applied at once) or `pending` (the register
# first holds FILE itself, then FILE without every 100th location is uploaded as complete: its
# deregistrations wait for the officer, who is shown them and confirms).
# Prints the server's VmHWM (peak resident memory) once it has started and after the upload.
# A fresh SQLite database each run; the upload limit is raised to 400 MB for files over 64 MB.
set -euo pipefail
BIN=$1 FILE=$2 MODE=$3
WORK=$(mktemp -d /tmp/upload-memory-XXXXXX)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
export CAREMARKET_DATABASE_URL="sqlite://$WORK/db.sqlite" CAREMARKET_MAX_UPLOAD_MB=400 CAREMARKET_LOG=warn
PASSWORD='violet harbour lantern 4821'
NEW_PASSWORD='copper meadow whistle 9357'
CAREMARKET_PASSWORD=$PASSWORD "$BIN" user add --role admin --email admin@bench.gov.uk --name 'Bench Admin' > /dev/null
UPLOAD=$FILE
if [ "$MODE" = pending ]; then
  "$BIN" import cqc "$FILE" > /dev/null
  UPLOAD=$WORK/export.csv
  awk 'NR == 1 || (NR - 1) % 100 != 0' "$FILE" > "$UPLOAD"
fi
PORT=$((20000 + RANDOM % 20000))
"$BIN" serve --port $PORT > "$WORK/server.log" 2>&1 &
SERVER=$!
URL=http://127.0.0.1:$PORT
for _ in $(seq 1 100); do curl -fs -o /dev/null "$URL/sign-in" && break; sleep 0.1; done
hwm() { awk '/VmHWM/ {print $2 " kB"}' /proc/$SERVER/status; }
echo "started: $(hwm)"
JAR=$WORK/cookies
token() { curl -fs -b "$JAR" -c "$JAR" "$URL$1" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//'; }
T=$(token /sign-in)
curl -fs -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "email=admin@bench.gov.uk" --data-urlencode "password=$PASSWORD" --data-urlencode "csrf_token=$T" "$URL/sign-in"
T=$(token /account/password)
curl -fs -b "$JAR" -c "$JAR" -o /dev/null --data-urlencode "current_password=$PASSWORD" --data-urlencode "new_password=$NEW_PASSWORD" \
  --data-urlencode "confirm_password=$NEW_PASSWORD" --data-urlencode "csrf_token=$T" "$URL/account/password"
T=$(token /imports/new)
START=$(date +%s.%N)
WHERE=$(curl -fs -b "$JAR" -c "$JAR" -o /dev/null -w '%{redirect_url}' -F "csrf_token=$T" -F completeness=complete -F "file=@$UPLOAD;filename=export.csv" "$URL/imports")
echo "uploaded ($WHERE): $(hwm)"
if [ "$MODE" = pending ]; then
  PAGE=$(curl -fs -b "$JAR" -c "$JAR" "$WHERE")
  COUNT=$(echo "$PAGE" | grep -o 'name="count" value="[0-9]*"' | head -1 | grep -o '[0-9]*')
  T=$(echo "$PAGE" | grep -o 'name="csrf_token" value="[^"]*"' | head -1 | sed 's/.*value="//; s/"$//')
  echo "shown $COUNT deregistrations: $(hwm)"
  WHERE=$(curl -fs -b "$JAR" -c "$JAR" -o /dev/null -w '%{redirect_url}' --data-urlencode "csrf_token=$T" --data-urlencode "count=$COUNT" \
    --data-urlencode confirm=yes "$URL${WHERE#$URL}")
  echo "confirmed ($WHERE): $(hwm)"
fi
END=$(date +%s.%N)
REPORT=$(curl -fs -b "$JAR" -c "$JAR" "$WHERE" | tr -d '\n' | sed 's/<[^>]*>/ /g; s/  */ /g' | grep -o 'New services [0-9,]*\|Unchanged [0-9,]*\|Deregistered [0-9,]*' | tr '\n' ';' || true)
echo "report: $REPORT"
echo "upload to report: $(echo "$END - $START" | bc) s"
echo "peak: $(hwm)"
