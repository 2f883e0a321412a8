#!/usr/bin/env bash
# The layer rule, enforced: only milter/ includes libmilter, and the pure core
# (scoring/, config/) includes no Asio, Beast, LMDB or hiredis.
set -u
cd "$(dirname "$0")/.."
status=0
for dir in scoring config; do
  hits=$(grep -rlE '#include *[<"](libmilter/|boost/asio|boost/beast|lmdb\.h|hiredis/)' "$dir")
  if [ -n "$hits" ]; then echo "FAIL: $dir/ includes libmilter, Asio or a store: $hits"; status=1; fi
done
hits=$(grep -rlE '#include *[<"]libmilter/' --include='*.?pp' --include='*.h' config scoring state quarantine cli web)
if [ -n "$hits" ]; then echo "FAIL: libmilter included outside milter/: $hits"; status=1; fi
# The console sits beside cli/: nothing below it (state/, quarantine/, milter/) includes it.
hits=$(grep -rlE '#include *[<"]web/' --include='*.?pp' config scoring state quarantine milter metrics)
if [ -n "$hits" ]; then echo "FAIL: a lower layer includes the console (web/): $hits"; status=1; fi
[ $status -eq 0 ] && echo "layers: OK"
exit $status
