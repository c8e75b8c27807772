"""An OTLP/HTTP trace receiver that prints each span it gets as one JSON line.

A stand-in for an OpenTelemetry Collector, for the tests and for measuring what
tracing costs. It takes what the SDK's OTLP/HTTP exporter POSTs to /v1/traces
(protobuf, gzipped or not), answers 200, and prints per span: trace_id, span_id,
parent_span_id (hex, "" for a root), trace_state, name, kind, service, scope and
attributes.
It needs the standard library and opentelemetry-proto, which the application
image has (the exporter depends on it), so it runs there with no image of its own:

    python tests/support/otlp_receiver.py [--host 127.0.0.1] [--port 4318] [--discard]

--discard answers without decoding or printing, for load runs.
"""

import argparse
import gzip
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

TRACES_PATH = "/v1/traces"


def spans(request):
    """The spans of an ExportTraceServiceRequest, as plain dicts."""
    for resource_spans in request.resource_spans:
        resource = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield {
                    "trace_id": span.trace_id.hex(),
                    "span_id": span.span_id.hex(),
                    "parent_span_id": span.parent_span_id.hex(),
                    "trace_state": span.trace_state,
                    "name": span.name,
                    "kind": Span.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
                    "service": resource.get("service.name"),
                    "scope": scope_spans.scope.name,
                    "attributes": attributes(span.attributes),
                }


def attributes(key_values):
    """{key: value}; an AnyValue's one field, as protobuf's JSON mapping gives it."""
    found = {}
    for key_value in key_values:
        value = MessageToDict(key_value.value)
        found[key_value.key] = next(iter(value.values()), None)
    return found


class Receiver(BaseHTTPRequestHandler):
    discard = False

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path != TRACES_PATH:
            self.send_error(404)
            return
        if not self.discard:
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            lines = [
                json.dumps(span) + "\n"
                for span in spans(ExportTraceServiceRequest.FromString(body))
            ]
            sys.stdout.write("".join(lines))
            sys.stdout.flush()
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format, *args):
        """Quiet: stdout is the spans'."""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # 0.0.0.0 in a container, for the others on its network.
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--discard", action="store_true")
    options = parser.parse_args()
    Receiver.discard = options.discard
    server = ThreadingHTTPServer((options.host, options.port), Receiver)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
