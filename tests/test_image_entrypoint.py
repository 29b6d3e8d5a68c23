"""The container's own commands, run here as the image runs them (no Docker daemon needed): its CMD
migrates and starts `partnerbot run`, and its HEALTHCHECK passes once it serves."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

import httpx

from tests.fakes.telegram import FakeTelegram
from tests.processes import telegram_environment
from tests.test_dispatch_processes import _free_port

DOCKERFILE = Path(__file__).parent.parent / "Dockerfile"


def _instruction(name: str) -> str:
    """The last `name` instruction of the Dockerfile, continuation lines joined."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line for line in text.splitlines() if line.startswith(name + " ")][-1].removeprefix(name + " ")


async def test_the_images_command_migrates_a_fresh_database_and_serves_until_healthy(database_url, tmp_path):
    command = json.loads(_instruction("CMD"))
    health = re.sub(r"--\S+\s+", "", _instruction("HEALTHCHECK")).strip().removeprefix("CMD ")
    port = _free_port()
    async with FakeTelegram.running() as api:
        env = telegram_environment(database_url, api, PARTNERBOT_WEB_PORT=str(port))
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        health = health.replace("8080", str(port)).replace("python ", f"{sys.executable} ", 1)
        process = await asyncio.create_subprocess_exec(
            *command, env=env, cwd=tmp_path, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                async with asyncio.timeout(60):
                    while True:  # bounded: the process starts, or the timeout ends the test
                        try:
                            if (await client.get("/readyz")).status_code == 200:
                                break
                        except httpx.TransportError:
                            pass
                        await asyncio.sleep(0.2)
            checking = await asyncio.create_subprocess_shell(health, env=env)
            assert await checking.wait() == 0
        finally:
            process.terminate()
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0
    assert b"Traceback" not in stderr
