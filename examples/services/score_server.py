"""A toy sentiment service over HTTP (Python 3 standard library only).

POST /score with {"text": "..."} answers {"label": "positive"|"negative"|"neutral", "score": float}.
Run: python3 score_server.py [PORT]  (default 8765; 0 picks a free port). It prints the URL it
listens on as its first line, then serves until stopped.
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = {"good", "great", "love", "excellent", "fast", "happy"}
BAD = {"bad", "slow", "broken", "hate", "awful", "late"}


class Score(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the engine's client expects

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        try:
            text = json.loads(self.rfile.read(length))["text"]
        except (ValueError, KeyError, TypeError):
            return self.answer(400, {"error": "expected {\"text\": ...}"})
        words = text.lower().split()
        balance = sum(w in GOOD for w in words) - sum(w in BAD for w in words)
        label = "positive" if balance > 0 else "negative" if balance < 0 else "neutral"
        self.answer(200, {"label": label, "score": balance / max(len(words), 1)})

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8765
    server = ThreadingHTTPServer(("127.0.0.1", port), Score)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()
