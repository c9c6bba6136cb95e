"""`vigil demo --serve`: after the demo, the server on the demo home, with the day's CloudTrail
replayed through PutLogEvents (the push API) in compressed real time, and each finding printed
as it arrives."""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path

from vigil import api
from vigil.demo import live
from vigil.shells import render


def serve_demo(settings: api.Settings, root: Path, day: str, port: int, seconds: float) -> None:
    from vigil.shells.cli.serve import run_server

    config = api.serve.ServeConfig.load(settings, {"port": port})
    url = f"http://127.0.0.1:{config['port']}"
    key = api.access.create_key(settings)
    token = api.access.create_token(settings, label="demo").token
    render.out.rule("Vigil is serving the demo home")
    render.line(f"  API and AWS endpoints: {url}   (token for the native API: {token})")
    render.line(f"  AWS CLI: AWS_ACCESS_KEY_ID={key['AccessKeyId']} AWS_SECRET_ACCESS_KEY="
                f"{key['SecretAccessKey']} aws --endpoint-url {url} --region us-east-1 logs "
                "describe-log-groups")  # fmt: skip
    render.line(f"  Replaying {day}'s CloudTrail into {live.GROUP} over {seconds:.0f} s; "
                "new findings appear below. Ctrl-C stops.")  # fmt: skip
    threading.Thread(target=_replay, args=(settings, url, key, root, day, seconds),
                     daemon=True).start()  # fmt: skip
    run_server(settings, config)


def _replay(settings: api.Settings, url: str, key: dict[str, str], root: Path, day: str,
            seconds: float) -> None:  # fmt: skip
    import boto3
    import httpx

    for _ in range(300):
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    logs = boto3.client("logs", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"])  # fmt: skip
    for call, args in ((logs.create_log_group, {"logGroupName": live.GROUP}),
                       (logs.create_log_stream, {"logGroupName": live.GROUP,
                                                 "logStreamName": "replay"})):  # fmt: skip
        with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
            call(**args)
    seen = {f.id: f.last_seen for f in api.findings.list_findings(settings)}

    def put(events: list[tuple[int, str]]) -> None:
        batch = [{"timestamp": t, "message": m} for t, m in events]
        logs.put_log_events(logGroupName=live.GROUP, logStreamName="replay", logEvents=batch)
        time.sleep(0.5)
        for f in api.findings.list_findings(settings):
            if seen.get(f.id) != f.last_seen:
                kind = "new finding" if f.id not in seen else "seen again "
                seen[f.id] = f.last_seen
                render.line(f"  {kind}  {f.severity_label:<8} {f.type}  {f.title}")

    sent = live.replay(put, root, day, seconds)
    render.line(f"  replay done: {sent} records sent; still serving on {url} (Ctrl-C stops)")
