"""Diagnoses: every failure becomes a stable code, a cause and a fix (DESIGN § 5).

Transport failures are mapped by kind (`net.*`); HTTP replies by the vendor's `RULES` table first,
then the generic `HTTP_RULES`; anything left is `http.unexpected`, reported whole, never swallowed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from opwire.config import Redactor


@dataclass(frozen=True, slots=True)
class Diagnosis:
    code: str
    cause: str
    fix: str
    runbook: str = ""
    detail: str = ""

    def with_detail(self, detail: str) -> Diagnosis:
        return replace(self, detail=detail)


@dataclass(frozen=True, slots=True)
class Rule:
    """One row of a failure table. A rule with no matcher is raised by the probe by its code."""

    code: str
    cause: str
    fix: str
    status: int | None = None
    body: str | None = None
    contains: str | None = None
    json: Mapping[str, Any] = field(default_factory=dict)
    step: str | None = None
    runbook: str = ""
    transport: str | None = None  # a transport failure kind this vendor explains better

    @property
    def automatic(self) -> bool:
        return any((self.status, self.body, self.contains, self.json))

    def matches(self, step: str, status: int, text: str) -> bool:
        if not self.automatic or (self.step is not None and self.step != step):
            return False
        if self.status is not None and self.status != status:
            return False
        if self.body is not None and text.strip() != self.body:
            return False
        if self.contains is not None and self.contains not in text:
            return False
        return not self.json or _json_has(text, self.json)

    def diagnosis(self, detail: str = "") -> Diagnosis:
        return Diagnosis(self.code, self.cause, self.fix, self.runbook, detail)


def rule_maker(slug: str, runbook: str) -> Callable[..., Rule]:
    """The factory a vendor's failures.py uses: `slug.code`, linked to the runbook section of
    the same name (`setup-runbooks/<slug>.md#<code-with-dashes>`)."""

    def make(code: str, cause: str, fix: str, **match: Any) -> Rule:
        return Rule(
            f"{slug}.{code}", cause, fix, runbook=f"{runbook}#{code.replace('_', '-')}", **match
        )

    return make


def _json_has(text: str, wanted: Mapping[str, Any]) -> bool:
    """Every dotted path in `wanted` ("data.isSuccess") holds the wanted value in the body."""
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return all(_at(document, path) == value for path, value in wanted.items())


_MISSING = object()


def _at(document: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(document, dict) or key not in document:
            return _MISSING
        document = document[key]
    return document


NET_RULES: Mapping[str, Rule] = {
    rule.code.split(".", 1)[1].removeprefix("body_"): rule  # keyed by transport failure kind
    for rule in (
        Rule(
            "net.dns",
            "The vendor's host name did not resolve (corporate DNS may block the SaaS domain).",
            "Request an InfoSec allowlist for the domain; meanwhile use the mock stack and note "
            'the block with `opwire deviation add "…"` (state/operator-deviations.md).',
        ),
        Rule(
            "net.refused",
            "The connection was refused: nothing listens at that host and port.",
            "Check the URL and port; for the mocks, start them with `opwire mock up`.",
        ),
        Rule(
            "net.unreachable",
            "The network is unreachable from this machine (no route, network down).",
            "Check the machine's network and proxy; several integrations failing this way at once "
            "is a substrate problem: escalate to platform on-call.",
        ),
        Rule(
            "net.connect_timeout",
            "The connection was not established within the connect timeout.",
            "Check firewalls and proxies between here and the vendor; raise "
            "OPERATOR_WIRING_CONNECT_TIMEOUT_S only if the path is known to be slow.",
        ),
        Rule(
            "net.timeout",
            "The server accepted the request but sent no answer within the read timeout.",
            "Check the vendor's status page; retry later. Raise OPERATOR_WIRING_READ_TIMEOUT_S "
            "only if the vendor is known to be slow.",
        ),
        Rule(
            "net.tls",
            "The TLS handshake failed (untrusted or mismatched certificate, or TLS interception).",
            "Trust the right CA bundle (SSL_CERT_FILE); never disable verification in production.",
        ),
        Rule(
            "net.reset",
            "The connection was closed or reset mid-request.",
            "Retry; if it persists, check proxies and the vendor's status page.",
        ),
        Rule(
            "net.protocol",
            "The server's answer was not valid HTTP.",
            "Check that the URL points at the vendor's API and not at a proxy or another service.",
        ),
        Rule(
            "net.proxy",
            "The HTTP proxy refused or failed the request.",
            "Check HTTPS_PROXY / NO_PROXY and the proxy's allowlist for the vendor domain.",
        ),
        Rule(
            "net.bad_url",
            "The configured URL cannot be requested (unsupported scheme or malformed).",
            "Fix the URL variable named in the output.",
        ),
        Rule(
            "http.body_too_large",
            "The answer was larger than opwire reads (8 MiB): not the vendor's API but a proxy, "
            "portal or captive page.",
            "Check the URL variable and any proxy between here and the vendor.",
        ),
        Rule(
            "net.budget",
            "The time budget ran out before an answer came.",
            "Re-run; if it repeats, raise OPERATOR_WIRING_BUDGET_S or investigate the slow rung.",
        ),
    )
}

HTTP_RULES: Sequence[Rule] = (
    *(
        Rule(
            "http.redirect",
            f"The vendor URL answered {status}, a redirect elsewhere; opwire never follows "
            "redirects, so credentials stay with the host you configured.",
            "Use the final URL in the variable (the Location header below shows where); a "
            "redirect on an API host often means a wrong region or a proxy.",
            status=status,
        )
        for status in (301, 302, 303, 307, 308)
    ),
    Rule(
        "http.rate_limited",
        "The vendor kept answering 429 (rate limited) for the whole time budget.",
        "Wait 60 s and retry once; if it is sustained, file a ticket with the vendor.",
        status=429,
    ),
    *(
        Rule(
            "http.server_error",
            f"The vendor answered {status} for every attempt within the budget.",
            "Check the vendor's status page and retry later; nothing to change on this side.",
            status=status,
        )
        for status in (500, 502, 503, 504)
    ),
)

UNEXPECTED = Rule(
    "http.unexpected",
    "The vendor gave an answer that no diagnosis rule knows.",
    "Read the status and body below; if it is a new failure mode, note it with "
    '`opwire deviation add "…"` (state/operator-deviations.md) so the next operator does not '
    "rediscover it.",
)

MALFORMED = Rule(
    "http.malformed",
    "The vendor answered with a body of another shape than its API documents (say, a JSON "
    "array where an object belongs): not the vendor's API, or a proxy or portal in between.",
    "Check the URL variable and any proxy between here and the vendor; the body is below.",
)

INTERNAL_ERROR = Rule(
    "opwire.internal_error",
    "opwire itself failed while probing this integration (a bug, not the vendor).",
    "Report it with the output of this run; the other integrations were not affected.",
)

INTERRUPTED = Rule(
    "opwire.interrupted",
    "The run was interrupted (SIGINT, SIGTERM or a closed stdout) before this integration's "
    "probe finished, so it has no verdict.",
    "Run `opwire verify` again; if the output names a test artifact still open, run "
    "`opwire cleanup`.",
)


BLOCKED = Rule(
    "opwire.blocked",
    "A credential blocker is recorded for this integration (seed § 2: procurement or InfoSec "
    "holds up its credential), so its real verify was not run.",
    "Finish the other integrations and circle back; once the credential lands, put it in "
    ".env.local, run `opwire blocker resolve {slug}`, then verify it.",
)


def blocked(slug: str, ticket: str, since: str, note: str) -> Diagnosis:
    """The diagnosis of a BLOCKED integration: the ticket is its detail (the summary line
    shows it), since and the note join the cause."""
    extra = f" Blocked since {since}" + (f": {note}" if note else "") + "."
    return Diagnosis(
        BLOCKED.code,
        BLOCKED.cause + extra,
        BLOCKED.fix.format(slug=slug),
        BLOCKED.runbook,
        f"ticket {ticket}",
    )


def diagnose_reply(
    step: str,
    status: int,
    text: str,
    rules: Sequence[Rule],
    excerpt: int = 300,
    redact: Redactor | None = None,
) -> Diagnosis:
    """The first matching vendor rule, then the generic HTTP rules, else http.unexpected.

    The body excerpt is redacted whole before it is cut, so a secret the server echoes back
    cannot straddle the cut and escape the mask."""
    detail = f"HTTP {status}: {_excerpt(text, excerpt, redact or Redactor())}"
    for rule in (*rules, *HTTP_RULES):
        if rule.matches(step, status, text):
            return rule.diagnosis(detail)
    return UNEXPECTED.diagnosis(detail)


def diagnose_transport(kind: str, detail: str, rules: Sequence[Rule] = ()) -> Diagnosis:
    """A vendor's own reading of a transport failure first (Splunk's self-signed TLS), then the
    generic one."""
    rule = next((r for r in rules if r.transport == kind), None)
    return (rule or NET_RULES.get(kind, NET_RULES["protocol"])).diagnosis(detail)


SUBSTRATE = (
    "{count} integrations failed at the network level ({codes}): that is a substrate problem "
    "(network, DNS, proxy), not {count} broken integrations. Escalate to platform on-call "
    "(seed § 6 step 4)."
)


def substrate_note(codes: Sequence[str]) -> str | None:
    """Seed § 6: several integrations failing the same network way at once is one problem."""
    network = [c for c in codes if c.startswith("net.")]
    if len(network) < 2:
        return None
    return SUBSTRATE.format(count=len(network), codes=", ".join(sorted(set(network))))


def by_code(rules: Sequence[Rule], code: str, detail: str = "") -> Diagnosis:
    for rule in rules:
        if rule.code == code:
            return rule.diagnosis(detail)
    raise KeyError(code)


def _excerpt(text: str, limit: int, redact: Redactor) -> str:
    flat = " ".join(redact(text).split())
    return redact.clip(flat, limit) if flat else "(empty body)"
