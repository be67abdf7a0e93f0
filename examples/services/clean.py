"""A worker process (docs/modules.md): normalises review text — trims, collapses spaces, drops
characters other than letters, digits, spaces and basic punctuation."""

import json
import re
import sys

for line in sys.stdin:
    request = json.loads(line)
    text = request["args"]["text"]
    cleaned = re.sub(r"\s+", " ", re.sub(r"[^\w\s.,!?'-]", "", text)).strip()
    print(json.dumps({"id": request["id"], "ok": cleaned}), flush=True)
