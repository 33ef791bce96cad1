"""A stand-in ComfyUI main.py for start tests: ComfyUI's argument rules (from the fixture, with
real argparse exclusive groups and its folder check), then GET /system_stats on --listen/--port.

Copied next to a fixture as `main.py`; it reads tests/fixtures/comfyui/cli_rules_0.3.64.json
from the path in its first line's constant.
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

RULES = "@RULES@"


def existing_dir(path):
    if not os.path.isdir(path):
        raise argparse.ArgumentTypeError(f"The path '{path}' does not exist.")
    return path


def parser_from(rules):
    parser = argparse.ArgumentParser(prog="main.py")
    grouped = {flag: group for group in rules["exclusive_groups"] for flag in group}
    groups = {}
    for flag in sorted({*rules["flags"], *grouped}):
        kind = rules["flags"].get(flag, "switch")
        target = parser
        if flag in grouped:
            key = tuple(grouped[flag])
            target = groups.setdefault(key, parser.add_mutually_exclusive_group())
        kw = {"type": int} if flag in rules["integers"] else {}
        if flag in rules["choices"]:
            kw["choices"] = rules["choices"][flag]
        if kind == "switch":
            target.add_argument(flag, action="store_true")
        elif kind == "optional":
            target.add_argument(flag, nargs="?", const="", **kw)
        elif kind == "existing_dir":
            target.add_argument(flag, type=existing_dir)
        else:
            target.add_argument(flag, **kw)
    return parser


def main():
    with open(RULES) as fh:
        args = parser_from(json.load(fh)).parse_args()
    argv = sys.argv[1:]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(
                {"system": {"comfyui_version": "0.3.64", "argv": ["main.py", *argv]}, "devices": []}
            ).encode()
            self.send_response(200 if self.path == "/system_stats" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    HTTPServer((args.listen, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
