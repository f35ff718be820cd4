"""Issue 8, tried as an attacker would: secrets that servers echo back at every cut, in every
escaping, in URL passwords and in 100 kB values never appear; TLS leniency covers one host;
proxies never carry loopback traffic; no answer can blow the budget or the memory; a resolver
that drops queries cannot make the run outlive its budget."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
import zstandard

from opwire.config import Redactor, Secret
from opwire.mock.tls import make_tls_files
from opwire.results import Status

from conftest import OPWIRE, Mock, clean_env, closed_port, opwire, run_verify, serve

HOOK_SECRET = "PlantedHookSecret0123456"
BOT_TOKEN = "xoxb-PLANTED-bot-token-9f8e7d6c"
HEC_TOKEN = "11111111-2222-3333-4444-555555555555"


def windows(secret: str, size: int = 8) -> list[str]:
    """Every run of `size` characters of the secret: none may show anywhere."""
    return [secret[i : i + size] for i in range(len(secret) - size + 1)]


def assert_no_part(secret: str, *texts: str) -> None:
    for text in texts:
        leaked = [w for w in windows(secret) if w in text]
        assert not leaked, f"{len(leaked)} runs of 8 characters of the secret leaked: {leaked[:3]}"


def slack_env(mock: Mock, **extra: str) -> dict[str, str]:
    return clean_env(
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"{mock.url}/services/T0PLANTED/B0PLANTED/{HOOK_SECRET}",
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_CHANNEL_ID="C0OPWIRE01",
        OPERATOR_WIRING_SLACK_API_URL=f"{mock.url}/api",
        OPERATOR_WIRING_BUDGET_S="5",
        **extra,
    )


# --- 1. Redact before you cut -------------------------------------------------------------


@pytest.mark.parametrize("offset", range(270, 305))
def test_an_echoed_secret_straddling_the_excerpt_cut_is_masked(
    slack_mock: Mock, offset: int
) -> None:
    echoed = "x" * offset + HOOK_SECRET + " " + BOT_TOKEN + " and more text" + "y" * 50
    slack_mock.fault(method="POST", path="/services/*", status=400, body=echoed)
    run = run_verify(slack_env(slack_mock), {}, ("slack",))
    (result,) = run.result.integrations
    assert result.diagnosis is not None and result.diagnosis.detail.startswith("HTTP 400")
    assert_no_part(HOOK_SECRET, result.diagnosis.detail)
    assert_no_part(BOT_TOKEN, result.diagnosis.detail)


def test_straddling_secrets_leak_nowhere_in_stdout_json_or_log(
    slack_mock: Mock, tmp_path: Path
) -> None:
    slack_mock.fault(method="POST", path="/services/*", status=400, body="x" * 290 + HOOK_SECRET)
    log = tmp_path / "verify.log"
    env = slack_env(slack_mock)
    human = opwire("verify", "slack", "--log", str(log), env=env, cwd=tmp_path)
    as_json = opwire("verify", "slack", "--json", env=env, cwd=tmp_path)
    assert human.returncode == as_json.returncode == 1, human.stderr
    assert "slack.http" in human.stdout or "HTTP 400" in human.stdout
    assert_no_part(HOOK_SECRET, human.stdout, human.stderr, log.read_text(), as_json.stdout)


def test_a_prefix_left_at_an_edge_is_masked() -> None:
    secret = "0123456789abcdef0123456789abcdef"
    redact = Redactor([Secret(secret)])
    assert redact("failed: " + secret[:12]) == "failed: ****cdef"
    assert redact(secret[-12:] + " was refused") == "****cdef was refused"
    assert redact("short " + secret[:7]) == "short " + secret[:7]  # 7 characters prove nothing
    for cut in range(1, 40):
        assert_no_part(secret, redact.clip("z" * (300 - cut) + secret + " tail", 300))


# --- 2. Redact values, not their JSON spelling ---------------------------------------------

ODD = 'Sp"lunk\\Search"Token-0123456789'


@pytest.mark.parametrize("spelling", ["raw", "json"])
def test_a_secret_with_json_escaped_characters_never_shows_in_json(
    splunk_mock: Mock, tmp_path: Path, spelling: str
) -> None:
    splunk_mock.control("POST", "splunk/config", {"tokens": {HEC_TOKEN: {"ack": False}}})
    body = ODD if spelling == "raw" else json.dumps({"messages": [{"text": f"bad token {ODD}"}]})
    splunk_mock.fault(method="POST", path="/services/search/*", status=401, body=body)
    env = clean_env(
        OPERATOR_WIRING_MODE="real_splunk",
        SPLUNK_HEC_URL=splunk_mock.url,
        SPLUNK_HEC_TOKEN=HEC_TOKEN,
        SPLUNK_SEARCH_URL=splunk_mock.url,
        SPLUNK_SEARCH_TOKEN=ODD,
        OPERATOR_WIRING_BUDGET_S="5",
    )
    done = opwire("verify", "splunk", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (splunk,) = json.loads(done.stdout)["integrations"]
    assert splunk["diagnosis"]["detail"].startswith("HTTP 401")
    for form in (ODD, json.dumps(ODD)[1:-1]):
        assert_no_part(form, done.stdout, done.stderr)


@pytest.mark.parametrize(
    "secret",
    ['quo"te-secret-1234', "back\\slash-secret-1", "é-ünïcode-sécret-1", "ctl\x01-secret-1"],
)
def test_redacting_the_tree_masks_every_escaped_form(secret: str) -> None:
    redact = Redactor([Secret(secret)])
    document = {"detail": f"echo {secret}!", "list": [secret], secret: 1}
    for ascii_only in (True, False):
        text = redact(json.dumps(redact.tree(document), ensure_ascii=ascii_only))
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        assert secret not in text and escaped not in text
        # even the JSON spelling of text that escaped the tree is masked
        assert escaped not in redact(json.dumps({"late": secret}, ensure_ascii=ascii_only))


# --- 3. Passwords in URLs --------------------------------------------------------------------

URL_PASSWORD = "UrlPassw0rd-Planted-7c1e"


def test_a_password_in_splunk_hec_url_is_masked_everywhere(
    splunk_mock: Mock, tmp_path: Path
) -> None:
    host = splunk_mock.url.removeprefix("http://")
    env = clean_env(
        OPERATOR_WIRING_MODE="real_splunk",
        SPLUNK_HEC_URL=f"http://opwire:{URL_PASSWORD}@{host}/services/collector",
        SPLUNK_HEC_TOKEN=HEC_TOKEN,
        OPERATOR_WIRING_BUDGET_S="5",
    )
    log = tmp_path / "v.log"
    done = opwire("verify", "splunk", "--json", "--log", str(log), env=env, cwd=tmp_path)
    assert done.returncode != 2, done.stderr  # the URL is valid; how the HEC answers is not tested
    urls = [r["url"] for r in json.loads(done.stdout)["integrations"][0]["requests"]]
    assert urls and all("opwire:****" in u for u in urls), urls
    assert_no_part(URL_PASSWORD, done.stdout, done.stderr, log.read_text())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SPLUNK_HEC_URL", f"ftp://opwire:{URL_PASSWORD}@splunk.example:8088"),
        ("OPERATOR_WIRING_DATADOG_SITE_URLS", f"eu=no-scheme:{URL_PASSWORD}@x"),
        ("OPERATOR_WIRING_OPSGENIE_REGION_URLS", f"eu https://u:{URL_PASSWORD}@h"),
    ],
)
def test_a_url_password_never_shows_in_an_error(tmp_path: Path, name: str, value: str) -> None:
    env = clean_env(
        OPERATOR_WIRING_MODE="real_splunk,real_datadog,real_opsgenie",
        SPLUNK_HEC_URL="https://splunk.example:8088",
        SPLUNK_HEC_TOKEN=HEC_TOKEN,
        DD_API_KEY="ab" * 16,
        OPSGENIE_API_KEY="0b7a6c1e-2f3d-4a5b-8c9d-0e1f2a3b4c5d",
    )
    env[name] = value
    done = opwire("verify", "splunk", "datadog", "opsgenie", env=env, cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    assert name in done.stderr and "Traceback" not in done.stderr
    assert_no_part(URL_PASSWORD, done.stdout, done.stderr)


# --- 4. No value of a secret-shaped variable in any message ----------------------------------

BIG = ("Q9" + os.urandom(8).hex()) * 5000  # 100 kB, one secret


@pytest.mark.parametrize(
    "name",
    ["SLACK_WEBHOOK_URL", "SLACK_BOT_TOKEN", "PAGERDUTY_ROUTING_KEY", "SENTRY_DSN", "DD_API_KEY"],
)
def test_a_100kb_secret_value_is_never_echoed(tmp_path: Path, name: str) -> None:
    env = clean_env(OPERATOR_WIRING_MODE="real_all", **{name: BIG})
    done = opwire("verify", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert_no_part(BIG[:64], done.stdout, done.stderr)


def test_a_100kb_secret_echoed_whole_by_the_server_is_masked(
    splunk_mock: Mock, tmp_path: Path
) -> None:
    """The server echoes the whole 100 kB value of a secret-named variable (DD_APP_KEY here,
    which a Splunk-only run does not even use): no part of it reaches any output."""
    splunk_mock.fault(method="POST", path="/services/collector/*", status=400, body=BIG)
    env = clean_env(
        OPERATOR_WIRING_MODE="real_splunk",
        SPLUNK_HEC_URL=splunk_mock.url,
        SPLUNK_HEC_TOKEN=HEC_TOKEN,
        DD_APP_KEY=BIG,
        OPERATOR_WIRING_BUDGET_S="5",
    )
    log = tmp_path / "v.log"
    done = opwire("verify", "splunk", "--json", "--log", str(log), env=env, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    (splunk,) = json.loads(done.stdout)["integrations"]
    assert splunk["diagnosis"]["detail"].startswith("HTTP 400: ****")
    assert_no_part(BIG[:64], done.stdout, done.stderr, log.read_text())


# --- 7. SPLUNK_HEC_INSECURE=1 covers the HEC host only ---------------------------------------


def test_insecure_covers_the_hec_host_not_the_search_host(tmp_path: Path) -> None:
    for folder in ("hec", "search"):
        (tmp_path / folder).mkdir()
    for hec in serve("splunk", tls=make_tls_files(tmp_path / "hec", self_signed=True)):
        for search in serve("splunk", tls=make_tls_files(tmp_path / "search", self_signed=True)):
            httpx.post(  # Mock.control would verify the self-signed certificate
                f"{hec.url}/_opwire/splunk/config",
                json={"tokens": {HEC_TOKEN: {"ack": False}}},
                verify=False,
            ).raise_for_status()
            env = {
                "OPERATOR_WIRING_MODE": "real_splunk",
                "SPLUNK_HEC_URL": hec.url,
                "SPLUNK_HEC_TOKEN": HEC_TOKEN,
                "SPLUNK_HEC_INSECURE": "1",
                "SPLUNK_SEARCH_URL": search.url,
                "SPLUNK_SEARCH_TOKEN": "search-token-0123",
                "OPERATOR_WIRING_BUDGET_S": "5",
            }
            run = run_verify(env, {}, ("splunk",))
            (result,) = run.result.integrations
            sent = [s for s in result.steps if s.name == "send"]
            assert sent and sent[0].outcome.value == "ok"  # the HEC host: not verified
            assert result.status is Status.FAIL and result.diagnosis is not None
            assert result.diagnosis.code in ("net.tls", "splunk.tls_untrusted")
            seen = httpx.get(f"{search.url}/_opwire/requests", verify=False).json()
            assert not seen["requests"]  # the handshake with the search host was refused
            notes = " ".join(result.notes)
            assert hec.url.removeprefix("https://") in notes  # the warning names its host


# --- 8. A proxy in the environment never carries loopback traffic ----------------------------


def test_http_proxy_does_not_route_mock_traffic(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = clean_env(HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead, http_proxy=dead)
    done = opwire("verify", "slack", "datadog", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "GREEN" in done.stdout


def test_http_proxy_does_not_route_a_loopback_override_in_real_mode(slack_mock: Mock) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = slack_env(slack_mock, HTTP_PROXY=dead, HTTPS_PROXY=dead)
    os.environ.update(HTTP_PROXY=dead)
    try:
        (result,) = run_verify(env, {}, ("slack",)).result.integrations
    finally:
        del os.environ["HTTP_PROXY"]
    assert result.status is Status.PASS, result.diagnosis


# --- 9. Decompression is bounded, in the client ----------------------------------------------

EXPANSION = 256 << 20  # 32 times what opwire reads


def _bomb(encoding: str) -> bytes:
    zeros = b"\0" * EXPANSION
    if encoding == "gzip":
        return gzip.compress(zeros, 1)
    if encoding == "br":
        return bytes(brotli.compress(zeros, quality=1))
    return zstandard.ZstdCompressor(level=1).compress(zeros)


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_compressed_bomb_answer_is_refused_within_memory(
    slack_mock: Mock, tmp_path: Path, encoding: str
) -> None:
    """The answer is served by a tiny loopback server; opwire reads at most 8 MiB of it."""
    bomb = tmp_path / "bomb.bin"
    bomb.write_bytes(_bomb(encoding))
    script = tmp_path / "serve.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import http.server, sys
            body = open({str(bomb)!r}, "rb").read()
            class H(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    self.rfile.read(int(self.headers.get("content-length", 0)))
                    self.send_response(400)
                    self.send_header("content-encoding", {encoding!r})
                    self.send_header("content-length", str(len(body)))
                    self.end_headers()
                    try:
                        self.wfile.write(body)
                    except OSError:
                        pass
                def log_message(self, *a):
                    pass
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        )
    )
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        env = clean_env(
            OPERATOR_WIRING_MODE="real_slack",
            SLACK_WEBHOOK_URL=f"http://127.0.0.1:{port}/services/T0PLANTED/B0PLANTED/{HOOK_SECRET}",
            OPERATOR_WIRING_BUDGET_S="5",
        )
        measure = (
            "import resource, subprocess, sys; "
            f"done = subprocess.run([{str(OPWIRE)!r}, 'verify', 'slack', '--json'], "
            "capture_output=True, text=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "print(done.returncode); print(done.stdout)"
        )
        done = subprocess.run(
            [sys.executable, "-c", measure],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=tmp_path,
        )
    finally:
        server.kill()
        server.wait()
        if server.stdout is not None:
            server.stdout.close()
    peak_kib, code, document = done.stdout.split("\n", 2)
    assert code == "1", done.stdout + done.stderr
    (slack,) = json.loads(document)["integrations"]
    assert slack["diagnosis"]["code"] == "http.body_too_large"
    assert (
        "decompressed" in slack["diagnosis"]["detail"]
        or "answer too large" in (slack["diagnosis"]["detail"])
    )
    assert int(peak_kib) < 160 * 1024  # KiB: far below the 256 MiB expansion


# --- 10. DNS is inside the budget -------------------------------------------------------------

DROPPING_DNS = """
import socket
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 53))
tcp = socket.socket()
tcp.bind(("127.0.0.1", 53))
tcp.listen()
print("ready", flush=True)
while True:
    udp.recvfrom(4096)  # every query is dropped: the resolver waits, retries, waits
