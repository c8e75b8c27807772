"""Runs moto's S3 server and creates the media bucket, readable by anyone.

Environment: AWS_STORAGE_BUCKET_NAME (required) and AWS_S3_REGION_NAME, the same
variables the application reads. Listens on port 5000.
The bucket gets a public-read policy, as the real one needs for Django's unsigned
media URLs (AWS_QUERYSTRING_AUTH=False) to be fetchable. Objects live in memory.
"""

import json
import logging
import os
import signal
import sys

import boto3
from moto.server import ThreadedMotoServer

PORT = 5000

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


def create_bucket(endpoint, bucket, region):
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        # moto accepts any credentials; these never leave the container.
        aws_access_key_id="s3-stand-in",
        aws_secret_access_key="s3-stand-in",  # noqa: S106 - not a secret
    )
    options = {}
    if region != "us-east-1":
        options["CreateBucketConfiguration"] = {"LocationConstraint": region}
    client.create_bucket(Bucket=bucket, **options)
    client.put_bucket_policy(Bucket=bucket, Policy=public_read_policy(bucket))


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
    create_bucket(f"http://127.0.0.1:{PORT}", bucket, region)
    logger.info("listening on :%s with public-read bucket %r", PORT, bucket)

    received = signal.sigwait(stop_signals)
    logger.info("received %s; stopping", signal.Signals(received).name)
    server.stop()


if __name__ == "__main__":
    main()
