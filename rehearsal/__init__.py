"""`make rehearse`: the deployment rehearsed in real containers (podman).

Builds every image from the project's own Dockerfile, starts the committed docker-compose.yml
with podman-compose and an override that only swaps unobtainable third-party images for local
stand-ins (`rehearsal/images/`), drives the user scenario through the rendered Nginx gateway,
checks health, logs, trace and dead letters, measures each function image's cold start against a
bare FastAPI image, and removes everything it started. See README, "Deploy".
"""