"""


def _namespaces() -> str | None:
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", "-rnm", "true"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"namespaces refused: {probe.stderr}"


@pytest.mark.netns
def test_a_dropping_resolver_cannot_outlive_the_budget(tmp_path: Path) -> None:
    if reason := _namespaces():
        pytest.fail(reason)  # this machine and CI can make namespaces: not a skip
    (tmp_path / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:5 attempts:4\n")
    (tmp_path / "dns.py").write_text(DROPPING_DNS)
    inner = (
        "ip link set lo up && mount --bind resolv.conf /etc/resolv.conf && "
        f"({sys.executable} dns.py > dns.ready &) && "
        "for i in 1 2 3 4 5 6 7 8 9 10; do [ -s dns.ready ] && break; sleep 0.2; done && "
        "start=$(date +%s.%N) && "
        # `timeout 15` only catches a hang (the old code waited 20 s for the lookups).
        f"timeout 15 {OPWIRE} verify slack --json --budget 3 > out.json; echo $? > rc; "
        'end=$(date +%s.%N) && echo "$start $end" > wall'
    )
    env = clean_env(
        OPWIRE_NETGUARD="off",  # a namespace of its own: nothing can leave it
        OPERATOR_WIRING_MODE="real_slack",
        SLACK_WEBHOOK_URL=f"https://hooks.slack.com/services/T0DNS0000/B0DNS0000/{HOOK_SECRET}",
    )
    subprocess.run(
        ["unshare", "-rnm", "sh", "-c", inner], env=env, cwd=tmp_path, timeout=60, check=False
    )
    start, end = map(float, (tmp_path / "wall").read_text().split())
    document = json.loads((tmp_path / "out.json").read_text())
    (slack,) = document["integrations"]
    assert (tmp_path / "rc").read_text().strip() == "1"  # not 124: it ended by itself
    assert slack["diagnosis"]["code"] == "net.dns", slack["diagnosis"]
    assert "DNS lookup failed" in slack["diagnosis"]["detail"]
    assert document["elapsed_s"] <= end - start  # the summary claims no less than it took


# --- 6. The region sweep respects the operator's routing -------------------------------------

DD_KEY = "ab" * 16


def _datadog_env(api: str, **extra: str) -> dict[str, str]:
    return {
        "OPERATOR_WIRING_MODE": "real_datadog",
        "DD_API_KEY": DD_KEY,
        "DD_SITE": "datadoghq.com",
        "OPERATOR_WIRING_DATADOG_API_URL": api,
        "OPERATOR_WIRING_BUDGET_S": "10",
        **extra,
    }


def _foreign_key(mock: Mock) -> None:
    mock.control("POST", "region", {"region": "datadoghq.com"})
    mock.control("POST", "credentials", {"credential": DD_KEY, "region": "datadoghq.eu"})


def test_an_api_override_keeps_the_sweep_off_the_public_sites(datadog_mock: Mock) -> None:
    """The network guard fails this test if any public site is asked (or even looked up)."""
    _foreign_key(datadog_mock)
    run = run_verify(_datadog_env(datadog_mock.url), {}, ("datadog",))
    (result,) = run.result.integrations
    assert result.diagnosis is not None and result.diagnosis.code == "datadog.wrong_site"
    assert any("region sweep skipped" in n for n in result.notes), result.notes
    assert len(result.requests) == 1  # validate only: nobody else was asked


def test_an_explicit_site_list_replaces_the_defaults(datadog_mock: Mock) -> None:
    _foreign_key(datadog_mock)
    for eu in serve("datadog"):
        eu.control("POST", "region", {"region": "datadoghq.eu"})
        eu.control("POST", "credentials", {"credential": DD_KEY, "region": "datadoghq.eu"})
        env = _datadog_env(
            datadog_mock.url, OPERATOR_WIRING_DATADOG_SITE_URLS=f"datadoghq.eu={eu.url}"
        )
        (result,) = run_verify(env, {}, ("datadog",)).result.integrations
        assert result.diagnosis is not None
        assert "this key is valid on datadoghq.eu" in result.diagnosis.detail
        asked = {r.url.split("/api/")[0] for r in result.requests}
        assert asked == {datadog_mock.url, eu.url}  # the list, and only the list


def test_unreachable_regions_are_named_not_taken_for_a_no(datadog_mock: Mock) -> None:
    _foreign_key(datadog_mock)
    dead = f"http://127.0.0.1:{closed_port()}"
    env = _datadog_env(
        datadog_mock.url,
        OPERATOR_WIRING_DATADOG_SITE_URLS=f"datadoghq.eu={dead},us5.datadoghq.com={dead}",
        OPERATOR_WIRING_MAX_ATTEMPTS="1",
    )
    (result,) = run_verify(env, {}, ("datadog",)).result.integrations
    assert result.diagnosis is not None
    assert result.diagnosis.code == "datadog.wrong_site"  # not "no site knows the key"
    assert "could not ask the other regions" in result.diagnosis.detail
    assert "datadoghq.eu: " in result.diagnosis.detail
