#!/opt/s3/bin/python
"""The few `mc` commands docker-compose.yml runs, against the S3 stand-in."""

import json
import pathlib
import sys
import urllib.request

import boto3  # type: ignore[import-untyped]

ALIASES = pathlib.Path("/tmp/mc-aliases.json")  # noqa: S108 - inside its own container


def client(alias: str):  # type: ignore[no-untyped-def]
    url, user, password = json.loads(ALIASES.read_text())[alias]
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=user,
        aws_secret_access_key=password,
        region_name="us-east-1",
    )


def main(args: list[str]) -> int:
    if args[:1] == ["ready"]:
        urllib.request.urlopen("http://127.0.0.1:9000/", timeout=2)
        return 0
    if args[:2] == ["alias", "set"]:
        known = json.loads(ALIASES.read_text()) if ALIASES.exists() else {}
        known[args[2]] = args[3:6]
        ALIASES.write_text(json.dumps(known))
        return 0
    if args[:1] == ["mb"]:
        alias, bucket = next(a for a in args[1:] if not a.startswith("--")).split("/", 1)
        s3 = client(alias)
        if bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
            s3.create_bucket(Bucket=bucket)
        return 0
    if args[:1] == ["admin"]:
        print("mc stand-in: moto accepts any credentials; not applied:", *args[:3], file=sys.stderr)
        return 0
    print("mc stand-in: unsupported:", *args, file=sys.stderr)
    return 2


sys.exit(main(sys.argv[1:]))
