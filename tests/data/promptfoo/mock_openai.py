#!/usr/bin/env python3
"""A loopback OpenAI-compatible chat server answering as tests/cli/test_promptfoo_cli.cpp's does."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def reply(messages):
    text = "\n".join(m.get("content", "") if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
                     for m in messages)
    if "[judge-pass]" in text:
        return json.dumps({"reason": "meets the rubric", "pass": True, "score": 1})
    if "[judge-fail]" in text:
        return json.dumps({"reason": "misses the rubric", "pass": False, "score": 0})
    last = messages[-1].get("content", "") if messages else ""
    return "answer to " + (last if isinstance(last, str) else json.dumps(last))


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        content = reply(body.get("messages", []))
        doc = {"id": "x", "object": "chat.completion", "model": body.get("model", ""),
               "choices": [{"index": 0, "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content}}],
               "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
