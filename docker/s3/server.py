"""Runs moto's S3 server and creates the media bucket, readable by anyone, and the
backup bucket.

Environment: AWS_STORAGE_BUCKET_NAME (required) and AWS_S3_REGION_NAME, the same
variables the application reads; BACKUP_BUCKET, pgBackRest's repository (none when
empty). Listens on port 5000 (HTTP) and 5443 (HTTPS, a certificate made at start):
pgBackRest's S3 client speaks HTTPS only, and nothing else here needs TLS.
The media bucket gets a public-read policy, as the real one needs for Django's
unsigned media URLs (AWS_QUERYSTRING_AUTH=False) to be fetchable, and versioning,
as production's should have: an overwritten or deleted file can be brought back.
Objects live in memory, both listeners share them.
"""

import json
import logging
import os
import signal
import sys
import threading

import boto3
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.server import ThreadedMotoServer
from werkzeug.serving import generate_adhoc_ssl_context, make_server

PORT = 5000
TLS_PORT = 5443

logger = logging.getLogger("s3-stand-in")


def public_read_policy(bucket):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PublicReadObjects",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def s3_client(endpoint, region):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        # moto accepts any credentials; these never leave the container.
        aws_access_key_id="s3-stand-in",
        aws_secret_access_key="s3-stand-in",  # noqa: S106 - not a secret
    )


def create_bucket(client, bucket, region):
    options = {}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(Bucket=bucket, **options)


def create_buckets(endpoint, media, backups, region):
    client = s3_client(endpoint, region)
    create_bucket(client, media, region)
    client.put_bucket_policy(Bucket=media, Policy=public_read_policy(media))
    client.put_bucket_versioning(
        Bucket=media, VersioningConfiguration={"Status": "Enabled"}
    )
    if backups:
        create_bucket(client, backups, region)


class TLSRequestHandler(MotoRequestHandler):
    """Ends each TLS connection with the close_notify alert. werkzeug closes the
    connection after every response, and Python's TLS socket closes without that
    alert, which pgBackRest's OpenSSL reports as "unexpected eof" on every request."""

    def finish(self):
        super().finish()
        try:
            self.connection.settimeout(5)
            self.connection.unwrap()
        except OSError:
            pass  # the client went first; nothing left to tell it


def start_tls_listener():
    """The same moto application on TLS_PORT, in a thread; the certificate is
    self-signed and made in memory, so clients of the stand-in skip verifying it."""
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        "0.0.0.0",  # noqa: S104 - reached over the compose network
        TLS_PORT,
        app,
        threaded=True,
        request_handler=TLSRequestHandler,
        ssl_context=generate_adhoc_ssl_context(),
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        sys.exit("AWS_STORAGE_BUCKET_NAME is required: the bucket to create")
    region = os.environ.get("AWS_S3_REGION_NAME") or "us-east-1"

    # Block the stop signals before the server thread starts, so that only the
    # main thread receives them, through sigwait below.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    # All interfaces: the other containers reach it over the compose network.
    server = ThreadedMotoServer(ip_address="0.0.0.0", port=PORT, verbose=False)  # noqa: S104
    server.start()
    tls_server = start_tls_listener()
    backups = os.environ.get("BACKUP_BUCKET", "")
    create_buckets(f"http://127.0.0.1:{PORT}", bucket, backups, region)
    logger.info(
        "listening on :%s and :%s (TLS) with public-read bucket %r and backup "
        "bucket %r",
        PORT,
        TLS_PORT,
        bucket,
        backups,
    )

    received = signal.sigwait(stop_signals)
    logger.info("received %s; stopping", signal.Signals(received).name)
    tls_server.shutdown()
    server.stop()


if __name__ == "__main__":
    main()
