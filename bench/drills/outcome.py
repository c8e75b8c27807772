"""How a drill reports: a verdict, a one-line summary and the figures behind it."""


def result(title: str, passed: bool, summary: str, **figures) -> dict:
    verdict = "ok" if passed else "FAILED"
    return {
        "passed": passed,
        "summary": summary,
        "line": f"{title}: {verdict}: {summary}",
        "figures": figures,
    }
