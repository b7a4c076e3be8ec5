#!/bin/sh
# `minio server /data ...` in the compose file: serve S3 on :9000 (the arguments are MinIO's).
exec /opt/s3/bin/moto_server -H 0.0.0.0 -p 9000
