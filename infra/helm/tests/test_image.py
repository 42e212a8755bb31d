"""The Dockerfile builds the image the chart runs: the binaries at the paths the chart's
commands name, as the uid the chart's securityContext sets, on a slim runtime with no build
tools, from the toolchain rust-toolchain.toml pins. (No Docker engine runs here, so the image
is checked as text against the chart and the workspace, not built.)"""

from __future__ import annotations

import re
import tomllib

import yaml

from conftest import CHART, REPO, helm_template

DOCKERFILE = (REPO / "Dockerfile").read_text()


def stages() -> list[list[str]]:
    """The Dockerfile's stages, each a list of its instructions (continuations joined)."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    out: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            out.append([])
        if out:
            out[-1].append(line)
    return out


def runtime() -> list[str]:
    return stages()[-1]


def rendered_commands() -> set[str]:
    docs = [d for d in yaml.safe_load_all(helm_template().stdout) if d]
    commands = set()
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        spec = doc["spec"]["template"]["spec"]
        for container in spec.get("containers", []) + spec.get("initContainers", []):
            commands.add(container["command"][0])
    return commands


def test_the_runtime_is_slim_and_has_no_build_tools():
    base = runtime()[0].split()[1]
    assert base.endswith("-slim"), base
    text = " ".join(runtime())
    for tool in ("cargo", "rustc", "gcc", "build-essential", "make "):
        assert tool not in text.replace("/out/", ""), f"{tool} in the runtime stage"


def test_the_image_runs_as_the_charts_non_root_uid():
    users = [i.split()[1] for i in runtime() if i.upper().startswith("USER ")]
    assert users, "no USER in the runtime stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, uid
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert int(uid) == values["podSecurityContext"]["runAsUser"]


def test_every_command_the_chart_runs_is_copied_into_the_image():
    copied = set()
    for instruction in runtime():
        parts = instruction.split()
        if parts[0].upper() == "COPY" and any(p.startswith("--from=") for p in parts):
            sources = [p for p in parts[1:-1] if not p.startswith("--")]
            destination = parts[-1].rstrip("/")
            copied |= {f"{destination}/{s.rsplit('/', 1)[-1]}" for s in sources}
    commands = rendered_commands()
    assert commands, "the chart renders no container commands"
    assert commands <= copied, f"not in the image: {commands - copied}"


def test_the_build_stage_builds_those_binaries_with_the_pinned_toolchain():
    build = " ".join(stages()[0])
    channel = tomllib.loads((REPO / "rust-toolchain.toml").read_text())["toolchain"]["channel"]
    assert stages()[0][0].split()[1] == f"rust:{channel}-bookworm"
    packages = set(re.findall(r"-p (revloop-\S+)", build))
    bins = set()
    for package in packages:
        manifest = tomllib.loads((REPO / package.removeprefix("revloop-") / "Cargo.toml").read_text())
        names = [b["name"] for b in manifest.get("bin", [])] or [manifest["package"]["name"]]
        bins |= set(names)
    assert {"revloop-worker", "revloop-api", "revloop"} <= bins, bins
    assert "--locked" in build
